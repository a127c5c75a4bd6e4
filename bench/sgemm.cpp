// sgemm: square float32 C = A @ B at n = 64 .. 2048, with 1 thread and with all threads,
// through the same gemm() that matmul() calls. GFLOP/s = 2 n^3 / seconds, from the fastest run
// (as the FMA peak is: what the machine can do when no other program takes the core away);
// the JSON also holds the median run's figure.
#include <cstdio>
#include <vector>

#include "bench/bench.hpp"
#include "tensor/matmul.hpp"
#include "tensor/random.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv::bench {

void measure_sgemm(Report& report, bool quick) {
    const int all = num_threads();
    Json rows = Json::array();
    std::vector<int> counts{1};
    if (all > 1) counts.push_back(all);
    report.lines.emplace_back("sgemm (GFLOP/s)             n    1 thread" +
                              std::string(all > 1 ? "   " + std::to_string(all) + " threads" : ""));
    for (const std::int64_t n : {64, 128, 256, 512, 1024, 2048}) {
        if (quick && n > 512) break;
        Generator gen(n);
        std::vector<float> a(static_cast<std::size_t>(n * n)), b(a.size()), c(a.size());
        for (auto& v : a) v = static_cast<float>(gen.uniform() - 0.5);
        for (auto& v : b) v = static_cast<float>(gen.uniform() - 0.5);
        char line[160];
        int used = std::snprintf(line, sizeof line, "                         %5lld", static_cast<long long>(n));
        for (const int threads : counts) {
            set_num_threads(threads);
            const Timing t = timing_within(quick ? 0.1 : 1.0, [&] {
                gemm<float>(n, n, n, a.data(), n, 1, b.data(), n, 1, c.data(), n);
            });
            const double flop = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
            const double gflops = flop / t.best / 1e9;
            rows.push_back(Json::object(
                {{"n", n}, {"threads", threads}, {"gflops", gflops}, {"gflops_median", flop / t.median / 1e9}}));
            used += std::snprintf(line + used, sizeof line - static_cast<std::size_t>(used), "  %10.1f", gflops);
        }
        set_num_threads(all);
        report.lines.emplace_back(line);
    }
    report.json["sgemm"] = rows;
}

}  // namespace qkv::bench
