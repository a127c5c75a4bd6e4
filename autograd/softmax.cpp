// Fused backward rules: rather than differentiating through exp, sum and divide one by one,
// each uses the closed form of its Jacobian-vector product along the row. Along the last dim
// (every use in qkv: attention rows, class scores) one kernel does a row in a single pass over
// g and y, rows shared out over the threads; other dims use the same formula as tensor ops.
#include "autograd/softmax.hpp"

#include "autograd/engine.hpp"
#include "tensor/row_kernels.hpp"

namespace qkv {
namespace {

// dx = row_rule(g, y) for each row along the last dim, g and y of y's shape.
template <class RowRule>
Tensor backward_rows(const char* op, const Tensor& g_in, const Tensor& y, RowRule row_rule) {
    const Tensor g = g_in.contiguous();
    Tensor dx = Tensor::uninitialized(y.shape(), y.dtype());
    const std::int64_t n = y.size(-1), count = n ? y.numel() / n : 0;
    dispatch_float(y.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* gp = g.data<T>();
        const T* yp = y.data<T>();
        T* dp = dx.data<T>();
        rows::for_rows(count, n, [&](std::int64_t first, std::int64_t last) {
            for (std::int64_t r = first; r < last; ++r) row_rule(gp + r * n, yp + r * n, dp + r * n, n);
        });
    });
    return dx;
}

bool along_last_dim(const Tensor& y, std::int64_t dim) {
    return y.dim() > 0 && (dim == -1 || dim == y.dim() - 1) && y.is_contiguous();
}

}  // namespace

// y = softmax(x): dy_i/dx_j = y_i (delta_ij - y_j), so
//   dL/dx_j = sum_i g_i y_i (delta_ij - y_j) = y_j (g_j - sum_i g_i y_i).
Var Var::softmax(std::int64_t dim) const { return qkv::softmax(*this, dim); }
Var Var::log_softmax(std::int64_t dim) const { return qkv::log_softmax(*this, dim); }

Var softmax(const Var& a, std::int64_t dim) {
    Tensor y = softmax(a.data(), dim);
    return record("softmax", y, {a}, [y, dim](const Tensor& g) -> Grads {
        if (along_last_dim(y, dim))
            return {backward_rows("softmax_backward", g, y, [](const auto* gr, const auto* yr, auto* dr, std::int64_t n) {
                const auto gy = rows::dot(gr, yr, n);
                for (std::int64_t i = 0; i < n; ++i) dr[i] = yr[i] * (gr[i] - gy);
            })};
        const Tensor gy = mul(g, y);
        return {sub(gy, mul(y, sum(gy, {dim}, true)))};
    });
}

// y = log_softmax(x) = x - lse(x): dy_i/dx_j = delta_ij - softmax_j, so
//   dL/dx_j = g_j - softmax_j sum_i g_i, with softmax_j = exp(y_j).
Var log_softmax(const Var& a, std::int64_t dim) {
    Tensor y = log_softmax(a.data(), dim);
    return record("log_softmax", y, {a}, [y, dim](const Tensor& g) -> Grads {
        if (along_last_dim(y, dim))
            return {backward_rows("log_softmax_backward", g, y,
                                  [](const auto* gr, const auto* yr, auto* dr, std::int64_t n) {
                                      const auto gs = rows::sum(gr, n);
                                      for (std::int64_t i = 0; i < n; ++i) dr[i] = gr[i] - fast::exp(yr[i]) * gs;
                                  })};
        return {sub(g, mul(exp(y), sum(g, {dim}, true)))};
    });
}

}  // namespace qkv
