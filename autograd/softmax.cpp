// Fused backward rules: rather than differentiating through exp, sum and divide one by one,
// each uses the closed form of its Jacobian-vector product along the row.
#include "autograd/softmax.hpp"

#include "autograd/engine.hpp"

namespace qkv {

// y = softmax(x): dy_i/dx_j = y_i (delta_ij - y_j), so
//   dL/dx_j = sum_i g_i y_i (delta_ij - y_j) = y_j (g_j - sum_i g_i y_i).
Var softmax(const Var& a, std::int64_t dim) {
    Tensor y = softmax(a.data(), dim);
    return record("softmax", y, {a}, [y, dim](const Tensor& g) -> Grads {
        const Tensor gy = mul(g, y);
        return {sub(gy, mul(y, sum(gy, {dim}, true)))};
    });
}

// y = log_softmax(x) = x - lse(x): dy_i/dx_j = delta_ij - softmax_j, so
//   dL/dx_j = g_j - softmax_j sum_i g_i, with softmax_j = exp(y_j).
Var log_softmax(const Var& a, std::int64_t dim) {
    Tensor y = log_softmax(a.data(), dim);
    return record("log_softmax", y, {a}, [y, dim](const Tensor& g) -> Grads {
        return {sub(g, mul(exp(y), sum(g, {dim}, true)))};
    });
}

}  // namespace qkv
