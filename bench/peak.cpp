// fma_peak_gflops: the float32 FMA throughput of this machine, every other figure's yardstick.
//
// A core retires at most (FMA units) x (lanes per vector) fused multiply-adds per cycle, but one
// chain acc = acc * x + y can issue only once every FMA latency (about 4 cycles). So the loop
// keeps `chains` independent accumulators, each a full vector: with 2 FMA units and 4 cycles of
// latency, 8 chains are the minimum and 16 leave room. It is the widest vector GCC will emit
// here (512-bit where AVX-512 exists, the same attribute the GEMM micro-kernel uses), and the
// compiled loop is one FMA after another (check with objdump -d: vfmadd...ps on zmm registers).
// Each FMA counts as 2 flops, as in the GFLOP/s of a matrix product (2 M N K).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv::bench {
namespace {

#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
constexpr int lanes = 16;
#define QKV_BENCH_WIDE_VECTORS __attribute__((target("prefer-vector-width=512"), noinline))
#elif defined(__AVX__)
constexpr int lanes = 8;
#define QKV_BENCH_WIDE_VECTORS __attribute__((noinline))
#else
constexpr int lanes = 4;
#define QKV_BENCH_WIDE_VECTORS __attribute__((noinline))
#endif
constexpr int chains = 16;

// acc converges to y / (1 - x) = 1, so no value overflows or turns subnormal however long it runs.
QKV_BENCH_WIDE_VECTORS float fma_loop(std::int64_t iterations, float x, float y) {
    float acc[chains][lanes];
    for (int i = 0; i < chains; ++i)
        for (int j = 0; j < lanes; ++j) acc[i][j] = static_cast<float>(i + j) / 64.0f;
    for (std::int64_t it = 0; it < iterations; ++it) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
        for (int i = 0; i < chains; ++i) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 1
#endif
            for (int j = 0; j < lanes; ++j) acc[i][j] = acc[i][j] * x + y;
        }
    }
    float s = 0;  // returned so that the loop is not optimised away
    for (int i = 0; i < chains; ++i)
        for (int j = 0; j < lanes; ++j) s += acc[i][j];
    return s;
}

// GFLOP/s of `threads` threads each running the loop at once.
double peak_gflops(int threads) {
    const std::int64_t iterations = 500'000;  // 16 chains x 16 lanes x 2 flops x 5e5 = 0.26 GFLOP a thread
    const int old = num_threads();
    set_num_threads(threads);
    std::vector<float> sink(static_cast<std::size_t>(threads));
    volatile float x = 0.999999f, y = 1e-6f;  // volatile: not known at compile time
    const float xv = x, yv = y;
    // The fastest of 7 runs: a peak is the best the machine can do, and on a shared machine
    // any run may lose its core for a while.
    double t = 1e30;
    for (int run = 0; run < 8; ++run) {
        const double s = seconds([&] {
            parallel_for(threads, 1, [&](std::int64_t first, std::int64_t last) {
                for (std::int64_t i = first; i < last; ++i) sink[static_cast<std::size_t>(i)] = fma_loop(iterations, xv, yv);
            });
        });
        if (run > 0) t = std::min(t, s);  // run 0 warms up (starts the pool's threads)
    }
    set_num_threads(old);
    return 2.0 * chains * lanes * static_cast<double>(iterations) * threads / t / 1e9;
}

}  // namespace

void measure_fma_peak(Report& report) {
    const double one = peak_gflops(1), all = peak_gflops(num_threads());
    report.json["fma_peak_gflops"] = all;
    report.json["fma_peak_gflops_1_thread"] = one;
    char line[160];
    std::snprintf(line, sizeof line, "fma peak (float32)          %8.1f GFLOP/s with 1 thread, %8.1f with %d", one,
                  all, num_threads());
    report.lines.emplace_back(line);
}

}  // namespace qkv::bench
