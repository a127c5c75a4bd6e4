// Lesson 03's exercises. Each function body between the SOLUTION markers is what you write.
#include "lessons/03_dot_product_attention/exercises/attention.hpp"

#include <cmath>
#include <limits>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Tensor causal_mask(std::int64_t T) {
    // SOLUTION BEGIN 03.1
    if (T < 0) fail("causal_mask", "T must be >= 0, got ", T);
    Tensor mask({T, T}, DType::Bool);  // zero-filled: nothing masked yet
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t j = i + 1; j < T; ++j) m[i * T + j] = 1;  // key j is in query i's future
    return mask;
    // SOLUTION END 03.1
}

Tensor padding_mask(const Tensor& lengths, std::int64_t Tk) {
    // SOLUTION BEGIN 03.1
    if (lengths.dtype() != DType::Int64 || lengths.dim() != 1)
        fail("padding_mask", "lengths must be a 1-d int64 tensor, got ", describe(lengths));
    const std::vector<std::int64_t> lens = lengths.to_vector<std::int64_t>();
    const auto B = static_cast<std::int64_t>(lens.size());
    Tensor mask({B, 1, Tk}, DType::Bool);  // (B, 1, Tk): one row per sequence, broadcast over queries
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t len = lens[static_cast<std::size_t>(b)];
        if (len < 0 || len > Tk) fail("padding_mask", "lengths[", b, "] = ", len, " is outside [0, Tk = ", Tk, "]");
        for (std::int64_t j = len; j < Tk; ++j) m[b * Tk + j] = 1;  // keys past the end are padding
    }
    return mask;
    // SOLUTION END 03.1
}

nn::AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask) {
    // SOLUTION BEGIN 03.2
    if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2 || q.size(-1) != k.size(-1) || k.size(-2) != v.size(-2))
        fail("scaled_dot_product_attention", "q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ",
             shape_str(v.shape()), ": need q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv)");
    const double d = static_cast<double>(q.size(-1));
    const Var scores = matmul(q, k.transpose(-2, -1)) / std::sqrt(d);  // (..., Tq, Tk), variance ~1
    const Var masked = mask.defined() ? masked_fill(scores, mask, -std::numeric_limits<double>::infinity()) : scores;
    const Var weights = softmax(masked, -1);  // (..., Tq, Tk): rows sum to 1, or 0 when all masked
    return {matmul(weights, v), weights};     // (..., Tq, Tk) @ (..., Tk, dv) -> (..., Tq, dv)
    // SOLUTION END 03.2
}

Tensor softmax_backward(const Tensor& y, const Tensor& g, std::int64_t dim) {
    // SOLUTION BEGIN 03.3
    // dy_i/dx_j = y_i (delta_ij - y_j), so dL/dx_j = sum_i g_i y_i (delta_ij - y_j) = y_j (g_j - sum_i g_i y_i).
    const Tensor gy = mul(g, y);
    return sub(gy, mul(y, sum(gy, {dim}, true)));
    // SOLUTION END 03.3
}

Var softmax_with_my_backward(const Var& x, std::int64_t dim) {
    const Tensor y = softmax(x.data(), dim);
    return record("softmax", y, {x}, [y, dim](const Tensor& g) -> Grads { return {softmax_backward(y, g, dim)}; });
}

}  // namespace qkv::exercises
