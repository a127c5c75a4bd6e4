// A reduction's gradient is spread back over the elements that were reduced: g is reshaped to
// the keepdim shape and broadcast (expand, no copy) across the reduced dims.
#include "autograd/reduce.hpp"

#include <cmath>
#include <limits>

#include "autograd/engine.hpp"
#include "tensor/map.hpp"

namespace qkv {
namespace {
// g (the reduction's output shape) broadcast back to the input's shape.
Tensor spread(const Tensor& g, const Shape& in, const Dims& dims) {
    return g.reshape(reduced_shape(in, dims, true, "backward")).expand(in);
}
std::int64_t count(const Shape& in, const Dims& dims) {
    std::int64_t n = 1;
    for (auto d : normalize_dims(dims, static_cast<std::int64_t>(in.size()), "reduce")) n *= in[d];
    return n;
}
}  // namespace

// d(sum x)/dx_i = 1
Var Var::sum(const Dims& dims, bool keepdim) const { return qkv::sum(*this, dims, keepdim); }
Var Var::mean(const Dims& dims, bool keepdim) const { return qkv::mean(*this, dims, keepdim); }

Var sum(const Var& a, const Dims& dims, bool keepdim) {
    const Shape in = a.shape();
    return record("sum", sum(a.data(), dims, keepdim), {a},
                  [in, dims](const Tensor& g) -> Grads { return {spread(g, in, dims)}; });
}

// d(mean x)/dx_i = 1 / N
Var mean(const Var& a, const Dims& dims, bool keepdim) {
    const Shape in = a.shape();
    const double n = static_cast<double>(count(in, dims));
    return record("mean", mean(a.data(), dims, keepdim), {a},
                  [in, dims, n](const Tensor& g) -> Grads { return {spread(g, in, dims) / n}; });
}

// var = sum (x_i - m)^2 / (N - c), so d var/dx_i = 2 (x_i - m) / (N - c) (the terms through m
// cancel because sum (x_i - m) = 0).
Var var(const Var& a, const Dims& dims, std::int64_t correction, bool keepdim) {
    const Shape in = a.shape();
    const double denom = static_cast<double>(count(in, dims) - correction);
    return record("var", var(a.data(), dims, correction, keepdim), {a},
                  [x = a.data(), in, dims, denom](const Tensor& g) -> Grads {
                      const Tensor centred = x - mean(x, dims, true);
                      return {spread(g, in, dims) * centred * (2.0 / denom)};
                  });
}

// d lse/dx_i = exp(x_i - lse) = softmax(x)_i. A slice that was all -inf has lse = -inf and
// gets zero gradient (no element contributed).
Var logsumexp(const Var& a, const Dims& dims, bool keepdim) {
    const Shape in = a.shape();
    Tensor out = logsumexp(a.data(), dims, keepdim);
    return record("logsumexp", out, {a}, [x = a.data(), out, in, dims](const Tensor& g) -> Grads {
        const Tensor lse = spread(out, in, dims);
        const Tensor weights = map_binary<Accepts::Floating>("logsumexp_backward", x, lse, [](auto xv, auto l) {
            using T = decltype(xv);
            return l == -std::numeric_limits<T>::infinity() ? T(0) : std::exp(xv - l);
        });
        return {spread(g, in, dims) * weights};
    });
}

Var max(const Var& a, std::int64_t dim, bool keepdim) {
    const Shape in = a.shape();
    ValuesIndices r = max(a.data(), dim, keepdim);
    const std::int64_t d = normalize_dim(dim, a.dim(), "max");
    return record("max", r.values, {a}, [idx = r.indices, in, d, keepdim](const Tensor& g) -> Grads {
        const Tensor index = keepdim ? idx : idx.unsqueeze(d);
        const Tensor src = keepdim ? g : g.unsqueeze(d);
        return {scatter_add(zeros(in, g.dtype()), d, index, src)};
    });
}

}  // namespace qkv
