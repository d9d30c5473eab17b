// Verilator harness of the simulated training board (snnforge.host.sim_transport): the
// board core (host link + network, top "Vtop") with its UART pins driven and sampled bit by
// bit, talking to Python over stdin / stdout.
//
// Argument: divisor=N (clock cycles per UART bit, as the gateware's).
// Requests on stdin (little-endian):
//   'W' u32 n, n bytes      queue bytes for the board's rx pin (8N1, back to back)
//   'R' u32 size, u64 max   clock until `size` bytes came out of tx, `max` cycles passed, or
//                           the board is quiet (nothing queued or on the wires, `busy` low
//                           and both lines idle for 20 bit times: nothing more can arrive)
//   'Q'                     exit
// Reply to 'R': u32 n, n bytes (at most `size`; the rest stays buffered), u64 cycles since
// reset, u64 framing errors seen on tx, u64 cycles spent in this request.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

namespace {

bool read_exact(void* buf, std::size_t n) {
    return n == 0 || std::fread(buf, 1, n, stdin) == n;
}

void write_exact(const void* buf, std::size_t n) {
    if (n && std::fwrite(buf, 1, n, stdout) != n) std::exit(3);
}

class Board {
  public:
    Board(VerilatedContext* ctx, uint32_t divisor) : top_(new Vtop{ctx}), div_(divisor) {
        top_->rx = 1;
        top_->rst = 1;
        for (int i = 0; i < 8; ++i) clock();
        top_->rst = 0;
        cycles_ = 0;
    }
    ~Board() { top_->final(); delete top_; }

    void queue(const uint8_t* data, std::size_t n) { to_board_.insert(to_board_.end(), data, data + n); }

    bool quiet() const {
        return to_board_.empty() && !driving_ && !receiving_ && !top_->busy && idle_ >= 20u * div_;
    }

    // one clock cycle: the host's rx driver, the edge, then the tx receiver
    void clock() {
        drive_rx();
        top_->clk = 0;
        top_->eval();
        top_->clk = 1;
        top_->eval();
        ++cycles_;
        sample_tx();
        idle_ = (top_->tx && !driving_ && !receiving_) ? idle_ + 1 : 0;
    }

    std::deque<uint8_t> from_board_;
    uint64_t cycles_ = 0, framing_errors_ = 0;

  private:
    void drive_rx() {
        if (!driving_) {
            if (to_board_.empty()) { top_->rx = 1; return; }
            shift_ = (uint32_t(to_board_.front()) << 1) | (1u << 9);  // start 0, data, stop 1
            to_board_.pop_front();
            driving_ = true;
            bit_ = 0;
            left_ = div_;
        }
        top_->rx = (shift_ >> bit_) & 1u;
        if (--left_ == 0) {
            left_ = div_;
            if (++bit_ == 10) driving_ = false;
        }
    }

    void sample_tx() {
        const bool line = top_->tx;
        if (!receiving_) {
            if (!line) {                 // start bit edge: first sample at mid start bit
                receiving_ = true;
                rbit_ = 0;
                rleft_ = div_ / 2;
                rbyte_ = 0;
            }
            return;
        }
        if (rleft_ > 0) { --rleft_; return; }
        rleft_ = div_ - 1;
        if (rbit_ == 0) {
            if (line) receiving_ = false;  // glitch, not a start bit
        } else if (rbit_ <= 8) {
            rbyte_ |= uint8_t(line) << (rbit_ - 1);
        } else {
            if (!line) ++framing_errors_;
            from_board_.push_back(rbyte_);
            receiving_ = false;
        }
        ++rbit_;
    }

    Vtop* top_;
    const uint32_t div_;
    std::deque<uint8_t> to_board_;
    bool driving_ = false, receiving_ = false;
    uint32_t shift_ = 0, bit_ = 0, left_ = 0, rbit_ = 0, rleft_ = 0;
    uint8_t rbyte_ = 0;
    uint64_t idle_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    uint32_t divisor = 0;
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "divisor=", 8) == 0) divisor = uint32_t(std::strtoul(argv[i] + 8, nullptr, 10));
    if (divisor < 4) {
        std::fprintf(stderr, "sim_board: divisor=N (N >= 4) is required\n");
        return 2;
    }
    VerilatedContext ctx;
    Board board(&ctx, divisor);
    std::vector<uint8_t> buf;
    for (;;) {
        int op = std::fgetc(stdin);
        if (op == EOF || op == 'Q') break;
        if (op == 'W') {
            uint32_t n;
            if (!read_exact(&n, 4)) return 3;
            buf.resize(n);
            if (!read_exact(buf.data(), n)) return 3;
            board.queue(buf.data(), n);
        } else if (op == 'R') {
            uint32_t size;
            uint64_t max_cycles;
            if (!read_exact(&size, 4) || !read_exact(&max_cycles, 8)) return 3;
            const uint64_t start = board.cycles_;
            while (board.from_board_.size() < size && board.cycles_ - start < max_cycles &&
                   !board.quiet())
                board.clock();
            uint32_t n = uint32_t(std::min<std::size_t>(size, board.from_board_.size()));
            buf.assign(board.from_board_.begin(), board.from_board_.begin() + n);
            board.from_board_.erase(board.from_board_.begin(), board.from_board_.begin() + n);
            const uint64_t spent = board.cycles_ - start;
            write_exact(&n, 4);
            write_exact(buf.data(), n);
            write_exact(&board.cycles_, 8);
            write_exact(&board.framing_errors_, 8);
            write_exact(&spent, 8);
            std::fflush(stdout);
        } else {
            std::fprintf(stderr, "sim_board: unknown request 0x%02x\n", op);
            return 3;
        }
    }
    return 0;
}
