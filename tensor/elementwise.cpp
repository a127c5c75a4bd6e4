// Elementwise arithmetic and math (tensor/elementwise.hpp). Each op is one line naming its
// scalar formula (scalar_math.hpp holds the longer ones); the loops that apply a formula to
// broadcast, strided operands are written once, in map.hpp. Comparisons and selection are in
// compare.cpp, the in-place forms in in_place.cpp: three files rather than one, so that a build
// compiles them side by side (as a single file they took 25 s of CPU, a lesson 01 build's
// longest wait).
#include "tensor/elementwise.hpp"

#include <cmath>

#include "tensor/creation.hpp"
#include "tensor/fast_math.hpp"
#include "tensor/map.hpp"
#include "tensor/scalar_math.hpp"

namespace qkv {
namespace {

Tensor scalar_like(const Tensor& t, double v) {
    t.check_defined("scalar");
    return scalar(v, t.dtype());
}


}  // namespace

// ---- binary arithmetic -----------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Numeric>("add", a, b, [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Numeric>("sub", a, b, [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Numeric>("mul", a, b, [](auto x, auto y) { return x * y; }); }
Tensor div(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Floating>("div", a, b, [](auto x, auto y) { return x / y; }); }
Tensor pow(const Tensor& a, const Tensor& b) {
    return map_binary<Accepts::Floating>("pow", a, b, [](auto x, auto y) { return std::pow(x, y); });
}
Tensor pow(const Tensor& a, double exponent) {
    if (exponent == 2.0) return map_unary<Accepts::Floating>("pow", a, [](auto x) { return x * x; });
    return pow(a, scalar_like(a, exponent));
}
// NaN propagates, as in torch.maximum.
Tensor maximum(const Tensor& a, const Tensor& b) {
    return map_binary<Accepts::Numeric>("maximum", a, b, [](auto x, auto y) { return (is_nan(x) || x > y) ? x : y; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
    return map_binary<Accepts::Numeric>("minimum", a, b, [](auto x, auto y) { return (is_nan(x) || x < y) ? x : y; });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }
Tensor operator-(const Tensor& a) { return neg(a); }

// ---- unary math ------------------------------------------------------------------------------
Tensor neg(const Tensor& a) { return map_unary<Accepts::Numeric>("neg", a, [](auto x) { return -x; }); }
Tensor abs(const Tensor& a) {
    return map_unary<Accepts::Numeric>("abs", a, [](auto x) { return x < 0 ? -x : x; });
}
Tensor exp(const Tensor& a) { return map_unary<Accepts::Floating>("exp", a, [](auto x) { return fast::exp(x); }); }
Tensor log(const Tensor& a) { return map_unary<Accepts::Floating>("log", a, [](auto x) { return std::log(x); }); }
Tensor sqrt(const Tensor& a) { return map_unary<Accepts::Floating>("sqrt", a, [](auto x) { return std::sqrt(x); }); }
Tensor rsqrt(const Tensor& a) {
    return map_unary<Accepts::Floating>("rsqrt", a, [](auto x) { return decltype(x)(1) / std::sqrt(x); });
}
Tensor tanh(const Tensor& a) { return map_unary<Accepts::Floating>("tanh", a, [](auto x) { return fast::tanh(x); }); }
// exp of a non-positive number only: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) for x < 0.
Tensor sigmoid(const Tensor& a) {
    return map_unary<Accepts::Floating>("sigmoid", a, [](auto x) { return math::sigmoid(x); });
}
// NaN stays NaN (x > 0 is false for NaN, so return x, not 0).
Tensor relu(const Tensor& a) {
    return map_unary<Accepts::Numeric>("relu", a, [](auto x) { return (x > 0 || is_nan(x)) ? x : decltype(x)(0); });
}
Tensor gelu(const Tensor& a) {
    return map_unary<Accepts::Floating>("gelu", a, [](auto x) { return math::gelu(x); });
}
Tensor gelu_tanh(const Tensor& a) {
    return map_unary<Accepts::Floating>("gelu_tanh", a, [](auto x) { return math::gelu_tanh(x); });
}
Tensor clamp(const Tensor& a, double lo, double hi) {
    if (lo > hi) fail("clamp", "lower bound ", lo, " is above upper bound ", hi);
    return map_unary<Accepts::Numeric>("clamp", a, [lo, hi](auto x) {
        using T = decltype(x);
        return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
    });
}

}  // namespace qkv
