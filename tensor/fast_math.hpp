// exp, tanh and erf that the compiler can vectorise, accurate to a few ulp.
//
// libm's exp is a function call per element, and without -ffast-math (which qkv never uses:
// it assumes there is no inf or NaN, and attention masks are -inf) GCC keeps it scalar. Here
// each function is branch-free arithmetic on one value, written so that a loop over an array
// becomes vector instructions: both sides of every choice are computed and one is selected.
// The accuracy is tested in ulps against libm over a sweep (tests/tensor/test_fast_math.cpp),
// and inf, -inf, NaN, 0, overflow and underflow come out exactly as libm's.
//
// exp(x), the classic reduction: write x = k ln2 + r with k an integer and |r| <= ln2 / 2, so
//     e^x = 2^k e^r,
// where e^r comes from its Taylor series (short, since r is small) and 2^k is built directly
// from its bits. ln2 is split in two (ln2_hi has few bits, so k * ln2_hi is exact) to keep r
// accurate for large k. 2^k is applied as two halves, 2^(k/2) 2^(k - k/2), each a normal
// number, so results that overflow give inf and results in the subnormal range round once.
//
// tanh(x) = sign(x) (1 - 2 / (e^(2|x|) + 1)), except near 0 where that subtraction would
// cancel: there its Taylor series x - x^3/3 + 2x^5/15 - ... converges fast.
//
// erf(x) (float only; double uses std::erf): near 0 its Taylor series
//     erf(x) = 2/sqrt(pi) (x - x^3/3 + x^5/10 - ...),
// further out erf(x) = 1 - erfc(x) with erfc(x) = e^(-x^2) R(t), t = 1 / (1 + x/2), and R a
// degree-7 polynomial fitted to erfc(x) e^(x^2) on [0.75, 4.5] (least squares in relative
// error against 40-digit values; worst relative error 1.6e-9). Past 4.5, erf is 1 in float.
//
// All coefficients are the Taylor coefficients 1/k! (exp), those of tanh and erf (computed to
// 20 digits with mpmath), and the fitted R.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

// Forces inlining into the caller's loop: a call per element would stop the loop vectorising.
#if defined(__GNUC__)
#define QKV_ALWAYS_INLINE [[gnu::always_inline]] inline
#else
#define QKV_ALWAYS_INLINE inline
#endif

