// Transaction-level Verilator harness of the SSNN-BP network top (snnforge.sim.fast_network).
//
// Runs the generated RTL with no per-cycle Python: samples are loaded in bulk from a binary
// file, driven onto i_sample (n_in beats each, host always ready on o_trace), and the results
// are written in bulk:
//   steps.bin    per step record {u16 winner, u16 step, u32 flags (bit 0: g_pos | g_neg != 0)}
//   traces.bin   the raw o_trace payload (trace_words x u32) of the first full_trace_samples
//                training samples
//   weights.bin  the read-back beats (read_words x u32 each): W1 rows 0..n_in (w1_words beats
//                each, word 0 first), then W2 rows 0..n_hidden (w2_words beats each)
//   cycles.bin   u64 per sample: the cycle its last trace was taken (train, then eval)
//   starts.bin   u64 per sample: the cycle its first pixel beat was taken (the host offers
//                the next sample's beats as soon as the current one's are taken, so these
//                overlap the previous sample's run when the top double-buffers samples)
//   stats.json   cycle counts and CPU seconds of each harness phase (train, read-back, eval),
//                and the training cycles spent in each sequencer phase of the top (its
//                ``phase`` monitor port, indexed by the Phase value)
// Mode raw=1 instead clocks the model raw_cycles times with its inputs held (raw Verilator
// speed): a learning sample of constant pixel raw_pixel offered, o_trace always ready.
//
// Arguments are key=value: data, out (paths); n_in, T, n_train, n_eval, first_train_key,
// n_w1_rows, n_w2_rows, w1_words, w2_words, full_trace_samples, max_cycles_per_sample; bit offsets of the stream
// fields: pix_lo, label_lo, learn_lo, key_lo (i_sample), layer_lo, row_lo (i_read), win_lo,
// win_len, step_lo, g_lo, g_len (o_trace); trace_words, read_words; raw, raw_cycles, raw_pixel.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

namespace {

std::map<std::string, std::string> g_args;

uint64_t arg_u(const char* name) {
    auto it = g_args.find(name);
    if (it == g_args.end()) {
        std::fprintf(stderr, "fast_harness: missing argument %s=\n", name);
        std::exit(2);
    }
    return std::strtoull(it->second.c_str(), nullptr, 10);
}

std::string arg_s(const char* name) {
    auto it = g_args.find(name);
    if (it == g_args.end()) {
        std::fprintf(stderr, "fast_harness: missing argument %s=\n", name);
        std::exit(2);
    }
    return it->second;
}

double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

// ---- port access for every Verilator port type (CData/SData/IData/QData or VlWide<N>)
template <typename T>
inline void put(T& port, uint64_t value) { port = static_cast<T>(value); }
template <std::size_t N>
inline void put(VlWide<N>& port, uint64_t value) {
    for (std::size_t i = 0; i < N; ++i) port[i] = i < 2 ? uint32_t(value >> (32 * i)) : 0u;
}

template <typename T>
inline uint32_t word(const T& port, std::size_t i) {
    return i < 2 ? uint32_t(uint64_t(port) >> (32 * i)) : 0u;
}
template <std::size_t N>
inline uint32_t word(const VlWide<N>& port, std::size_t i) { return i < N ? port[i] : 0u; }

template <typename T>
inline uint64_t field(const T& port, unsigned lo, unsigned len) {  // len <= 32
    uint64_t w = uint64_t(word(port, lo / 32)) | (uint64_t(word(port, lo / 32 + 1)) << 32);
    return (w >> (lo % 32)) & ((uint64_t(1) << len) - 1);
}

template <typename T>
inline bool any_bits(const T& port, unsigned lo, unsigned len) {
    for (unsigned b = lo; b < lo + len;) {
        unsigned take = std::min(32u - b % 32, lo + len - b);
        if (field(port, b, take)) return true;
        b += take;
    }
    return false;
}

template <typename T>
void dump_words(const T& port, std::size_t n, std::vector<uint32_t>& out) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(word(port, i));
}

struct StepRecord {
    uint16_t winner;
    uint16_t step;
    uint32_t flags;
};

void write_file(const std::string& path, const void* data, std::size_t bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || (bytes && std::fwrite(data, 1, bytes, f) != bytes)) {
        std::fprintf(stderr, "fast_harness: cannot write %s\n", path.c_str());
        std::exit(2);
    }
    std::fclose(f);
}

class Harness {
  public:
    explicit Harness(VerilatedContext* ctx) : top_(new Vtop{ctx}) {}
    ~Harness() { top_->final(); delete top_; }

    void reset() {
        top_->i_sample___05Fvalid = 0;
        top_->o_trace___05Fready = 0;
        top_->i_read___05Fvalid = 0;
        top_->i_write___05Fvalid = 0;
        top_->o_read___05Fready = 0;
        top_->rst = 1;
        for (int i = 0; i < 4; ++i) half_cycles();
        top_->rst = 0;
    }

