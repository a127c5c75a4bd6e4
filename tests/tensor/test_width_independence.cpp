// The same numbers on every x86-64 CPU with FMA, whatever its vector width.
//
// The kernels fix their order of summation in the code, independent of the instruction set:
// gemm sums each element of C as one chain over k in K blocks that depend on K alone
// (gemm_kernel.hpp), whatever the tile shape; the row kernels keep 16 partial sums, added in a
// fixed order, whether a vector register holds 4, 8 or 16 of them (row_kernels.hpp); and the
// elementwise formulas compute each element by the same operations in the vectorised body and
// in the scalar tail. This file checks it two ways:
//   - the same battery of kernel calls compiled four times, for the build's own target, for
//     AVX2 + FMA on 256-bit and on 128-bit vectors, and for AVX-512 (GCC target attributes,
//     everything inlined into each), run on each the CPU can execute, must agree bit for bit;
//     gemm runs with both the AVX2 and the AVX-512 tile shapes in each;
//   - a hash of the battery's outputs, and of the library's own ops on the same inputs, is
//     recorded below: a machine of either kind, or a change that reorders a sum, fails it.
// Builds without FMA (the sanitizer build's baseline x86-64) or without optimisation round
// a * b + c twice where the release build rounds once, so they skip the comparisons with a
// message.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <vector>

#define QKV_GEMM_WIDE_VECTORS  // each battery below is compiled for its own target instead
#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/gemm_kernel.hpp"
#include "tensor/storage.hpp"  // QKV_ASAN
#include "tensor/matmul.hpp"
#include "tensor/row_kernels.hpp"
#include "tensor/scalar_math.hpp"
#include "tensor/softmax.hpp"

using namespace qkv;

