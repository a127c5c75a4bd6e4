// attention: forward + backward of causal-free scaled dot-product attention over (B, H) at
// once, q, k, v (B, H, T, d) with B = 8, H = 4, d = 32 and T = 64, 256, 1024: two batched
// matmuls and a softmax over (B, H, T, T) scores, and their backward.
#include <cstdio>

#include "autograd/autograd.hpp"
#include "bench/bench.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "tensor/tensor.hpp"

namespace qkv::bench {

void measure_attention(Report& report, bool quick) {
    const std::int64_t B = 8, H = 4, d = 32;
    Json out = Json::array();
    report.lines.emplace_back("attention fwd+bwd, B=8 H=4 d=32          ms");
    for (const std::int64_t T : {64, 256, 1024}) {
        Generator gen(static_cast<std::uint64_t>(T));
        const Tensor q = randn({B, H, T, d}, 0, 1, DType::Float32, gen);  // (B, H, T, d)
        const Tensor k = randn({B, H, T, d}, 0, 1, DType::Float32, gen);  // (B, H, T, d)
        const Tensor v = randn({B, H, T, d}, 0, 1, DType::Float32, gen);  // (B, H, T, d)
        const Tensor g = randn({B, H, T, d}, 0, 1, DType::Float32, gen);  // upstream gradient
        const double t = median_seconds_within(quick ? 0.2 : 1.0, [&] {
            Var vq(q, true), vk(k, true), vv(v, true);
            nn::scaled_dot_product_attention(vq, vk, vv).output.backward(g);
        });
        out.push_back(Json::object({{"T", T}, {"ms", t * 1e3}}));
        char line[120];
        std::snprintf(line, sizeof line, "  T = %-32lld %10.3f", static_cast<long long>(T), t * 1e3);
        report.lines.emplace_back(line);
    }
    report.json["attention"] = out;
}

}  // namespace qkv::bench
