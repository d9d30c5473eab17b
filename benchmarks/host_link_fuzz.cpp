// Verilator harness of the host-link ProtocolEngine for benchmarks/host_link_fuzz.py.
//
// No Python per cycle: the wire bytes come in bulk from DIR/in.bin (u16 records: bits 0-7 the
// byte, bit 8 its UART error flag; 0xFFFF = dump the network's weights here) and go in one per
// cycle whenever i_bytes is ready. Stop-and-wait as a host: after an END byte (0xC0 without the
// error flag) the next byte waits until the engine has been quiet (busy low, nothing on o_bytes,
// no network reply pending) for `quiet` cycles; `max_wait` cycles bound each wait (a longer one
// counts as a stall). o_bytes, o_sample, o_read_req and o_write see a pseudo-random ready
// (`ready_percent` % of cycles).
//
// Behind the network ports runs the stand-in network of snnforge.host.engine.StandInNetwork:
// weights (layer, row) -> lanes (initial lane value wrap(layer*37 + row*11 + lane*5 - 20)),
// winner = (sum(i * pixel_i) + key + 7 * learn) % n_out, a learn sample adds 1 to
// W2[label][label] (wrapping). The weight ports carry one network word per beat (`w1_lanes`
// W1 weights, `w1_words` beats per W1 row, word 0 first; a W2 row in one beat; `beat_lanes`
// lanes each): a read request is answered with the row's beats, and a row is written when its
// last word arrives (a word out of order or a non-zero lane past a word's width counts as a
// lane violation). `flip_write` = k >= 0 corrupts the k-th row write (a harness self-test: the
// scoreboard must then report corrupted weights).
//
// Outputs in DIR: out.bin (the o_bytes stream), weights.bin (per dump, W1 rows 0..n_in then W2
// rows 0..n_hidden, `lanes` int32 each), stats.json.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "Vtop.h"
#include "verilated.h"

namespace {

std::map<std::string, std::string> g_args;

int64_t arg_i(const char* name) {
    auto it = g_args.find(name);
    if (it == g_args.end()) {
        std::fprintf(stderr, "host_link_fuzz: missing argument %s=\n", name);
        std::exit(2);
    }
    return std::strtoll(it->second.c_str(), nullptr, 10);
}

std::string arg_s(const char* name) {
    auto it = g_args.find(name);
    if (it == g_args.end()) {
        std::fprintf(stderr, "host_link_fuzz: missing argument %s=\n", name);
        std::exit(2);
    }
    return it->second;
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

struct Net {
    int n_in, n_hidden, n_out, bits, lanes;
    std::map<std::pair<int, int>, std::vector<int64_t>> w;

    int64_t wrap(int64_t v) const {
        int64_t half = int64_t(1) << (bits - 1);
        int64_t m = 2 * half;
        return ((v + half) % m + m) % m - half;
    }
    std::vector<int64_t> read(int layer, int row) const {
        auto it = w.find({layer, row});
        if (it != w.end()) return it->second;
        std::vector<int64_t> out(lanes);
        for (int l = 0; l < lanes; ++l) out[l] = wrap(layer * 37 + row * 11 + l * 5 - 20);
        return out;
    }
    int sample(const std::vector<int>& px, int label, int learn, uint64_t key) {
        uint64_t s = 0;
        for (int i = 0; i < n_in; ++i) s += uint64_t(i) * uint64_t(px[i]);
        int winner = int((s + key + 7 * uint64_t(learn)) % uint64_t(n_out));
        if (learn) {
            auto row = read(1, label);
            row[label] = wrap(row[label] + 1);
            w[{1, label}] = row;
        }
        return winner;
    }
};

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto eq = a.find('=');
        if (eq != std::string::npos) g_args[a.substr(0, eq)] = a.substr(eq + 1);
    }
    const std::string dir = arg_s("dir");
    Net net{int(arg_i("n_in")), int(arg_i("n_hidden")), int(arg_i("n_out")),
            int(arg_i("weight_bits")), 0, {}};
    net.lanes = std::max(net.n_hidden, net.n_out);
    const unsigned pix_lo = arg_i("pix_lo"), label_lo = arg_i("label_lo"),
                   label_len = arg_i("label_len"), learn_lo = arg_i("learn_lo"),
                   key_lo = arg_i("key_lo"), layer_lo = arg_i("layer_lo"),
                   row_lo = arg_i("row_lo"), row_len = arg_i("row_len"),
                   weights_lo = arg_i("weights_lo"), word_lo = arg_i("word_lo"),
                   word_len = arg_i("word_len");
    const int w1_lanes = int(arg_i("w1_lanes")), w1_words = int(arg_i("w1_words")),
              beat_lanes = int(arg_i("beat_lanes"));
    const int64_t quiet_needed = arg_i("quiet"), max_wait = arg_i("max_wait");
    const uint32_t ready_percent = uint32_t(arg_i("ready_percent"));
    const int64_t flip_write = arg_i("flip_write");
    uint64_t lfsr = uint64_t(arg_i("seed")) * 0x9E3779B97F4A7C15ull + 1;
    auto rnd = [&]() {  // xorshift64
        lfsr ^= lfsr << 13; lfsr ^= lfsr >> 7; lfsr ^= lfsr << 17;
        return uint32_t(lfsr >> 32);
    };