namespace {

#if defined(__FMA__) && defined(__OPTIMIZE__) && !defined(QKV_ASAN) && defined(__GNUC__) && \
    !defined(__clang__)
constexpr bool release_numbers = true;
#else
constexpr bool release_numbers = false;
#endif

// Every output of a battery, as bits, in the order computed.
struct Outputs {
    std::vector<std::uint64_t> bits;
    void add(float v) { bits.push_back(std::bit_cast<std::uint32_t>(v)); }
    void add(double v) { bits.push_back(std::bit_cast<std::uint64_t>(v)); }
    template <class T> void add(const std::vector<T>& vs) {
        for (T v : vs) add(v);
    }
};

// Inputs from splitmix64, fixed here so that they never change with the library's generator.
template <class T> std::vector<T> values(std::size_t n, std::uint64_t seed, double scale = 3.0) {
    std::vector<T> out(n);
    std::uint64_t s = seed;
    for (T& v : out) {
        std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        v = static_cast<T>(scale * (static_cast<double>(z >> 11) * 0x1p-53 * 2 - 1));
    }
    return out;
}

struct GemmCase {
    std::int64_t M, N, K;
    bool transposed_a;
};
const GemmCase gemm_cases[] = {{1, 1, 1, false}, {7, 5, 3, false},     {13, 37, 300, false},
                               {64, 64, 64, true}, {50, 70, 513, false}, {9, 33, 700, true}};

template <class T, class Tile> inline void run_gemm(Outputs& out) {
    for (const GemmCase& g : gemm_cases) {
        const auto a = values<T>(static_cast<std::size_t>(g.M * g.K), 1 + g.K);
        const auto b = values<T>(static_cast<std::size_t>(g.K * g.N), 2 + g.N);
        std::vector<T> c(static_cast<std::size_t>(g.M * g.N));
        std::vector<T> pa(static_cast<std::size_t>(gemm_kernel::packed_a_size<Tile>(g.M, g.K)));
        std::vector<T> pb(static_cast<std::size_t>(gemm_kernel::packed_b_size<Tile>(g.N, g.K)));
        // A stored (M, K) row-major, or (K, M) and read transposed.
        const std::int64_t a_row = g.transposed_a ? 1 : g.K, a_col = g.transposed_a ? g.M : 1;
        gemm_kernel::gemm_blocked<T, Tile>(g.M, g.N, g.K, a.data(), a_row, a_col, b.data(), g.N, 1, c.data(), g.N,
                                           pa.data(), pb.data());
        out.add(c);
    }
}

const std::int64_t row_lengths[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 67, 100, 300, 768};

template <class T> inline void run_rows(Outputs& out) {
    for (std::int64_t n : row_lengths) {
        const auto x = values<T>(static_cast<std::size_t>(n), 10 + n, 8.0);
        const auto w = values<T>(static_cast<std::size_t>(n), 20 + n);
        std::vector<T> y(x.size());
        out.add(rows::sum(x.data(), n));
        out.add(rows::dot(x.data(), w.data(), n));
        out.add(rows::max(x.data(), n));
        rows::softmax(x.data(), y.data(), n);
        out.add(y);
        rows::log_softmax(x.data(), y.data(), n);
        out.add(y);
        const T* xp = x.data();
        out.add(rows::sum_over<double>(n, [xp](std::int64_t i) {
            const double d = static_cast<double>(xp[i]) - 0.25;
            return d * d;
        }));
    }
}

// Elementwise formulas as plain loops (vectorised body, then a scalar tail), over values that
// include the clamps' ends and the infinities.
template <class T> inline void run_maps(Outputs& out) {
    auto x = values<T>(1003, 99, 12.0);
    const T inf = std::numeric_limits<T>::infinity();
    x[5] = inf, x[6] = -inf, x[1001] = inf, x[1002] = -inf, x[7] = T(-200), x[8] = T(200), x[9] = T(0);
    std::vector<T> y(x.size());
    const auto apply = [&](auto f) {
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = f(x[i]);
        out.add(y);
    };
    apply([](T v) { return fast::exp(v); });
    apply([](T v) { return fast::tanh(v); });
    apply([](T v) { return fast::erf(v); });
    apply([](T v) { return math::sigmoid(v); });
    apply([](T v) { return math::gelu(v); });
    apply([](T v) { return math::gelu_grad(v); });
    apply([](T v) { return math::gelu_tanh(v); });
    apply([](T v) { return math::gelu_tanh_grad(v); });
}

inline void run_battery(Outputs& out) {
    run_gemm<float, gemm_kernel::Tiles<float, 32>>(out);
    run_gemm<float, gemm_kernel::Tiles<float, 64>>(out);
    run_gemm<double, gemm_kernel::Tiles<double, 32>>(out);
    run_gemm<double, gemm_kernel::Tiles<double, 64>>(out);
    run_rows<float>(out);
    run_rows<double>(out);
    run_maps<float>(out);
    run_maps<double>(out);
}

// The battery compiled four times; `flatten` inlines every call into each copy, so each is
// compiled whole for its target.
[[gnu::flatten]] void battery_default(Outputs& out) { run_battery(out); }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define QKV_HAVE_TARGET_BATTERIES 1
[[gnu::flatten]] __attribute__((target("avx2,fma"))) void battery_avx2(Outputs& out) { run_battery(out); }
// AVX2 instructions on 128-bit vectors: a third width (4 floats), which every AVX2 CPU runs.
[[gnu::flatten]] __attribute__((target("avx2,fma,prefer-vector-width=128"))) void battery_avx2_128(Outputs& out) {
    run_battery(out);
}
[[gnu::flatten]] __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,prefer-vector-width=512"))) void
battery_avx512(Outputs& out) {
    run_battery(out);
}
bool cpu_has_avx2() { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }
bool cpu_has_avx512() {
    return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}
#endif

// FNV-1a over the outputs' bits, printed in hex.
std::uint64_t fnv1a(const std::vector<std::uint64_t>& bits) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (std::uint64_t b : bits)
        for (int k = 0; k < 8; ++k) h = (h ^ ((b >> (8 * k)) & 0xff)) * 0x100000001b3ULL;
    return h;
}

// The library's ops on tensors, through their threaded entry points.
Outputs library_outputs() {
    Outputs out;
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const Tensor a = from_vector(values<double>(200 * 300, 5), {200, 300}).to(dtype);
        const Tensor b = from_vector(values<double>(300 * 150, 6), {300, 150}).to(dtype);
        const Tensor x = from_vector(values<double>(37 * 67, 7, 8.0), {37, 67}).to(dtype);
        for (const Tensor& t : {matmul(a, b), matmul(b.t(), a.t()), softmax(x, -1), log_softmax(x, -1), gelu(x),
                                gelu_tanh(x), exp(x), tanh(x), sigmoid(x)})
            out.add(t.to(DType::Float64).to_vector<double>());
    }
    return out;
}

// y[i] = f(x[i]) over n elements, out of line: a long call runs the vectorised body, a call with
// n = 1 the scalar tail.
template <class T, class F> [[gnu::noinline]] void map_loop_out_of_line(const T* x, T* y, std::int64_t n, F f) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

