// Reductions. Each one is a fold over the "slice" of elements that map to one output element;
// for_each_slice below finds those slices for any set of dims on any strided layout, and each
// reduction only says how to fold a slice.
#include "tensor/reduce.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/thread_pool.hpp"

namespace qkv {
namespace {

template <class T> const T* raw(const Tensor& t) { return reinterpret_cast<const T*>(t.storage()->bytes()); }

// Calls visit(i, each) for output element i (row-major over the kept dims); each(f) calls
// f(value) for every element of that output's slice, in row-major order over the reduced dims.
template <class T, class Visit>
void for_each_slice(const Tensor& a, const Dims& dims, Visit visit) {
    Shape kept_shape, red_shape;
    Strides kept_strides, red_strides;
    for (std::int64_t k = 0; k < a.dim(); ++k) {
        const bool reduced = std::find(dims.begin(), dims.end(), k) != dims.end();
        (reduced ? red_shape : kept_shape).push_back(a.shape()[k]);
        (reduced ? red_strides : kept_strides).push_back(a.strides()[k]);
    }
    const T* base = raw<T>(a);
    std::int64_t i = 0;
    for_each_offset<1>(kept_shape, {kept_strides.data()}, {a.offset()}, [&](const std::int64_t* start) {
        auto each = [&](auto&& f) {
            for_each_row<1>(red_shape, {red_strides.data()}, {start[0]},
                            [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step) {
                                const T* p = base + off[0];
                                for (std::int64_t k = 0; k < n; ++k) f(p[k * step[0]]);
                            });
        };
        visit(i++, each);
    });
}

std::int64_t slice_count(const Shape& shape, const Dims& dims) {
    std::int64_t n = 1;
    for (auto d : dims) n *= shape[d];
    return n;
}

// Wider accumulator: float sums accumulate in double, integer sums in int64.
template <class T> using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

// Output of a reduction: a contiguous tensor of the reduced shape, viewed with keepdim's shape.
Tensor reduction_output(const Tensor& a, const Dims& dims, bool keepdim, DType dtype, const char* op) {
    return Tensor(reduced_shape(a.shape(), dims, keepdim, op), dtype);
}

}  // namespace

Dims normalize_dims(const Dims& dims, std::int64_t ndim, const char* op) {
    Dims out;
    if (dims.empty()) {
        for (std::int64_t k = 0; k < ndim; ++k) out.push_back(k);
        return out;
    }
    for (auto d : dims) out.push_back(normalize_dim(d, ndim, op));
    std::sort(out.begin(), out.end());
    if (std::adjacent_find(out.begin(), out.end()) != out.end())
        fail(op, "dim appears more than once in ", shape_str(dims));
    return out;
}

Shape reduced_shape(const Shape& shape, const Dims& dims, bool keepdim, const char* op) {
    const Dims nd = normalize_dims(dims, static_cast<std::int64_t>(shape.size()), op);
    Shape out;
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(shape.size()); ++k) {
        const bool reduced = std::find(nd.begin(), nd.end(), k) != nd.end();
        if (!reduced) out.push_back(shape[k]);
        else if (keepdim) out.push_back(1);
    }
    return out;
}

