// softmax(x)_i = exp(x_i - m) / sum_j exp(x_j - m), with m = max_j x_j.
// log_softmax(x)_i = x_i - m - log(sum_j exp(x_j - m)).
#include "tensor/softmax.hpp"

#include <cmath>
#include <limits>

#include "tensor/row_kernels.hpp"

namespace qkv {
namespace {

// Calls row(in, out, n, in_step, out_step) for every 1-d slice of `a` along `dim`, paired with
// the same slice of `out` (same shape as a).
template <class T, class RowFn>
void for_each_line(const Tensor& a, const Tensor& out, std::int64_t dim, RowFn row) {
    Shape outer = a.shape();
    Strides in_strides = a.strides(), out_strides = out.strides();
    const std::int64_t n = outer[dim], in_step = in_strides[dim], out_step = out_strides[dim];
    outer.erase(outer.begin() + dim);
    in_strides.erase(in_strides.begin() + dim);
    out_strides.erase(out_strides.begin() + dim);
    const T* in = reinterpret_cast<const T*>(a.storage()->bytes());
    T* o = reinterpret_cast<T*>(out.storage()->bytes());
    for_each_offset<2>(outer, {in_strides.data(), out_strides.data()}, {a.offset(), out.offset()},
                       [&](const std::int64_t* off) { row(in + off[0], o + off[1], n, in_step, out_step); });
}

template <bool Log>
Tensor softmax_impl(const Tensor& a, std::int64_t dim_in, const char* op) {
    a.check_defined(op);
    if (a.dim() == 0) return softmax_impl<Log>(a.reshape({1}), 0, op).reshape({});
    const std::int64_t dim = normalize_dim(dim_in, a.dim(), op);
    Tensor out = Tensor::uninitialized(a.shape(), a.dtype());  // every element is written
    if (dim == a.dim() - 1 && a.is_contiguous()) {
        // The common case, rows laid end to end: the vectorised row kernels, rows shared out over
        // the threads.
        const std::int64_t n = a.size(-1), count = n ? a.numel() / n : 0;
        dispatch_float(a.dtype(), op, [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* x = a.data<T>();
            T* y = out.data<T>();
            rows::for_rows(count, n, [&](std::int64_t first, std::int64_t last) {
                for (std::int64_t r = first; r < last; ++r) {
                    if constexpr (Log) rows::log_softmax(x + r * n, y + r * n, n);
                    else rows::softmax(x + r * n, y + r * n, n);
                }
            });
        });
        return out;
    }
    dispatch_float(a.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        for_each_line<T>(a, out, dim, [](const T* x, T* y, std::int64_t n, std::int64_t sx, std::int64_t sy) {
            T m = -std::numeric_limits<T>::infinity();
            for (std::int64_t i = 0; i < n; ++i) m = std::max(m, x[i * sx]);
            if (m == -std::numeric_limits<T>::infinity()) {
                // Every entry is -inf (all keys masked): no probability mass anywhere. Softmax
                // gives zeros rather than 0/0 = NaN; log_softmax gives log(0) = -inf. Unless the
                // max skipped a NaN: then the row is NaN, as in the contiguous path.
                bool nan = false;
                for (std::int64_t i = 0; i < n; ++i) nan = nan || std::isnan(x[i * sx]);
                const T fill = nan ? std::numeric_limits<T>::quiet_NaN() : Log ? m : T(0);
                for (std::int64_t i = 0; i < n; ++i) y[i * sy] = fill;
                return;
            }
            double s = 0;  // accumulate in double: rows can be thousands long
            if constexpr (Log) {
                for (std::int64_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(x[i * sx] - m));
                const T log_s = static_cast<T>(std::log(s));
                for (std::int64_t i = 0; i < n; ++i) y[i * sy] = x[i * sx] - m - log_s;
            } else {
                for (std::int64_t i = 0; i < n; ++i) {
                    const double e = std::exp(static_cast<double>(x[i * sx] - m));
                    y[i * sy] = static_cast<T>(e);
                    s += e;
                }
                const T inv = static_cast<T>(1.0 / s);
                for (std::int64_t i = 0; i < n; ++i) y[i * sy] *= inv;
            }
        });
    });
    return out;
}

}  // namespace

Tensor softmax(const Tensor& a, std::int64_t dim) { return softmax_impl<false>(a, dim, "softmax"); }
Tensor log_softmax(const Tensor& a, std::int64_t dim) { return softmax_impl<true>(a, dim, "log_softmax"); }

}  // namespace qkv
