// Scalar formulas with their derivatives, side by side. The tensor ops in elementwise.cpp apply
// the functions; autograd's backward rules apply the derivatives. They use fast_math.hpp's exp,
// erf and tanh and avoid branches (both sides are computed, one is kept), so that a loop over a
// tensor compiles to vector instructions.
#pragma once

#include <algorithm>

#include <cmath>
#include <limits>

#include "tensor/fast_math.hpp"

namespace qkv::math {

inline constexpr double kInvSqrt2 = 0.70710678118654752440;     // 1 / sqrt(2)
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;   // 1 / sqrt(2 pi)
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
inline constexpr double kGeluTanhCubic = 0.044715;

// sigma(x) = 1 / (1 + e^-x), evaluated so that exp only ever sees a non-positive argument:
// for x < 0 it uses the equal form e^x / (1 + e^x). d sigma / dx = sigma (1 - sigma).
template <class T> QKV_ALWAYS_INLINE T sigmoid(T x) {
    const T e = fast::exp(x < 0 ? x : -x);  // e^-|x|
    const T s = T(1) / (T(1) + e);
    return x >= 0 ? s : e * s;
}

// At x = -inf the formulas below compute -inf * 0 = NaN where the limits are finite: GELU and
// its slope tend to 0 as x -> -inf and the slope to 1 as x -> +inf (Phi -> 1, x phi(x) -> 0).
// at_infinity picks those limits; every finite x keeps the formula's value, bit for bit.
template <class T> QKV_ALWAYS_INLINE T at_infinity(T x, T at_minus_inf, T at_plus_inf, T finite) {
    constexpr T inf = std::numeric_limits<T>::infinity();
    return x == -inf ? at_minus_inf : (x == inf ? at_plus_inf : finite);
}

// GELU (exact): x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2.
template <class T> QKV_ALWAYS_INLINE T gelu(T x) {
    return at_infinity(x, T(0), x, T(0.5) * x * (T(1) + fast::erf(x * T(kInvSqrt2))));
}
// d/dx x Phi(x) = Phi(x) + x phi(x), phi(x) = exp(-x^2 / 2) / sqrt(2 pi) the normal density.
template <class T> QKV_ALWAYS_INLINE T gelu_grad(T x) {
    const T cdf = T(0.5) * (T(1) + fast::erf(x * T(kInvSqrt2)));
    const T pdf = T(kInvSqrt2Pi) * fast::exp(T(-0.5) * x * x);
    return at_infinity(x, T(0), T(1), cdf + x * pdf);
}

// GELU (tanh approximation): x (1 + tanh(u)) / 2 with u = sqrt(2/pi) (x + 0.044715 x^3).
template <class T> QKV_ALWAYS_INLINE T gelu_tanh(T x) {
    const T u = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
    return at_infinity(x, T(0), x, T(0.5) * x * (T(1) + fast::tanh(u)));
}
// d/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) u' / 2, with u' = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
// Past |x| = 10, tanh u is exactly +-1 and the second term exactly 0; x is clamped there so that
// x^2 cannot overflow into 0 * inf = NaN (from |x| ~ 1.8e19 in float). Inside, the bits are unchanged.
template <class T> QKV_ALWAYS_INLINE T gelu_tanh_grad(T x) {
    const T u = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
    const T t = fast::tanh(u);
    const T xc = std::min(std::max(x, T(-10)), T(10));
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluTanhCubic) * xc * xc);
    return at_infinity(x, T(0), T(1), T(0.5) * (T(1) + t) + T(0.5) * xc * (T(1) - t * t) * du);
}

}  // namespace qkv::math