    std::vector<uint16_t> rec;
    {
        FILE* f = std::fopen((dir + "/in.bin").c_str(), "rb");
        if (!f) { std::fprintf(stderr, "host_link_fuzz: no %s/in.bin\n", dir.c_str()); return 2; }
        uint16_t buf[4096];
        size_t n;
        while ((n = std::fread(buf, 2, 4096, f)) > 0) rec.insert(rec.end(), buf, buf + n);
        std::fclose(f);
    }
    FILE* fout = std::fopen((dir + "/out.bin").c_str(), "wb");
    FILE* fw = std::fopen((dir + "/weights.bin").c_str(), "wb");

    auto* ctx = new VerilatedContext;
    auto* top = new Vtop{ctx};
    auto tick = [&]() { top->clk = 1; top->eval(); top->clk = 0; top->eval(); };
    top->clk = 0; top->rst = 1;
    top->i_bytes___05Fvalid = 0; top->o_bytes___05Fready = 0; top->o_sample___05Fready = 0;
    top->o_read_req___05Fready = 0; top->o_write___05Fready = 0; top->i_result___05Fvalid = 0;
    top->i_read_word___05Fvalid = 0;
    top->eval();
    for (int i = 0; i < 4; ++i) tick();
    top->rst = 0;
    top->eval();

    const double t0 = double(std::clock()) / CLOCKS_PER_SEC;
    uint64_t cycles = 0, bytes_in = 0, bytes_out = 0, samples = 0, writes = 0, resets = 0,
             reads = 0, dumps = 0, stalls = 0, lane_violations = 0;
    int64_t longest_wait = 0;
    std::vector<int> beats;
    int s_label = 0, s_learn = 0;
    uint64_t s_key = 0;
    bool result_pending = false;
    int result = 0;
    std::vector<std::vector<int64_t>> reply;    // read-back beats still to answer
    std::vector<int64_t> wr_row(net.lanes);      // the row being written, word by word
    int wr_words = 0, wr_layer = 0, wr_r = 0;
    size_t idx = 0;
    bool waiting = false;
    int64_t quiet = 0, waited = 0;

    auto dump = [&]() {
        for (int layer = 0; layer < 2; ++layer) {
            int rows = (layer == 0 ? net.n_in : net.n_hidden) + 1;
            for (int r = 0; r < rows; ++r) {
                auto v = net.read(layer, r);
                for (int l = 0; l < net.lanes; ++l) {
                    int32_t x = int32_t(v[l]);
                    std::fwrite(&x, 4, 1, fw);
                }
            }
        }
        ++dumps;
    };

