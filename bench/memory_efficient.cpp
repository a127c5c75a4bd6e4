// memory_efficient_attention: forward + backward time and peak memory of the naive attention
// (scaled_dot_product_attention, which stores the (B, H, T, T) scores) and the tiled one
// (memory_efficient_attention), q, k, v (B, H, T, d) float32 with B = 8, H = 4, d = 64 and
// T = 256, 1024, 4096.
// kv_cache_decoding: greedy decoding of 64 tokens with lesson 06's model shape (d_model 32,
// 4 heads, 2 + 2 layers), with the KV cache and without it (the whole prefix re-run each step).
//
// Peak memory: Linux's high-water mark of resident memory (VmHWM), reset before each run by
// writing 5 to /proc/self/clear_refs, minus the resident memory before the run (q, k, v and the
// upstream gradient are allocated before the baseline). qkv's cache of freed blocks is emptied
// and malloc's spare memory handed back first (reset_peak_rss), so each run starts from the
// same state.
#include <sys/resource.h>

#include <cstdio>

#include "autograd/autograd.hpp"
#include "bench/bench.hpp"
#include "nn/attention/memory_efficient.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "nn/transformer/kv_cache.hpp"
#include "tensor/tensor.hpp"

namespace qkv::bench {

namespace {

// The peak resident memory f adds, in MB (0 where /proc is missing).
template <class F> double peak_added_mb(F&& f) {
    storage_cache::clear();
    reset_peak_rss();
    const double before = proc_status_mb("VmRSS:");
    f();
    return proc_status_mb("VmHWM:") - before;
}

// Process CPU seconds (user + system, all threads) so far.
double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Median wall and CPU seconds of `runs` calls after one warm-up call (none when runs == 1).
// On a shared machine the wall time depends on what else runs; the CPU time much less.
struct Cost {
    double wall, cpu;
};
template <class F> Cost median_cost(int runs, F&& f) {
    if (runs > 1) f();
    std::vector<double> wall, cpu;
    for (int i = 0; i < runs; ++i) {
        const double c0 = cpu_seconds();
        wall.push_back(seconds(f));
        cpu.push_back(cpu_seconds() - c0);
        storage_cache::clear();
    }
    std::sort(wall.begin(), wall.end()), std::sort(cpu.begin(), cpu.end());
    return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

}  // namespace

void measure_memory_efficient(Report& report, bool quick) {
    const std::int64_t B = 8, H = 4, d = 64;
    Json out = Json::array();
    report.lines.emplace_back(
        "attention fwd+bwd, B=8 H=4 d=64   naive ms (cpu)    tiled ms (cpu)      naive MB  tiled MB");
    for (const std::int64_t T : {256, 1024, 4096}) {
        if (quick && T > 1024) break;
        Generator gen(static_cast<std::uint64_t>(T));
        const Tensor q = randn({B, H, T, d}, 0, 1, DType::Float32, gen);  // (B, H, T, d)
        const Tensor k = randn({B, H, T, d}, 0, 1, DType::Float32, gen);
        const Tensor v = randn({B, H, T, d}, 0, 1, DType::Float32, gen);
        const Tensor g = randn({B, H, T, d}, 0, 1, DType::Float32, gen);  // upstream gradient
        const auto naive = [&] {
            Var vq(q, true), vk(k, true), vv(v, true);
            nn::scaled_dot_product_attention(vq, vk, vv).output.backward(g);
        };
        const auto tiled = [&] {
            Var vq(q, true), vk(k, true), vv(v, true);
            nn::memory_efficient_attention(vq, vk, vv).backward(g);
        };
        // The largest size runs each once (a naive run there holds several GB).
        const int runs = T >= 4096 ? 1 : (quick ? 3 : 5);
        const double naive_mb = peak_added_mb(naive), tiled_mb = peak_added_mb(tiled);
        const Cost n = median_cost(runs, naive), t = median_cost(runs, tiled);
        out.push_back(Json::object({{"T", T},
                                    {"naive_ms", n.wall * 1e3},
                                    {"tiled_ms", t.wall * 1e3},
                                    {"naive_cpu_ms", n.cpu * 1e3},
                                    {"tiled_cpu_ms", t.cpu * 1e3},
                                    {"naive_peak_mb", naive_mb},
                                    {"tiled_peak_mb", tiled_mb}}));
        char line[160];
        std::snprintf(line, sizeof line, "  T = %-22lld %9.1f (%9.1f) %9.1f (%9.1f) %9.1f %9.1f", static_cast<long long>(T),
                      n.wall * 1e3, n.cpu * 1e3, t.wall * 1e3, t.cpu * 1e3, naive_mb, tiled_mb);
        report.lines.emplace_back(line);
    }
    report.json["memory_efficient_attention"] = out;
}

void measure_kv_cache(Report& report, bool quick) {
    nn::TransformerConfig c;  // lesson 06's defaults: d_model 32, d_ff 64, 2 + 2 layers
    c.src_vocab_size = c.tgt_vocab_size = 32;
    c.d_model = 32, c.num_heads = 4, c.d_ff = 64, c.num_encoder_layers = c.num_decoder_layers = 2;
    c.max_len = 70;
    Generator init(1);
    nn::Transformer model(c, init);
    model.eval();
    NoGradGuard no_grad;
    const std::int64_t B = 8, steps = 64;
    Generator gen(2);
    const Tensor src = randint(3, 32, {B, 16}, gen);  // (B, Ts)
    const Var memory = model.encode(src);             // (B, Ts, D)
    // Greedy decoding without stopping, so both runs make exactly `steps` tokens.
    const auto argmax_rows = [&](const Var& hidden) {  // (B, D) -> next tokens (B)
        return argmax(model.project(hidden).data(), -1);
    };
    const auto uncached = [&] {
        Tensor ids = full({B, 1}, 1.0, DType::Int64);  // [BOS]
        for (std::int64_t t = 0; t < steps; ++t) {
            const Var h = model.decode(ids, memory).select(1, t);                 // (B, D): the whole prefix again
            ids = concat({ids, argmax_rows(h).unsqueeze(1)}, 1);                  // (B, t + 2)
        }
        return ids;
    };
    const auto cached = [&] {
        nn::KVCache cache = nn::start_kv_cache(model, memory, Tensor(), steps);
        Tensor ids = full({B, 1}, 1.0, DType::Int64);
        for (std::int64_t t = 0; t < steps; ++t) {
            const Var h = nn::decode_next(model, ids.select(1, t).contiguous(), cache);  // (B, D): one position
            ids = concat({ids, argmax_rows(h).unsqueeze(1)}, 1);
        }
        return ids;
    };
    const bool same = equal(uncached(), cached());
    const Cost slow_cost = median_cost(quick ? 3 : 7, uncached), fast_cost = median_cost(quick ? 3 : 7, cached);
    const double slow = slow_cost.wall, fast = fast_cost.wall;
    report.json["kv_cache_decoding"] = Json::object({{"tokens", steps},
                                                     {"batch", B},
                                                     {"uncached_ms", slow * 1e3},
                                                     {"cached_ms", fast * 1e3},
                                                     {"speedup", slow / fast},
                                                     {"uncached_cpu_ms", slow_cost.cpu * 1e3},
                                                     {"cached_cpu_ms", fast_cost.cpu * 1e3},
                                                     {"same_tokens", same}});
    char line[160];
    std::snprintf(line, sizeof line,
                  "greedy decode 64 tokens, B=8: no cache %.1f ms (cpu %.1f), KV cache %.1f ms (cpu %.1f): %.2fx, %s",
                  slow * 1e3, slow_cost.cpu * 1e3, fast * 1e3, fast_cost.cpu * 1e3, slow / fast,
                  same ? "same tokens" : "TOKENS DIFFER");
    report.lines.emplace_back(line);
}

}  // namespace qkv::bench