namespace {

// The sum of a contiguous float tensor over its leading dims (a bias gradient: (B, T, D) ->
// (D)) or its trailing dims, viewed as rows x cols: out[c] = sum_r a[r][c] or
// out[r] = sum_c a[r][c]. The same double accumulators and the same order as the general loop
// (so the same result), but the leading-dims case walks a row at a time, vectorised over the
// columns, with the columns shared out over the threads, instead of one strided column at a time.
// Returns false when the layout is not one of these.
bool sum_contiguous_block(const Tensor& a, const Dims& dims, const Tensor& out) {
    if (!is_floating(a.dtype()) || !a.is_contiguous() || dims.empty() || a.numel() == 0) return false;
    const auto d = static_cast<std::int64_t>(dims.size());
    bool leading = true, trailing = true;
    for (std::int64_t k = 0; k < d; ++k) {
        leading = leading && dims[static_cast<std::size_t>(k)] == k;
        trailing = trailing && dims[static_cast<std::size_t>(k)] == a.dim() - d + k;
    }
    if (!leading && !trailing) return false;
    const std::int64_t reduced = slice_count(a.shape(), dims), kept = a.numel() / reduced;
    dispatch_float(a.dtype(), "sum", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* x = a.data<T>();
        T* o = out.data<T>();
        if (leading) {  // rows = reduced, cols = kept
            parallel_for(kept, std::max<std::int64_t>(16, 32768 / reduced), [&](std::int64_t first, std::int64_t last) {
                std::vector<double> acc(static_cast<std::size_t>(last - first), 0.0);
                for (std::int64_t r = 0; r < reduced; ++r) {
                    const T* row = x + r * kept + first;
                    for (std::int64_t c = 0; c < last - first; ++c) acc[static_cast<std::size_t>(c)] += row[c];
                }
                for (std::int64_t c = first; c < last; ++c) o[c] = static_cast<T>(acc[static_cast<std::size_t>(c - first)]);
            });
        } else {  // rows = kept, cols = reduced
            parallel_for(kept, std::max<std::int64_t>(1, 32768 / reduced), [&](std::int64_t first, std::int64_t last) {
                for (std::int64_t r = first; r < last; ++r) {
                    double s = 0;
                    for (std::int64_t c = 0; c < reduced; ++c) s += x[r * reduced + c];
                    o[r] = static_cast<T>(s);
                }
            });
        }
    });
    return true;
}

}  // namespace

Tensor sum(const Tensor& a, const Dims& dims_in, bool keepdim) {
    a.check_defined("sum");
    const Dims dims = normalize_dims(dims_in, a.dim(), "sum");
    // Integer and bool sums count in int64, as in PyTorch.
    const DType out_dtype = is_floating(a.dtype()) ? a.dtype() : DType::Int64;
    Tensor out = reduction_output(a, dims, keepdim, out_dtype, "sum");
    if (sum_contiguous_block(a, dims, out)) return out;
    dispatch(a.dtype(), "sum", [&](auto tag) {
        using T = typename decltype(tag)::type;
        using O = std::conditional_t<std::is_floating_point_v<T>, T, std::int64_t>;
        O* o = out.data<O>();
        for_each_slice<T>(a, dims, [&](std::int64_t i, auto each) {
            Acc<T> s = 0;
            each([&](T v) { s += v; });
            o[i] = static_cast<O>(s);
        });
    });
    return out;
}

Tensor mean(const Tensor& a, const Dims& dims_in, bool keepdim) {
    a.check_defined("mean");
    const Dims dims = normalize_dims(dims_in, a.dim(), "mean");
    const auto n = static_cast<double>(slice_count(a.shape(), dims));
    Tensor out = reduction_output(a, dims, keepdim, a.dtype(), "mean");
    dispatch_float(a.dtype(), "mean", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = out.data<T>();
        for_each_slice<T>(a, dims, [&](std::int64_t i, auto each) {
            double s = 0;
            each([&](T v) { s += v; });
            o[i] = static_cast<T>(s / n);  // 0 / 0 = NaN for an empty slice, as in PyTorch
        });
    });
    return out;
}

Tensor var(const Tensor& a, const Dims& dims_in, std::int64_t correction, bool keepdim) {
    a.check_defined("var");
    if (correction < 0) fail("var", "correction must be >= 0, got ", correction);
    const Dims dims = normalize_dims(dims_in, a.dim(), "var");
    const std::int64_t n = slice_count(a.shape(), dims);
    Tensor out = reduction_output(a, dims, keepdim, a.dtype(), "var");
    dispatch_float(a.dtype(), "var", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = out.data<T>();
        for_each_slice<T>(a, dims, [&](std::int64_t i, auto each) {
            // Two passes, mean first: the one-pass E[x^2] - E[x]^2 cancels catastrophically.
            double s = 0;
            each([&](T v) { s += v; });
            const double m = s / static_cast<double>(n);
            double ss = 0;
            each([&](T v) { ss += (v - m) * (v - m); });
            const double denom = static_cast<double>(n - correction);
            o[i] = static_cast<T>(denom > 0 ? ss / denom : std::numeric_limits<double>::quiet_NaN());
        });
    });
    return out;
}