    // one clock: inputs are set by the caller; settle at clk = 0, then the rising edge
    inline void half_cycles() {
        top_->clk = 0;
        top_->eval();
        top_->clk = 1;
        top_->eval();
        ++cycles_;
    }

    Vtop* top_;
    uint64_t cycles_ = 0;
};

int run_raw(Harness& h) {
    const uint64_t n = arg_u("raw_cycles");
    Vtop* top = h.top_;
    h.reset();
    put(top->i_sample___05Fpayload, (arg_u("raw_pixel") << arg_u("pix_lo")) |
                                        (uint64_t(1) << arg_u("learn_lo")));
    top->i_sample___05Fvalid = 1;
    top->o_trace___05Fready = 1;
    const uint64_t c0 = h.cycles_;
    const double t0 = cpu_seconds();
    for (uint64_t i = 0; i < n; ++i) h.half_cycles();
    const double dt = cpu_seconds() - t0;
    std::string path = arg_s("out") + "/stats.json";
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return 2;
    std::fprintf(f, "{\"raw_cycles\": %llu, \"raw_cpu_seconds\": %.6f}\n",
                 (unsigned long long)(h.cycles_ - c0), dt);
    std::fclose(f);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const char* eq = std::strchr(argv[i], '=');
        if (!eq) {
            std::fprintf(stderr, "fast_harness: argument %s is not key=value\n", argv[i]);
            return 2;
        }
        g_args[std::string(argv[i], size_t(eq - argv[i]))] = std::string(eq + 1);
    }
    VerilatedContext ctx;
    Harness h(&ctx);
    if (g_args.count("raw") && arg_u("raw")) return run_raw(h);

    const uint64_t n_in = arg_u("n_in"), T = arg_u("T"), n_train = arg_u("n_train"),
                   n_eval = arg_u("n_eval"), first_train_key = arg_u("first_train_key");
    const uint64_t n_w1 = arg_u("n_w1_rows"), n_w2 = arg_u("n_w2_rows"),
                   w1_words = arg_u("w1_words"), w2_words = arg_u("w2_words");
    const uint64_t full_trace = arg_u("full_trace_samples");
    const uint64_t budget = arg_u("max_cycles_per_sample");
    const unsigned pix_lo = arg_u("pix_lo"), label_lo = arg_u("label_lo"),
                   learn_lo = arg_u("learn_lo"), key_lo = arg_u("key_lo");
    const unsigned layer_lo = arg_u("layer_lo"), row_lo = arg_u("row_lo");
    const unsigned win_lo = arg_u("win_lo"), win_len = arg_u("win_len"), step_lo = arg_u("step_lo"),
                   g_lo = arg_u("g_lo"), g_len = arg_u("g_len");
    const std::size_t trace_words = arg_u("trace_words"), read_words = arg_u("read_words");
    const std::string out = arg_s("out");
    const uint64_t n_samples = n_train + n_eval;

    // ---- bulk input: pixels u8 [n_samples][n_in], then labels u16 [n_samples]
    std::vector<uint8_t> pixels(n_samples * n_in);
    std::vector<uint16_t> labels(n_samples);
    {
        FILE* f = std::fopen(arg_s("data").c_str(), "rb");
        if (!f || std::fread(pixels.data(), 1, pixels.size(), f) != pixels.size() ||
            std::fread(labels.data(), 2, labels.size(), f) != labels.size()) {
            std::fprintf(stderr, "fast_harness: cannot read %zu samples from %s\n",
                         size_t(n_samples), arg_s("data").c_str());
            return 2;
        }
        std::fclose(f);
    }

    std::vector<StepRecord> steps;
    steps.reserve(n_samples * T);
    std::vector<uint32_t> traces;
    traces.reserve(std::min(full_trace, n_train) * T * trace_words);
    std::vector<uint64_t> sample_end(n_samples), sample_start(n_samples);
    std::vector<uint32_t> rows;
    rows.reserve((n_w1 * w1_words + n_w2 * w2_words) * read_words);

    Vtop* top = h.top_;
    h.reset();
    top->o_trace___05Fready = 1;
    double cpu[3] = {0, 0, 0};
    uint64_t phase_cycles[3] = {0, 0, 0}, phase_start[3] = {0, 0, 0};
    uint64_t top_phase_cycles[16] = {0};   // training cycles spent in each phase of the top

    // ---- samples [first, last): train (learn = 1) or eval (learn = 0)
    auto run_samples = [&](uint64_t first, uint64_t last, bool learn, int phase) -> bool {
        const double t0 = cpu_seconds();
        const uint64_t c0 = h.cycles_;
        phase_start[phase] = c0;
        uint64_t s = first, beat = 0, done = first, step = 0, last_end = h.cycles_;
        while (done < last) {
            if (s < last) {
                const uint64_t key = learn ? first_train_key + (s - first) : s - first;
                put(top->i_sample___05Fpayload,
                    (uint64_t(pixels[s * n_in + beat]) << pix_lo) |
                        (uint64_t(labels[s]) << label_lo) | (uint64_t(learn) << learn_lo) |
                        ((key & 0xffffffffu) << key_lo));
                top->i_sample___05Fvalid = 1;
            } else {
                top->i_sample___05Fvalid = 0;
            }
            top->clk = 0;
            top->eval();
            if (learn) ++top_phase_cycles[top->phase & 15];
            const bool in_fire = top->i_sample___05Fvalid && top->i_sample___05Fready;
            if (top->o_trace___05Fvalid) {
                StepRecord r;
                r.winner = uint16_t(field(top->o_trace___05Fpayload, win_lo, win_len));
                r.step = uint16_t(field(top->o_trace___05Fpayload, step_lo, 16));
                r.flags = any_bits(top->o_trace___05Fpayload, g_lo, g_len) ? 1u : 0u;
                steps.push_back(r);
                if (learn && done < full_trace)
                    dump_words(top->o_trace___05Fpayload, trace_words, traces);
                if (++step == T) {
                    step = 0;
                    sample_end[done++] = h.cycles_ + 1;
                    last_end = h.cycles_;
                }
            }
            top->clk = 1;
            top->eval();
            ++h.cycles_;
            if (in_fire && beat == 0) sample_start[s] = h.cycles_ - 1;
            if (in_fire && ++beat == n_in) {
                beat = 0;
                ++s;
            }
            if (h.cycles_ - last_end > budget) {
                std::fprintf(stderr,
                             "fast_harness: %s sample %llu (position %llu) stalled at step %llu: "
                             "no trace for %llu cycles\n",
                             learn ? "training" : "evaluation", (unsigned long long)(done - first),
                             (unsigned long long)done, (unsigned long long)step,
                             (unsigned long long)budget);
                return false;
            }
        }
        cpu[phase] += cpu_seconds() - t0;
        phase_cycles[phase] += h.cycles_ - c0;
        return true;
    };

    if (!run_samples(0, n_train, true, 0)) return 3;

    // ---- weight read-back: W1 rows then W2 rows (the top is idle)
    {
        const double t0 = cpu_seconds();
        const uint64_t c0 = h.cycles_;
        phase_start[1] = c0;
        top->i_sample___05Fvalid = 0;
        top->o_read___05Fready = 1;
        const uint64_t n_rows = n_w1 + n_w2, n_beats = n_w1 * w1_words + n_w2 * w2_words;
        uint64_t asked = 0, got = 0, idle = 0;
        while (got < n_beats) {
            if (asked < n_rows) {
                const uint64_t layer = asked < n_w1 ? 0 : 1;
                const uint64_t row = asked < n_w1 ? asked : asked - n_w1;
                put(top->i_read___05Fpayload, (layer << layer_lo) | (row << row_lo));
                top->i_read___05Fvalid = 1;
            } else {
                top->i_read___05Fvalid = 0;
            }
            top->clk = 0;
            top->eval();
            const bool rq_fire = top->i_read___05Fvalid && top->i_read___05Fready;
            if (top->o_read___05Fvalid) {
                dump_words(top->o_read___05Fpayload, read_words, rows);
                ++got;
                idle = 0;
            }
            top->clk = 1;
            top->eval();
            ++h.cycles_;
            if (rq_fire) ++asked;
            if (++idle > 1000) {
                std::fprintf(stderr, "fast_harness: weight read-back stalled after %llu beats\n",
                             (unsigned long long)got);
                return 3;
            }
        }
        top->i_read___05Fvalid = 0;
        top->o_read___05Fready = 0;
        cpu[1] += cpu_seconds() - t0;
        phase_cycles[1] += h.cycles_ - c0;
    }

    if (!run_samples(n_train, n_samples, false, 2)) return 3;

    write_file(out + "/steps.bin", steps.data(), steps.size() * sizeof(StepRecord));
    write_file(out + "/traces.bin", traces.data(), traces.size() * 4);
    write_file(out + "/weights.bin", rows.data(), rows.size() * 4);
    write_file(out + "/cycles.bin", sample_end.data(), sample_end.size() * 8);
    write_file(out + "/starts.bin", sample_start.data(), sample_start.size() * 8);
    FILE* f = std::fopen((out + "/stats.json").c_str(), "w");
    if (!f) return 2;
    std::fprintf(f,
                 "{\"train_cycles\": %llu, \"train_cpu_seconds\": %.6f, "
                 "\"readback_cycles\": %llu, \"readback_cpu_seconds\": %.6f, "
                 "\"eval_cycles\": %llu, \"eval_cpu_seconds\": %.6f, "
                 "\"train_start\": %llu, \"eval_start\": %llu, \"train_phase_cycles\": [",
                 (unsigned long long)phase_cycles[0], cpu[0], (unsigned long long)phase_cycles[1],
                 cpu[1], (unsigned long long)phase_cycles[2], cpu[2],
                 (unsigned long long)phase_start[0], (unsigned long long)phase_start[2]);
    for (int i = 0; i < 16; ++i)
        std::fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)top_phase_cycles[i]);
    std::fprintf(f, "]}\n");
    std::fclose(f);
    return 0;
}