    while (true) {
        if (!waiting && idx < rec.size() && rec[idx] == 0xFFFF) { dump(); ++idx; continue; }
        if (!waiting && idx >= rec.size()) break;
        const bool offer = !waiting;
        top->i_bytes___05Fvalid = offer;
        if (offer) top->i_bytes___05Fpayload = rec[idx] & 0x1FF;
        top->o_bytes___05Fready = (rnd() % 100) < ready_percent;
        top->o_sample___05Fready = (rnd() % 100) < ready_percent;
        const bool row_pending = !reply.empty();
        top->o_read_req___05Fready = !row_pending && (rnd() % 100) < ready_percent;
        top->o_write___05Fready = (rnd() % 100) < ready_percent;
        top->i_result___05Fvalid = result_pending;
        top->i_result___05Fpayload = result;
        top->i_read_word___05Fvalid = row_pending;
        if (row_pending) {
            uint64_t packed = 0;
            for (int l = 0; l < beat_lanes; ++l)
                packed |= (uint64_t(reply[0][l]) & ((uint64_t(1) << net.bits) - 1))
                          << (l * net.bits);
            top->i_read_word___05Fpayload = packed;
        }
        top->eval();
        const bool took_in = offer && top->i_bytes___05Fready;
        if (top->o_bytes___05Fvalid && top->o_bytes___05Fready) {
            uint8_t b = top->o_bytes___05Fpayload;
            std::fputc(b, fout);
            ++bytes_out;
        }
        if (top->o_sample___05Fvalid && top->o_sample___05Fready) {
            beats.push_back(int(field(top->o_sample___05Fpayload, pix_lo, 8)));
            s_label = int(field(top->o_sample___05Fpayload, label_lo, label_len));
            s_learn = int(field(top->o_sample___05Fpayload, learn_lo, 1));
            s_key = field(top->o_sample___05Fpayload, key_lo, 32);
        }
        const bool took_result = result_pending && top->i_result___05Fready;
        const bool took_row = row_pending && top->i_read_word___05Fready;
        bool new_row = false;
        int req_layer = 0, req_row = 0;
        if (top->o_read_req___05Fvalid && top->o_read_req___05Fready) {
            new_row = true;
            req_layer = int(field(top->o_read_req___05Fpayload, layer_lo, 1));
            req_row = int(field(top->o_read_req___05Fpayload, row_lo, row_len));
        }
        if (top->o_write___05Fvalid && top->o_write___05Fready) {
            int layer = int(field(top->o_write___05Fpayload, layer_lo, 1));
            int r = int(field(top->o_write___05Fpayload, row_lo, row_len));
            int k = int(field(top->o_write___05Fpayload, word_lo, word_len));
            if (k != wr_words || (k > 0 && (layer != wr_layer || r != wr_r))) ++lane_violations;
            if (k == 0) std::fill(wr_row.begin(), wr_row.end(), 0);
            wr_layer = layer; wr_r = r; wr_words = k + 1;
            const int width = layer == 0 ? net.n_hidden : net.n_out;
            const int per = layer == 0 ? w1_lanes : net.n_out;
            for (int l = 0; l < beat_lanes; ++l) {
                uint64_t raw = field(top->o_write___05Fpayload, weights_lo + l * net.bits, net.bits);
                int64_t s = int64_t(raw);
                if (raw >> (net.bits - 1)) s -= int64_t(1) << net.bits;
                const int post = k * per + l;
                if (l < per && post < width) wr_row[post] = s;
                else if (s != 0) ++lane_violations;
            }
            if (layer == 1 || wr_words == w1_words) {   // the row's last word
                std::vector<int64_t> v = wr_row;
                if (int64_t(writes) == flip_write) v[0] = net.wrap(v[0] + 1);
                net.w[{layer, r}] = v;
                ++writes;
                wr_words = 0;
            }
        }
        if (top->net_reset) ++resets;
        const bool busy = top->busy || top->o_bytes___05Fvalid || result_pending || row_pending ||
                          !beats.empty() || wr_words != 0;
        tick();
        ++cycles;
        if (took_in) {
            ++bytes_in;
            if (rec[idx] == 0xC0) { waiting = true; quiet = 0; waited = 0; }
            ++idx;
        }
        if (took_result) result_pending = false;
        if (took_row) reply.erase(reply.begin());
        if (new_row) {   // the row's beats: W1 words of w1_lanes weights, or the W2 row
            const auto row = net.read(req_layer, req_row);
            const int width = req_layer == 0 ? net.n_hidden : net.n_out;
            const int per = req_layer == 0 ? w1_lanes : net.n_out;
            for (int k = 0; k * per < width; ++k) {
                std::vector<int64_t> beat(beat_lanes, 0);
                for (int l = 0; l < per && k * per + l < width; ++l) beat[l] = row[k * per + l];
                reply.push_back(beat);
            }
            ++reads;
        }
        if (int(beats.size()) == net.n_in) {
            result = net.sample(beats, s_label, s_learn, s_key);
            result_pending = true;
            beats.clear();
            ++samples;
        }
        if (waiting) {
            quiet = busy ? 0 : quiet + 1;
            ++waited;
            if (quiet >= quiet_needed) {
                waiting = false;
                longest_wait = std::max(longest_wait, waited);
            } else if (waited > max_wait) {
                ++stalls;
                waiting = false;
            }
        }
    }
    // drain: the last response
    for (int64_t q = 0, n = 0; q < quiet_needed && n < max_wait; ++n) {
        top->i_bytes___05Fvalid = 0;
        top->o_bytes___05Fready = 1;
        top->o_write___05Fready = 1;
        top->eval();
        bool busy = top->busy || top->o_bytes___05Fvalid;
        if (top->o_bytes___05Fvalid) { std::fputc(uint8_t(top->o_bytes___05Fpayload), fout); ++bytes_out; }
        tick();
        ++cycles;
        q = busy ? 0 : q + 1;
    }
    const double cpu = double(std::clock()) / CLOCKS_PER_SEC - t0;
    std::fclose(fout);
    std::fclose(fw);
    FILE* fs = std::fopen((dir + "/stats.json").c_str(), "w");
    std::fprintf(fs,
                 "{\"cycles\": %llu, \"cpu_seconds\": %.6f, \"bytes_in\": %llu, "
                 "\"bytes_out\": %llu, \"samples\": %llu, \"writes\": %llu, \"reads\": %llu, "
                 "\"resets\": %llu, \"dumps\": %llu, \"stalls\": %llu, "
                 "\"lane_violations\": %llu, \"longest_wait_cycles\": %lld}\n",
                 (unsigned long long)cycles, cpu, (unsigned long long)bytes_in,
                 (unsigned long long)bytes_out, (unsigned long long)samples,
                 (unsigned long long)writes, (unsigned long long)reads,
                 (unsigned long long)resets, (unsigned long long)dumps,
                 (unsigned long long)stalls, (unsigned long long)lane_violations,
                 (long long)longest_wait);
    std::fclose(fs);
    top->final();
    delete top;
    delete ctx;
    return 0;
}
