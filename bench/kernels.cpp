// kernels: forward + backward time of the row-wise ops every transformer layer runs, in
// nanoseconds per input element, on one (4096, 1024) float32 input (16 MB: out of L2, so these
// are memory-bound kernels and a good one streams each array as few times as it can).
#include <cstdio>
#include <functional>
#include <string>

#include "autograd/autograd.hpp"
#include "bench/bench.hpp"
#include "tensor/tensor.hpp"

namespace qkv::bench {

void measure_kernels(Report& report, bool quick) {
    const std::int64_t rows = 4096, cols = 1024;
    Generator gen(1);
    const Tensor x = randn({rows, cols}, 0, 1, DType::Float32, gen);  // (rows, cols)
    const Tensor g = randn({rows, cols}, 0, 1, DType::Float32, gen);  // upstream gradient
    const Tensor targets = randint(0, cols, {rows}, gen);             // (rows)
    const Tensor w = randn({cols}, 1, 0.1, DType::Float32, gen), b = randn({cols}, 0, 0.1, DType::Float32, gen);

    // Each case builds a fresh graph from leaves and runs backward through it.
    const std::pair<const char*, std::function<void()>> cases[] = {
        {"softmax", [&] { Var v(x, true); softmax(v, -1).backward(g); }},
        {"log_softmax_nll", [&] { Var v(x, true); cross_entropy(v, targets).backward(); }},
        {"layer_norm", [&] { Var v(x, true), vw(w, true), vb(b, true); layer_norm(v, vw, vb).backward(g); }},
        {"gelu", [&] { Var v(x, true); gelu(v).backward(g); }},
    };
    Json out = Json::object();
    report.lines.emplace_back("kernels, fwd+bwd on (4096, 1024)      ns/element");
    for (const auto& [name, run] : cases) {
        const double t = median_seconds_within(quick ? 0.2 : 1.0, run);
        const double ns = t * 1e9 / static_cast<double>(rows * cols);
        out[name] = ns;
        char line[120];
        std::snprintf(line, sizeof line, "  %-34s %10.3f", name, ns);
        report.lines.emplace_back(line);
    }
    report.json["kernels"] = out;
}

}  // namespace qkv::bench