namespace qkv::fast {

namespace detail {

template <class T> struct Format;
template <> struct Format<float> {
    using Int = std::int32_t;
    static constexpr int mantissa_bits = 23, bias = 127;
    static constexpr float round_magic = 12582912.0f;  // 1.5 * 2^23: v + magic - magic rounds v
    static constexpr float exp_lo = -104.0f;           // e^-104 < 2^-150: rounds to 0
    static constexpr float exp_hi = 89.0f;             // e^89 > FLT_MAX: overflows to inf
    static constexpr float ln2_hi = 0.693145751953125f;
    static constexpr float ln2_lo = 1.428606820309417232e-6f;
    static constexpr int exp_terms = 8;                // r^0 .. r^7: |r|^8 / 8! < 2^-27
};
template <> struct Format<double> {
    using Int = std::int64_t;
    static constexpr int mantissa_bits = 52, bias = 1023;
    static constexpr double round_magic = 6755399441055744.0;  // 1.5 * 2^52
    static constexpr double exp_lo = -746.0;                   // e^-746 < 2^-1075
    static constexpr double exp_hi = 710.0;                    // e^710 > DBL_MAX
    static constexpr double ln2_hi = 6.93147180369123816490e-01;
    static constexpr double ln2_lo = 1.90821492927058770002e-10;
    static constexpr int exp_terms = 14;  // r^0 .. r^13: |r|^14 / 14! < 2^-56
};

// 2^n for an integer n whose biased exponent n + bias lies in [1, 2 bias]: a normal number.
template <class T> QKV_ALWAYS_INLINE T pow2(typename Format<T>::Int n) {
    using F = Format<T>;
    return std::bit_cast<T>(static_cast<typename F::Int>((n + F::bias) << F::mantissa_bits));
}

// 1/k! for k = 0, 1, ..., 13.
inline constexpr double inv_factorial[] = {1.0,
                                           1.0,
                                           1.0 / 2,
                                           1.0 / 6,
                                           1.0 / 24,
                                           1.0 / 120,
                                           1.0 / 720,
                                           1.0 / 5040,
                                           1.0 / 40320,
                                           1.0 / 362880,
                                           1.0 / 3628800,
                                           1.0 / 39916800,
                                           1.0 / 479001600,
                                           1.0 / 6227020800};

// Taylor coefficients of tanh(x) / x in powers of x^2 (x^0, x^2, ...).
inline constexpr float tanh_series[] = {1.0f,
                                        -0.33333333333333333333f,
                                        0.13333333333333333333f,
                                        -0.053968253968253968254f,
                                        0.021869488536155202822f,
                                        -0.0088632355299021965689f,
                                        0.0035921280365724810169f,
                                        -0.0014558343870513182682f,
                                        0.00059002744094558598138f,
                                        -0.00023912911424355248149f};
inline constexpr float tanh_series_end = 0.625f;  // the 11th term is < 1e-8 of tanh there

// Taylor coefficients of erf(x) / x in powers of x^2.
inline constexpr float erf_series[] = {1.1283791670955125739f,    -0.37612638903183752463f,
                                       0.11283791670955125739f,   -0.026866170645131251759f,
                                       0.0052239776254421878421f, -0.00085483270234508528325f,
                                       0.00012055332981789664251f, -0.000014925650358406250977f,
                                       1.6462114365889247402e-6f, -1.6365844691234924317e-7f};
inline constexpr float erf_series_end = 0.75f;
// R(t) ~ erfc(x) e^(x^2) on [0.75, 4.5], t = 1 / (1 + x/2), coefficients of t^0 .. t^7.
inline constexpr float erfc_fit[] = {-0.0001412612688605177f, 0.2847265067433041f, 0.2608216715664399f,
                                     0.3440073248746339f,     -0.09607810484692098f, 0.554399238427807f,
                                     -0.46546378318379683f,   0.11777631606594233f};
inline constexpr float erfc_fit_end = 4.5f;

// c[0] + c[1] v + ... + c[n-1] v^(n-1), by Horner's rule.
template <class T, class C, int N> QKV_ALWAYS_INLINE T polynomial(T v, const C (&c)[N], int n = N) {
    T p = static_cast<T>(c[n - 1]);
    for (int i = n - 2; i >= 0; --i) p = p * v + static_cast<T>(c[i]);
    return p;
}

}  // namespace detail

// e^x for float or double.
template <class T> QKV_ALWAYS_INLINE T exp(T x) {
    using F = detail::Format<T>;
    // Clamp into [exp_lo, exp_hi]; written so that NaN becomes exp_lo (a comparison with NaN is
    // false) and never reaches the integer conversion. The end results are still 0 and inf.
    T xc = x > F::exp_lo ? x : F::exp_lo;
    xc = xc < F::exp_hi ? xc : F::exp_hi;
    const T k = (xc * static_cast<T>(1.4426950408889634074) + F::round_magic) - F::round_magic;  // round(x / ln2)
    const T r = (xc - k * F::ln2_hi) - k * F::ln2_lo;                                              // |r| <= ln2 / 2
    T p = static_cast<T>(detail::inv_factorial[F::exp_terms - 1]);
    for (int i = F::exp_terms - 2; i >= 0; --i) p = p * r + static_cast<T>(detail::inv_factorial[i]);
    const auto n = static_cast<typename F::Int>(k);
    const auto half = n >> 1;
    const T y = p * detail::pow2<T>(half) * detail::pow2<T>(n - half);
    return x != x ? x + x : y;  // NaN in, NaN out
}

// tanh(x) for float; double uses std::tanh (only float needs the speed).
QKV_ALWAYS_INLINE float tanh(float x) {
    const float a = x < 0 ? -x : x;
    const float near_zero = x * detail::polynomial(x * x, detail::tanh_series);
    const float far = 1.0f - 2.0f / (fast::exp(2.0f * a) + 1.0f);  // e^(2a) = inf gives 1
    const float t = a < detail::tanh_series_end ? near_zero : (x < 0 ? -far : far);
    return x != x ? x + x : t;
}
inline double tanh(double x) { return std::tanh(x); }

// erf(x) for float; double uses std::erf.
QKV_ALWAYS_INLINE float erf(float x) {
    const float a = x < 0 ? -x : x;
    const float near_zero = x * detail::polynomial(x * x, detail::erf_series);
    const float ac = a < detail::erfc_fit_end ? a : detail::erfc_fit_end;  // NaN -> the end
    const float t = 1.0f / (1.0f + 0.5f * ac);
    const float far = 1.0f - fast::exp(-ac * ac) * detail::polynomial(t, detail::erfc_fit);
    const float e = a < detail::erf_series_end ? near_zero : (x < 0 ? -far : far);
    return x != x ? x + x : e;
}
inline double erf(double x) { return std::erf(x); }

}  // namespace qkv::fast
