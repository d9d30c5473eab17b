// Transaction-level Verilator harness of the SpikeGrad network top (snnforge.sim.fast_spikegrad).
//
// The host (Python) drives it over stdin/stdout, one line per transaction, no Python per cycle:
//   "S n a0 c0 a1 c1 ...\n"  a sample: n input events (addr, count); the last one carries last=1.
//       The harness clocks the top (host always ready, no gaps) until the C output totals
//       arrive and prints "T raw0 raw1 ...\n" (raw o_totals payloads); then it reads
//       "E e0 e1 ...\n" (the integer output errors, the golden loss unit on the host), feeds them
//       and clocks until the END trace record; prints "R cycles k raw0 raw1 ...\n" (the cycles
//       from the sample's first event to END, then the k raw o_trace payloads before END).
//       With the on-chip loss (spikegrad_mode.h: SPIKEGRAD_FIXED_LOSS 1, the top has no i_error port) the
//       line is "S n label learn a0 c0 ...", every event carries the label and the learn flag,
//       and no E line is read: the harness clocks on to END and prints "T ..." then "R ...".
//   "W layer bias n\n"  reads n words back (index 0..n-1); prints "V raw0 raw1 ...\n".
//   "Q\n"  prints the total cycles and CPU seconds and exits.
// Command line: the payload bit offsets of the layouts (see fast_spikegrad.py).
#include "Vtop.h"
#include "spikegrad_mode.h"
#include "verilated.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

static Vtop* top = nullptr;
static uint64_t total_cycles = 0;
static std::map<std::string, uint64_t> arg;

static uint64_t A(const char* name) {
    auto it = arg.find(name);
    if (it == arg.end()) {
        std::fprintf(stderr, "missing argument %s\n", name);
        std::exit(2);
    }
    return it->second;
}

// inputs are set, then: settle, sample the handshakes, rising edge
static void settle() {
    top->clk = 0;
    top->eval();
}
static void rise() {
    top->clk = 1;
    top->eval();
    total_cycles++;
}

static void idle_inputs() {
    top->i_events___05Fvalid = 0;
#if !SPIKEGRAD_FIXED_LOSS
    top->i_error___05Fvalid = 0;
#endif
    top->i_read___05Fvalid = 0;
    top->o_totals___05Fready = 1;
    top->o_trace___05Fready = 1;
    top->o_read___05Fready = 0;
}

static uint64_t mask(unsigned bits) { return bits >= 64 ? ~0ULL : ((1ULL << bits) - 1); }