Tensor logsumexp(const Tensor& a, const Dims& dims_in, bool keepdim) {
    a.check_defined("logsumexp");
    const Dims dims = normalize_dims(dims_in, a.dim(), "logsumexp");
    Tensor out = reduction_output(a, dims, keepdim, a.dtype(), "logsumexp");
    dispatch_float(a.dtype(), "logsumexp", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = out.data<T>();
        for_each_slice<T>(a, dims, [&](std::int64_t i, auto each) {
            double m = -std::numeric_limits<double>::infinity();
            each([&](T v) { m = std::max<double>(m, v); });
            if (!std::isfinite(m)) {  // all -inf (an empty sum: -inf), or +inf/NaN present
                bool nan_seen = false;
                each([&](T v) { nan_seen = nan_seen || is_nan(v); });
                o[i] = static_cast<T>(nan_seen ? std::numeric_limits<double>::quiet_NaN() : m);
                return;
            }
            double s = 0;
            each([&](T v) { s += std::exp(static_cast<double>(v) - m); });
            o[i] = static_cast<T>(m + std::log(s));
        });
    });
    return out;
}

namespace {
// The extreme element of each slice along `dim` and its position. Better(x, best) says when x
// should replace the current best; NaN always wins, as in PyTorch (a NaN max is NaN).
template <class Better>
ValuesIndices extreme(const Tensor& a, std::int64_t dim_in, bool keepdim, const char* op, Better better) {
    a.check_defined(op);
    if (a.dim() == 0) return {a.clone(), Tensor({}, DType::Int64)};
    const std::int64_t d = normalize_dim(dim_in, a.dim(), op);
    if (a.shape()[d] == 0) fail(op, "cannot reduce over dim ", d, " of size 0 in shape ", shape_str(a.shape()));
    ValuesIndices r{reduction_output(a, {d}, keepdim, a.dtype(), op),
                    reduction_output(a, {d}, keepdim, DType::Int64, op)};
    std::int64_t* idx = r.indices.data<std::int64_t>();
    dispatch<true, false>(a.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = r.values.data<T>();
        for_each_slice<T>(a, {d}, [&](std::int64_t i, auto each) {
            std::int64_t pos = 0, best_pos = 0;
            T best{};
            each([&](T v) {
                if (pos == 0 || (!is_nan(best) && (is_nan(v) || better(v, best)))) best = v, best_pos = pos;
                ++pos;
            });
            o[i] = best;
            idx[i] = best_pos;
        });
    });
    return r;
}
}  // namespace

ValuesIndices max(const Tensor& a, std::int64_t dim, bool keepdim) {
    return extreme(a, dim, keepdim, "max", [](auto x, auto best) { return x > best; });
}
ValuesIndices min(const Tensor& a, std::int64_t dim, bool keepdim) {
    return extreme(a, dim, keepdim, "min", [](auto x, auto best) { return x < best; });
}
Tensor argmax(const Tensor& a, std::int64_t dim, bool keepdim) { return max(a, dim, keepdim).indices; }

Tensor max(const Tensor& a) {
    a.check_defined("max");
    if (a.numel() == 0) fail("max", "cannot take the max of an empty tensor of shape ", shape_str(a.shape()));
    return max(a.reshape({-1}), 0).values;
}
Tensor min(const Tensor& a) {
    a.check_defined("min");
    if (a.numel() == 0) fail("min", "cannot take the min of an empty tensor of shape ", shape_str(a.shape()));
    return min(a.reshape({-1}), 0).values;
}

}  // namespace qkv
