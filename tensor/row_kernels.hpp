// Kernels over contiguous rows: the max, sum and dot product of a row, softmax and
// log-softmax of a row, and for_rows, which shares rows out over the thread pool. Used by
// softmax (tensor/softmax.cpp), its backward rules and cross-entropy (autograd/), layer_norm.
//
// Why lanes: a sum s += x[i] in float is a chain of dependent additions that the compiler may
// not reorder (that would change the rounding, and qkv never uses -ffast-math), so it stays
// scalar. Keeping `lanes` partial sums, lane j adding x[j], x[j + lanes], ..., lets each step
// add a whole vector at once; the lanes are then added in a fixed order. The order depends on
// the row length only, never on threads, so results stay bit-identical for any thread count.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "tensor/fast_math.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv::rows {

inline constexpr int lanes = 16;

// Calls fn(first, last) on ranges of the rows [0, rows), over the thread pool when the rows
// hold enough elements (n each) to be worth it.
template <class Fn> void for_rows(std::int64_t rows, std::int64_t n, Fn&& fn) {
    constexpr std::int64_t min_elements = 32768;  // per thread
    parallel_for(rows, std::max<std::int64_t>(1, min_elements / std::max<std::int64_t>(n, 1)), fn);
}

// sum_i term(i) for i in [0, n), term an elementwise formula (vectorised with the lanes).
template <class T, class Term> T sum_over(std::int64_t n, Term term) {
    T lane[lanes] = {};
    const std::int64_t full = n / lanes * lanes;
    for (std::int64_t i = 0; i < full; i += lanes)
        for (int j = 0; j < lanes; ++j) lane[j] += term(i + j);
    T s = 0;
    for (int j = 0; j < lanes; ++j) s += lane[j];
    for (std::int64_t i = full; i < n; ++i) s += term(i);
    return s;
}

template <class T> T sum(const T* x, std::int64_t n) {
    return sum_over<T>(n, [x](std::int64_t i) { return x[i]; });
}

template <class T> T dot(const T* a, const T* b, std::int64_t n) {
    return sum_over<T>(n, [a, b](std::int64_t i) { return a[i] * b[i]; });
}

// max_i x[i], ignoring NaN (as std::max(m, x) does); -inf for an empty row.
template <class T> T max(const T* x, std::int64_t n) {
    constexpr T lowest = -std::numeric_limits<T>::infinity();
    T lane[lanes];
    for (int j = 0; j < lanes; ++j) lane[j] = lowest;
    const std::int64_t full = n / lanes * lanes;
    for (std::int64_t i = 0; i < full; i += lanes)
        for (int j = 0; j < lanes; ++j) lane[j] = x[i + j] > lane[j] ? x[i + j] : lane[j];
    T m = lowest;
    for (int j = 0; j < lanes; ++j) m = lane[j] > m ? lane[j] : m;
    for (std::int64_t i = full; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

// True when some x[i] is NaN. Only the rare rows whose max is -inf ask: rows::max skips NaN, so
// such a row is all -inf, or -inf and NaN, or all NaN.
template <class T> bool any_nan(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i)
        if (std::isnan(x[i])) return true;
    return false;
}

// y = softmax(x) over one row: e_i = exp(x_i - m), y_i = e_i / sum_j e_j, m = max_j x_j.
// A row of all -inf (every key masked) gives zeros: no probability mass anywhere. A NaN makes
// the row NaN, as it does when the row also has a finite value (through the sum), and as in
// PyTorch; it is not read as a masked key.
template <class T> void softmax(const T* x, T* y, std::int64_t n) {
    const T m = rows::max(x, n);
    if (m == -std::numeric_limits<T>::infinity()) {
        const T fill = any_nan(x, n) ? std::numeric_limits<T>::quiet_NaN() : T(0);
        for (std::int64_t i = 0; i < n; ++i) y[i] = fill;
        return;
    }
    for (std::int64_t i = 0; i < n; ++i) y[i] = fast::exp(x[i] - m);
    const T inv = T(1) / rows::sum(y, n);
    for (std::int64_t i = 0; i < n; ++i) y[i] *= inv;
}

// y = log_softmax(x) over one row: y_i = x_i - m - log(sum_j exp(x_j - m)). A row of all -inf
// gives -inf everywhere (log 0); with a NaN in it, NaN (as softmax above).
template <class T> void log_softmax(const T* x, T* y, std::int64_t n) {
    const T m = rows::max(x, n);
    if (m == -std::numeric_limits<T>::infinity()) {
        const T fill = any_nan(x, n) ? std::numeric_limits<T>::quiet_NaN() : m;
        for (std::int64_t i = 0; i < n; ++i) y[i] = fill;
        return;
    }
    const T log_s = std::log(rows::sum_over<T>(n, [x, m](std::int64_t i) { return fast::exp(x[i] - m); }));
    for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - log_s;
}

}  // namespace qkv::rows
