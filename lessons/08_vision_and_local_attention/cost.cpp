#include "lessons/08_vision_and_local_attention/cost.hpp"

#include <algorithm>
#include <chrono>

#include "nn/attention/masks.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "nn/attention/sliding_window.hpp"

namespace qkv::lesson08 {

namespace {

template <class F>
double best_ms(F&& f, int repeats) {
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

}  // namespace

std::vector<CostRow> attention_cost(const std::vector<std::int64_t>& lengths, std::int64_t w, std::int64_t d,
                                    std::int64_t global_tokens, std::uint64_t seed, bool measure_time) {
    std::vector<CostRow> rows;
    Generator gen(seed);
    NoGradGuard no_grad;
    for (const std::int64_t T : lengths) {
        CostRow r;
        r.T = T;
        r.global_scores = T * T;
        r.local_scores = nn::attention::band_scores(T, w);
        std::vector<std::int64_t> globals;
        for (std::int64_t g = 0; g < std::min(global_tokens, T); ++g) globals.push_back(g);
        // Counted from the mask itself for small T; for large T the mask is T^2 bytes, so
        // count the band and add the global rows and columns it opens (minus their overlap
        // and what the band already had open).
        if (T <= 1024) {
            r.local_global_scores = nn::attention::open_scores(nn::attention::band_global_mask(T, w, globals));
        } else {
            const std::int64_t G = static_cast<std::int64_t>(globals.size());
            std::int64_t band_in_global = 0;  // band cells in the global rows or columns
            for (std::int64_t i = 0; i < T; ++i)
                for (std::int64_t j = std::max<std::int64_t>(0, i - w); j <= std::min(T - 1, i + w); ++j)
                    band_in_global += (i < G || j < G);
            r.local_global_scores = r.local_scores - band_in_global + (2 * G * T - G * G);
        }
        r.global_flops = 4.0 * static_cast<double>(d) * static_cast<double>(r.global_scores);
        r.local_flops = 4.0 * static_cast<double>(d) * static_cast<double>(r.local_scores);
        if (measure_time) {
            const Var q(randn({1, T, d}, 0, 1, DType::Float32, gen)), k(randn({1, T, d}, 0, 1, DType::Float32, gen)),
                v(randn({1, T, d}, 0, 1, DType::Float32, gen));
            const int repeats = T <= 1024 ? 5 : 1;
            // Past T = 1024 the queries go through in blocks of 512, so the (T, T) scores never
            // sit in memory at once (64 MB each at T = 4096): the same T^2 work, less memory.
            r.global_ms = best_ms(
                [&] {
                    for (std::int64_t start = 0; start < T; start += 512)
                        (void)nn::scaled_dot_product_attention(q.narrow(1, start, std::min<std::int64_t>(512, T - start)), k, v);
                },
                repeats);
            r.local_ms = best_ms([&] { (void)nn::attention::sliding_window_attention(q, k, v, w); }, repeats);
        }
        rows.push_back(r);
    }
    return rows;
}

}  // namespace qkv::lesson08
