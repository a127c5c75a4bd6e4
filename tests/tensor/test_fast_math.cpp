// fast::exp, fast::tanh and fast::erf against libm: the distance in ulps over dense sweeps of
// every range where the result is neither 0 nor saturated, and exact results at the special
// points (infinities, NaN, zeros, overflow, underflow). The reference is libm's double-precision
// function rounded to float, which is within half an ulp of the true value for float inputs.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>

#include "tensor/fast_math.hpp"

using namespace qkv;

namespace {

// Floats in order as integers: the distance between two of them is the number of floats
// between them, their distance in ulps (+0 and -0 are one apart).
std::int64_t ordinal(float x) {
    const std::int32_t i = std::bit_cast<std::int32_t>(x);
    return i < 0 ? std::int64_t{INT32_MIN} - i : i;
}
std::int64_t ordinal(double x) {
    const std::int64_t i = std::bit_cast<std::int64_t>(x);
    return i < 0 ? INT64_MIN - i : i;  // stays in range: i is negative
}
template <class T> std::int64_t ulps(T a, T b) {
    const std::int64_t d = ordinal(a) - ordinal(b);
    return d < 0 ? -d : d;
}

// The largest ulp distance of f from reference over [lo, hi) in `steps` even steps.
template <class T, class F, class R>
std::int64_t worst_ulps(F f, R reference, double lo, double hi, int steps, double& where) {
    std::int64_t worst = 0;
    for (int i = 0; i < steps; ++i) {
        const T x = static_cast<T>(lo + (hi - lo) * i / steps);
        const std::int64_t d = ulps(f(x), reference(x));
        if (d > worst) worst = d, where = x;
    }
    return worst;
}

const float inf = std::numeric_limits<float>::infinity();
const float quiet_nan = std::numeric_limits<float>::quiet_NaN();

}  // namespace

TEST_CASE("fast::exp is within 2 ulp of libm over the whole float and double range") {
    double where = 0;
    // [-104, 89] covers subnormal results (below -87.3) and the overflow edge (88.72).
    const auto worst = worst_ulps<float>([](float x) { return fast::exp(x); },
                                         [](float x) { return static_cast<float>(std::exp(double{x})); }, -104.0,
                                         89.0, 2'000'000, where);
    INFO("float: worst ", worst, " ulp at x = ", where);
    CHECK(worst <= 2);
    const auto worst_d = worst_ulps<double>([](double x) { return fast::exp(x); },
                                            [](double x) { return std::exp(x); }, -745.0, 709.7, 1'000'000, where);
    INFO("double: worst ", worst_d, " ulp at x = ", where);
    CHECK(worst_d <= 2);
}

TEST_CASE("fast::exp is exact at infinities, NaN, zero, overflow and underflow") {
    CHECK(fast::exp(-inf) == 0.0f);
    CHECK(fast::exp(inf) == inf);
    CHECK(std::isnan(fast::exp(quiet_nan)));
    CHECK(fast::exp(0.0f) == 1.0f);
    CHECK(fast::exp(-0.0f) == 1.0f);
    CHECK(fast::exp(88.8f) == inf);  // past log(FLT_MAX) = 88.7228
    CHECK(fast::exp(1000.0f) == inf);
    CHECK(fast::exp(-104.0f) == 0.0f);  // below half the smallest subnormal
    CHECK(fast::exp(-1000.0f) == 0.0f);
    CHECK(fast::exp(-100.0f) == static_cast<float>(std::exp(-100.0)));  // a subnormal, 2^-144.3
    CHECK(fast::exp(-100.0f) > 0.0f);
    const double dinf = std::numeric_limits<double>::infinity();
    CHECK(fast::exp(-dinf) == 0.0);
    CHECK(fast::exp(dinf) == dinf);
    CHECK(std::isnan(fast::exp(std::numeric_limits<double>::quiet_NaN())));
    CHECK(fast::exp(0.0) == 1.0);
    CHECK(fast::exp(710.0) == dinf);
    CHECK(fast::exp(-746.0) == 0.0);
}

TEST_CASE("fast::tanh is within 2 ulp of libm and exact at the special points") {
    double where = 0;
    const auto worst = worst_ulps<float>([](float x) { return fast::tanh(x); },
                                         [](float x) { return static_cast<float>(std::tanh(double{x})); }, -12.0,
                                         12.0, 2'000'000, where);
    INFO("worst ", worst, " ulp at x = ", where);
    CHECK(worst <= 2);
    // Tiny inputs, where tanh(x) = x to float precision, and the switch between the two forms.
    for (float x : {1e-30f, -3e-20f, 1e-5f, 0.6249999f, 0.625f, 0.6250001f, -0.625f})
        CHECK(ulps(fast::tanh(x), static_cast<float>(std::tanh(double{x}))) <= 2);
    CHECK(fast::tanh(inf) == 1.0f);
    CHECK(fast::tanh(-inf) == -1.0f);
    CHECK(fast::tanh(100.0f) == 1.0f);
    CHECK(std::isnan(fast::tanh(quiet_nan)));
    CHECK(fast::tanh(0.0f) == 0.0f);
    CHECK(std::signbit(fast::tanh(-0.0f)));
}

// 2 ulp where the compiler fuses the polynomial's multiply-adds into FMAs (-march=native on an
// FMA machine), 3 without (the x86-64 baseline the sanitizer build compiles for).
TEST_CASE("fast::erf is within 3 ulp of libm and exact at the special points") {
    double where = 0;
    const auto worst = worst_ulps<float>([](float x) { return fast::erf(x); },
                                         [](float x) { return static_cast<float>(std::erf(double{x})); }, -6.0, 6.0,
                                         2'000'000, where);
    INFO("worst ", worst, " ulp at x = ", where);
    CHECK(worst <= 3);
    for (float x : {1e-30f, -2e-15f, 0.7499999f, 0.75f, 4.4999f, 4.5f, 10.0f})
        CHECK(ulps(fast::erf(x), static_cast<float>(std::erf(double{x}))) <= 3);
    CHECK(fast::erf(inf) == 1.0f);
    CHECK(fast::erf(-inf) == -1.0f);
    CHECK(std::isnan(fast::erf(quiet_nan)));
    CHECK(fast::erf(0.0f) == 0.0f);
    CHECK(std::signbit(fast::erf(-0.0f)));
}
