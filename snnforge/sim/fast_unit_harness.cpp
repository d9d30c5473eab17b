// Transaction-level Verilator harness of one stream unit (snnforge.sim.fast_unit).
//
// The unit's ports are named in the generated header fast_unit_ports.h (N_IN input streams,
// one output stream, N_AUX per-cycle 1-bit inputs, constant inputs). All stimulus is read in
// bulk from folder dir=:
//   in<i>_payload.bin  u64 per transaction of input stream i, in order
//   in<i>_offer.bin    u8 per cycle: 1 = offer the next transaction from this cycle on (once
//                      offered, valid and payload are held until the unit takes it)
//   ready.bin          u8 per cycle: the output stream's ready
//   aux<j>.bin         u8 per cycle: the value of 1-bit input j
// and the results are written in bulk to the same folder:
//   out_payload.bin u64, out_cycle.bin u32   every output transfer (valid & ready)
//   acc_cycle.bin u32, acc_input.bin u8, acc_holding.bin u8
//                                            every input transfer: cycle, stream, and the
//                                            mask of streams holding valid in that cycle
//   stats.json   cycles, CPU seconds, counts, lib.stream rule violations on the output
//                (valid dropped or payload changed while waiting for ready)
// Arguments: dir=<folder> cycles=<N> reset=<cycles of reset, default 2>.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"
#include "fast_unit_ports.h"

namespace {

std::string g_dir;

template <typename T>
std::vector<T> read_file(const std::string& name, std::size_t expect_min) {
    std::string path = g_dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        std::fprintf(stderr, "fast_unit_harness: cannot open %s\n", path.c_str());
        std::exit(2);
    }
    std::fseek(f, 0, SEEK_END);
    long size = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    std::vector<T> data(size / sizeof(T));
    if (!data.empty() && std::fread(data.data(), sizeof(T), data.size(), f) != data.size()) {
        std::fprintf(stderr, "fast_unit_harness: short read of %s\n", path.c_str());
        std::exit(2);
    }
    std::fclose(f);
    if (data.size() < expect_min) {
        std::fprintf(stderr, "fast_unit_harness: %s holds %zu items, need %zu\n", path.c_str(),
                     data.size(), expect_min);
        std::exit(2);
    }
    return data;
}

template <typename T>
void write_file(const std::string& name, const std::vector<T>& data) {
    std::string path = g_dir + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (!data.empty() && std::fwrite(data.data(), sizeof(T), data.size(), f)
                                    != data.size())) {
        std::fprintf(stderr, "fast_unit_harness: cannot write %s\n", path.c_str());
        std::exit(2);
    }
    std::fclose(f);
}

double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

}  // namespace