// How many elements of f over a long array differ in bits from f applied to each alone.
template <class T, class F> std::int64_t body_tail_differences(F f) {
    const auto x = values<T>(4099, 123, 12.0);
    std::vector<T> body(x.size()), alone(x.size());
    map_loop_out_of_line(x.data(), body.data(), static_cast<std::int64_t>(x.size()), f);
    for (std::size_t i = 0; i < x.size(); ++i) map_loop_out_of_line(x.data() + i, alone.data() + i, 1, f);
    std::int64_t differ = 0;
    for (std::size_t i = 0; i < x.size(); ++i) differ += std::bit_cast<std::uint64_t>(static_cast<double>(body[i])) !=
                                                         std::bit_cast<std::uint64_t>(static_cast<double>(alone[i]));
    return differ;
}

std::size_t first_difference(const Outputs& a, const Outputs& b) {
    for (std::size_t i = 0; i < a.bits.size() && i < b.bits.size(); ++i)
        if (a.bits[i] != b.bits[i]) return i;
    return a.bits.size() == b.bits.size() ? a.bits.size() : std::min(a.bits.size(), b.bits.size());
}

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("gemm gives the same bits with the AVX2 and the AVX-512 tile shapes") {
    // Both tile shapes, compiled for this build's target: the order of the sums is the same.
    Outputs narrow, wide;
    run_gemm<float, gemm_kernel::Tiles<float, 32>>(narrow);
    run_gemm<float, gemm_kernel::Tiles<float, 64>>(wide);
    run_gemm<double, gemm_kernel::Tiles<double, 32>>(narrow);
    run_gemm<double, gemm_kernel::Tiles<double, 64>>(wide);
    REQUIRE(narrow.bits.size() == wide.bits.size());
    CHECK(first_difference(narrow, wide) == narrow.bits.size());
    // And the library's matmul (its own tile shape, threads) agrees with them.
    for (const GemmCase& g : gemm_cases) {
        CAPTURE(g.M);
        CAPTURE(g.K);
        const auto av = values<float>(static_cast<std::size_t>(g.M * g.K), 1 + g.K);
        const auto bv = values<float>(static_cast<std::size_t>(g.K * g.N), 2 + g.N);
        const Tensor a = g.transposed_a ? from_vector(av, {g.K, g.M}).t() : from_vector(av, {g.M, g.K});
        const auto c = matmul(a, from_vector(bv, {g.K, g.N})).to_vector<float>();
        Outputs one;
        std::vector<float> pa(static_cast<std::size_t>(gemm_kernel::packed_a_size<gemm_kernel::Tiles<float, 64>>(g.M, g.K)));
        std::vector<float> pb(static_cast<std::size_t>(gemm_kernel::packed_b_size<gemm_kernel::Tiles<float, 64>>(g.N, g.K)));
        std::vector<float> ref(c.size());
        gemm_kernel::gemm_blocked<float, gemm_kernel::Tiles<float, 64>>(
            g.M, g.N, g.K, av.data(), g.transposed_a ? 1 : g.K, g.transposed_a ? g.M : 1, bv.data(), g.N, 1,
            ref.data(), g.N, pa.data(), pb.data());
        CHECK(c == ref);
    }
}

// B read transposed (stored (N, K)) is packed by transposing blocks in registers, lines of 16
// (AVX2) or 32 (AVX-512) at a time: both tile shapes must give the bits of the same product with
// B stored row-major. Not part of the recorded hash below, which predates this case.
TEST_CASE("gemm gives the same bits with B read transposed, with the AVX2 and the AVX-512 tile shapes") {
    const GemmCase cases[] = {{13, 37, 300, false}, {32, 32, 32, true}, {12, 64, 40, false}, {6, 16, 5, true}};
    for (const GemmCase& g : cases) {
        CAPTURE(g.M);
        CAPTURE(g.N);
        CAPTURE(g.K);
        const auto a = values<float>(static_cast<std::size_t>(g.M * g.K), 3 + g.K);
        const auto b = values<float>(static_cast<std::size_t>(g.K * g.N), 4 + g.N);  // (K, N) row-major
        std::vector<float> b_t(b.size());                                            // the same B stored (N, K)
        for (std::int64_t k = 0; k < g.K; ++k)
            for (std::int64_t j = 0; j < g.N; ++j)
                b_t[static_cast<std::size_t>(j * g.K + k)] = b[static_cast<std::size_t>(k * g.N + j)];
        const std::int64_t a_row = g.transposed_a ? 1 : g.K, a_col = g.transposed_a ? g.M : 1;
        const auto product = [&](auto tile, const std::vector<float>& b_data, std::int64_t b_row, std::int64_t b_col) {
            using Tile = decltype(tile);
            std::vector<float> c(static_cast<std::size_t>(g.M * g.N));
            std::vector<float> pa(static_cast<std::size_t>(gemm_kernel::packed_a_size<Tile>(g.M, g.K)));
            std::vector<float> pb(static_cast<std::size_t>(gemm_kernel::packed_b_size<Tile>(g.N, g.K)));
            gemm_kernel::gemm_blocked<float, Tile>(g.M, g.N, g.K, a.data(), a_row, a_col, b_data.data(), b_row, b_col,
                                                   c.data(), g.N, pa.data(), pb.data());
            return c;
        };
        const auto reference = product(gemm_kernel::Tiles<float, 32>{}, b, g.N, 1);
        CHECK(product(gemm_kernel::Tiles<float, 32>{}, b_t, 1, g.K) == reference);
        CHECK(product(gemm_kernel::Tiles<float, 64>{}, b_t, 1, g.K) == reference);
    }
}

