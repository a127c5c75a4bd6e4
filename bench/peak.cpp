// fma_peak_gflops: the float32 FMA throughput of this machine, every other figure's yardstick.
//
// A core retires at most (FMA units) x (lanes per vector) fused multiply-adds per cycle, but one
// chain acc = acc * x + y can issue only once every FMA latency (4 cycles on recent Intel cores
// and AMD's Zen 3 and 4, 5 on Haswell and Zen 1 and 2). So the loop keeps `chains` independent
// accumulators, each a full vector: with 2 FMA units and 5 cycles of latency, 10 chains are the
// minimum. The chains, x and y must all stay
// in registers, or the loop measures loads and stores instead:
//   - AVX-512: 32 registers of 16 floats; 16 chains leave room.
//   - AVX2 + FMA: 16 registers of 8 floats; 12 chains + x + y = 14. (16 chains, as the AVX-512
//     loop has, spill to the stack: an earlier version of this file did that and reported about
//     half of an AVX2 machine's peak, below what its own SGEMM reached.)
// The loop is written with intrinsics so that the instruction set, not the compiler's choice of
// vector width, decides what runs: `objdump -d` shows 16 `vfmadd...ps` on zmm or 12 on ymm
// registers and nothing else in the loop.
// Each FMA counts as 2 flops, as in the GFLOP/s of a matrix product (2 M N K).
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv::bench {
namespace {

#if defined(__AVX512F__)
using Vector = __m512;
constexpr int lanes = 16, chains = 16;
inline Vector broadcast(float v) { return _mm512_set1_ps(v); }
inline Vector multiply_add(Vector a, Vector x, Vector y) { return _mm512_fmadd_ps(a, x, y); }
#elif defined(__AVX2__) && defined(__FMA__)
using Vector = __m256;
constexpr int lanes = 8, chains = 12;
inline Vector broadcast(float v) { return _mm256_set1_ps(v); }
inline Vector multiply_add(Vector a, Vector x, Vector y) { return _mm256_fmadd_ps(a, x, y); }
#elif defined(__SSE2__)  // x86-64 without AVX2 and FMA (-DQKV_NATIVE=OFF, or an older CPU): a multiply and an add
using Vector = __m128;
constexpr int lanes = 4, chains = 12;
inline Vector broadcast(float v) { return _mm_set1_ps(v); }
inline Vector multiply_add(Vector a, Vector x, Vector y) { return _mm_add_ps(_mm_mul_ps(a, x), y); }
#else  // another architecture: 128-bit vectors in GCC's and Clang's vector extension
using Vector = float __attribute__((vector_size(16)));
constexpr int lanes = 4, chains = 12;
inline Vector broadcast(float v) { return Vector{v, v, v, v}; }
inline Vector multiply_add(Vector a, Vector x, Vector y) { return a * x + y; }
#endif

// acc converges to y / (1 - x) = 1, so no value overflows or turns subnormal however long it runs.
__attribute__((noinline)) float fma_loop(std::int64_t iterations, float x_value, float y_value) {
    const Vector x = broadcast(x_value), y = broadcast(y_value);
    Vector acc[chains];
    for (int i = 0; i < chains; ++i) acc[i] = broadcast(static_cast<float>(i) / 64.0f);
    for (std::int64_t it = 0; it < iterations; ++it) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
        for (int i = 0; i < chains; ++i) acc[i] = multiply_add(acc[i], x, y);
    }
    float s = 0;  // returned so that the loop is not optimised away
    for (int i = 0; i < chains; ++i) {
        float lane[lanes];
        std::memcpy(lane, &acc[i], sizeof lane);
        for (float v : lane) s += v;
    }
    return s;
}
// GFLOP/s of `threads` threads each running the loop at once.
double peak_gflops(int threads) {
    // 2 GFLOP a thread a run: 10 to 20 ms at this machine's speeds, long enough that waking the
    // pool's threads (microseconds, up to a millisecond when the scheduler is slow) is noise.
    const std::int64_t iterations = 1'000'000'000 / (chains * lanes);
    const ThreadCountGuard count(threads);
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