int main(int argc, char** argv) {
    uint64_t cycles = 0, reset = 2;
    for (int i = 1; i < argc; ++i) {
        std::string a(argv[i]);
        auto eq = a.find('=');
        if (eq == std::string::npos) continue;
        std::string k = a.substr(0, eq), v = a.substr(eq + 1);
        if (k == "dir") g_dir = v;
        else if (k == "cycles") cycles = std::strtoull(v.c_str(), nullptr, 10);
        else if (k == "reset") reset = std::strtoull(v.c_str(), nullptr, 10);
    }
    if (g_dir.empty() || cycles == 0 || cycles > 0xFFFFFFFFull) {
        std::fprintf(stderr, "usage: fastunit dir=<folder> cycles=<1..2^32-1> [reset=2]\n");
        return 2;
    }
    std::vector<std::vector<uint64_t>> payload(N_IN);
    std::vector<std::vector<uint8_t>> offer(N_IN);
    for (int i = 0; i < N_IN; ++i) {
        payload[i] = read_file<uint64_t>("in" + std::to_string(i) + "_payload.bin", 0);
        offer[i] = read_file<uint8_t>("in" + std::to_string(i) + "_offer.bin", cycles);
    }
    std::vector<uint8_t> ready = read_file<uint8_t>("ready.bin", cycles);
    std::vector<std::vector<uint8_t>> aux(N_AUX > 0 ? N_AUX : 1);
    for (int j = 0; j < N_AUX; ++j)
        aux[j] = read_file<uint8_t>("aux" + std::to_string(j) + ".bin", cycles);

    std::vector<uint64_t> out_payload;
    std::vector<uint32_t> out_cycle, acc_cycle;
    std::vector<uint8_t> acc_input, acc_holding;
    out_payload.reserve(cycles / 2);
    out_cycle.reserve(cycles / 2);

    Verilated::commandArgs(argc, argv);
    Vtop* top = new Vtop;
    top->clk = 0;
    top->rst = 1;
    set_constants(top);
    for (int i = 0; i < N_IN; ++i) set_in(top, i, false, 0);
    set_out_ready(top, false);
    for (int j = 0; j < N_AUX; ++j) set_aux(top, j, false);
    top->eval();
    for (uint64_t c = 0; c < reset; ++c) {
        top->clk = 1; top->eval();
        top->clk = 0; top->eval();
    }
    top->rst = 0;
    top->eval();

    std::vector<uint64_t> next(N_IN, 0);
    std::vector<bool> holding(N_IN, false);
    bool waiting = false;  // output valid and not taken in the previous cycle
    uint64_t waiting_payload = 0, violations = 0, first_violation = 0;
    double t0 = cpu_seconds();
    for (uint64_t c = 0; c < cycles; ++c) {
        unsigned mask = 0;
        for (int i = 0; i < N_IN; ++i) {
            if (!holding[i] && offer[i][c] && next[i] < payload[i].size()) holding[i] = true;
            set_in(top, i, holding[i], holding[i] ? payload[i][next[i]] : 0);
            if (holding[i]) mask |= 1u << i;
        }
        for (int j = 0; j < N_AUX; ++j) set_aux(top, j, aux[j][c] != 0);
        bool r = ready[c] != 0;
        set_out_ready(top, r);
        top->eval();
        bool taken[N_IN > 0 ? N_IN : 1];
        for (int i = 0; i < N_IN; ++i) taken[i] = holding[i] && get_in_ready(top, i);
        bool ov = get_out_valid(top);
        uint64_t op = ov ? get_out_payload(top) : 0;
        if (waiting && (!ov || op != waiting_payload)) {
            if (!violations) first_violation = c;
            ++violations;
        }
        if (ov && r) {
            out_payload.push_back(op);
            out_cycle.push_back(uint32_t(c));
        }
        waiting = ov && !r;
        waiting_payload = op;
        top->clk = 1; top->eval();
        top->clk = 0; top->eval();
        for (int i = 0; i < N_IN; ++i) {
            if (taken[i]) {
                acc_cycle.push_back(uint32_t(c));
                acc_input.push_back(uint8_t(i));
                acc_holding.push_back(uint8_t(mask));
                holding[i] = false;
                ++next[i];
            }
        }
    }
    double seconds = cpu_seconds() - t0;
    top->final();
    delete top;
    write_file("out_payload.bin", out_payload);
    write_file("out_cycle.bin", out_cycle);
    write_file("acc_cycle.bin", acc_cycle);
    write_file("acc_input.bin", acc_input);
    write_file("acc_holding.bin", acc_holding);
    std::string path = g_dir + "/stats.json";
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return 2;
    std::fprintf(f, "{\"cycles\": %llu, \"cpu_seconds\": %.6f, \"outputs\": %zu, "
                    "\"inputs\": %zu, \"protocol_violations\": %llu, "
                    "\"first_violation_cycle\": %llu}\n",
                 (unsigned long long)cycles, seconds, out_payload.size(), acc_cycle.size(),
                 (unsigned long long)violations, (unsigned long long)first_violation);
    std::fclose(f);
    return 0;
}