TEST_CASE("elementwise formulas give the same bits in a loop's vectorised body as in its scalar tail") {
    // Which elements fall in the tail depends on the vector width, so a formula that the
    // compiler fuses differently in the two would make the numbers depend on the CPU.
    CHECK(body_tail_differences<float>([](float v) { return fast::exp(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return fast::tanh(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return fast::erf(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return math::sigmoid(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return math::gelu(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return math::gelu_grad(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return math::gelu_tanh(v); }) == 0);
    CHECK(body_tail_differences<float>([](float v) { return math::gelu_tanh_grad(v); }) == 0);
    CHECK(body_tail_differences<double>([](double v) { return fast::exp(v); }) == 0);
    CHECK(body_tail_differences<double>([](double v) { return math::sigmoid(v); }) == 0);
    CHECK(body_tail_differences<double>([](double v) { return math::gelu_grad(v); }) == 0);
}

TEST_CASE("the kernels give the same bits on 128-, 256- and 512-bit vectors, where the CPU runs them") {
#if defined(QKV_HAVE_TARGET_BATTERIES)
    if (!cpu_has_avx2()) {
        MESSAGE("skipped: this CPU has no AVX2 + FMA");
        return;
    }
    Outputs avx2, avx2_128;
    battery_avx2(avx2);
    battery_avx2_128(avx2_128);
    REQUIRE(avx2_128.bits.size() == avx2.bits.size());
    CHECK(first_difference(avx2_128, avx2) == avx2.bits.size());
    if (release_numbers) {
        Outputs native;
        battery_default(native);
        REQUIRE(native.bits.size() == avx2.bits.size());
        CHECK(first_difference(native, avx2) == avx2.bits.size());
    } else {
        MESSAGE("this build's own target is not compared: it has no FMA or no optimisation (sanitizer or debug build)");
    }
    if (cpu_has_avx512()) {
        Outputs avx512;
        battery_avx512(avx512);
        REQUIRE(avx512.bits.size() == avx2.bits.size());
        CHECK(first_difference(avx512, avx2) == avx2.bits.size());
    } else {
        MESSAGE("AVX-512 half skipped: this CPU has no AVX-512 (the AVX2 half and both tile shapes ran)");
    }
#else
    MESSAGE("skipped: needs GCC on x86-64 for per-function targets");
#endif
}

TEST_CASE("kernel outputs match the hashes recorded for x86-64 with FMA") {
    if (!release_numbers) {
        MESSAGE("skipped: the recorded hashes are for optimised GCC builds with FMA; this build has no FMA "
                "(the sanitizer build's baseline x86-64) or no optimisation");
        return;
    }
    Outputs kernels;
    battery_default(kernels);
    const std::uint64_t kernel_hash = fnv1a(kernels.bits), library_hash = fnv1a(library_outputs().bits);
    char text[120];
    std::snprintf(text, sizeof text, "kernel battery %016llx, library ops %016llx",
                  static_cast<unsigned long long>(kernel_hash), static_cast<unsigned long long>(library_hash));
    MESSAGE(text);
    CHECK(kernel_hash == 0x6d1c30e910f40c57ULL);
    CHECK(library_hash == 0x6c4ee700f319815aULL);
}

}  // TEST_SUITE