static void run_sample(std::istringstream& in) {
    const uint64_t ev_addr = A("ev_addr"), ev_count = A("ev_count"), ev_last = A("ev_last");
    const uint64_t err_bits = A("err_bits"), classes = A("classes");
    const uint64_t tr_kind = A("tr_kind"), end_kind = A("end_kind");
    const uint64_t cycle_limit = A("cycle_limit");
    (void)err_bits;
    size_t n;
    in >> n;
    uint64_t tag = 0;  // the label and learn flag every event carries (on-chip loss)
#if SPIKEGRAD_FIXED_LOSS
    uint64_t label, learn;
    in >> label >> learn;
    tag = (label << A("ev_label")) | (learn << A("ev_learn"));
#endif
    std::vector<uint64_t> events(n);
    for (size_t i = 0; i < n; i++) {
        uint64_t a, c;
        in >> a >> c;
        events[i] = (a << ev_addr) | (c << ev_count) | ((i + 1 == n ? 1ULL : 0ULL) << ev_last)
                    | tag;
    }
    size_t next_event = 0, next_error = 0;
    std::vector<uint64_t> totals, trace, errors;
    bool have_errors = false, done = false;
    uint64_t begin = total_cycles;
    while (!done) {
        if (total_cycles - begin > cycle_limit) {
            std::fprintf(stderr, "sample stalled: %zu of %zu events sent, %zu totals, %zu trace "
                         "records after %llu cycles\n", next_event, n, totals.size(), trace.size(),
                         (unsigned long long)(total_cycles - begin));
            std::exit(3);
        }
        idle_inputs();
        if (next_event < n) {
            top->i_events___05Fvalid = 1;
            top->i_events___05Fpayload = events[next_event];
        }
#if !SPIKEGRAD_FIXED_LOSS
        if (have_errors && next_error < errors.size()) {
            top->i_error___05Fvalid = 1;
            top->i_error___05Fpayload = errors[next_error] & mask(err_bits);
        }
#endif
        settle();
        bool ev_fire = top->i_events___05Fvalid && top->i_events___05Fready;
#if SPIKEGRAD_FIXED_LOSS
        bool err_fire = false;
#else
        bool err_fire = top->i_error___05Fvalid && top->i_error___05Fready;
#endif
        bool tot_fire = top->o_totals___05Fvalid;
        bool tr_fire = top->o_trace___05Fvalid;
        uint64_t tot = top->o_totals___05Fpayload, tr = top->o_trace___05Fpayload;
        rise();
        if (ev_fire) next_event++;
        if (err_fire) next_error++;
        if (tot_fire) {
            totals.push_back(tot);
            if (totals.size() == classes && !SPIKEGRAD_FIXED_LOSS) {
                std::printf("T");
                for (uint64_t t : totals) std::printf(" %llu", (unsigned long long)t);
                std::printf("\n");
                std::fflush(stdout);
                std::string line;
                if (!std::getline(std::cin, line) || line.empty() || line[0] != 'E') {
                    std::fprintf(stderr, "expected an E line\n");
                    std::exit(2);
                }
                std::istringstream el(line.substr(1));
                long long e;
                while (el >> e) errors.push_back((uint64_t)e);
                have_errors = true;
            }
        }
        if (tr_fire) {
            if (((tr >> tr_kind) & 3) == end_kind) {
                done = true;
            } else {
                trace.push_back(tr);
            }
        }
    }
    if (SPIKEGRAD_FIXED_LOSS) {
        std::printf("T");
        for (uint64_t t : totals) std::printf(" %llu", (unsigned long long)t);
        std::printf("\n");
    }
    std::printf("R %llu %zu", (unsigned long long)(total_cycles - begin), trace.size());
    for (uint64_t t : trace) std::printf(" %llu", (unsigned long long)t);
    std::printf("\n");
    std::fflush(stdout);
}

static void read_back(std::istringstream& in) {
    const uint64_t rd_layer = A("rd_layer"), rd_bias = A("rd_bias"), rd_index = A("rd_index");
    uint64_t layer, bias, n;
    in >> layer >> bias >> n;
    std::printf("V");
    for (uint64_t i = 0; i < n; i++) {
        uint64_t req = (layer << rd_layer) | (bias << rd_bias) | (i << rd_index);
        bool sent = false;
        int guard = 0;
        while (true) {
            if (++guard > 64) {
                std::fprintf(stderr, "read-back stalled at word %llu\n", (unsigned long long)i);
                std::exit(3);
            }
            idle_inputs();
            top->i_read___05Fvalid = sent ? 0 : 1;
            top->i_read___05Fpayload = req;
            top->o_read___05Fready = 1;
            settle();
            bool req_fire = top->i_read___05Fvalid && top->i_read___05Fready;
            bool got = top->o_read___05Fvalid;
            uint64_t word = top->o_read___05Fpayload;
            rise();
            if (req_fire) sent = true;
            if (got) {
                std::printf(" %llu", (unsigned long long)word);
                break;
            }
        }
    }
    std::printf("\n");
    std::fflush(stdout);
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; i++) {
        const char* eq = std::strchr(argv[i], '=');
        if (eq) arg[std::string(argv[i], eq - argv[i])] = std::strtoull(eq + 1, nullptr, 10);
    }
    Verilated::commandArgs(1, argv);
    top = new Vtop;
    idle_inputs();
    top->rst = 1;
    for (int i = 0; i < 4; i++) {
        settle();
        rise();
    }
    top->rst = 0;
    total_cycles = 0;
    std::clock_t cpu0 = std::clock();
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        std::istringstream in(line.substr(1));
        switch (line[0]) {
            case 'S': run_sample(in); break;
            case 'W': read_back(in); break;
            case 'Q':
                std::printf("Q %llu %.6f\n", (unsigned long long)total_cycles,
                            double(std::clock() - cpu0) / CLOCKS_PER_SEC);
                std::fflush(stdout);
                top->final();
                delete top;
                return 0;
            default:
                std::fprintf(stderr, "unknown command %c\n", line[0]);
                return 2;
        }
    }
    return 0;
}
