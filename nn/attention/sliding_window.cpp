#include "nn/attention/sliding_window.hpp"

#include <cmath>

namespace qkv::nn::attention {

WindowOutput sliding_window_attention(const Var& q, const Var& k, const Var& v, std::int64_t w) {
    const char* op = "sliding_window_attention";
    if (w < 0) fail(op, "the half-width w must be >= 0, got ", w);
    if (q.dim() < 2 || q.shape() != k.shape() || v.dim() != q.dim())
        fail(op, "expected q and k (..., T, d) of one shape and v (..., T, dv), got ", shape_str(q.shape()), ", ", shape_str(k.shape()),
             ", ", shape_str(v.shape()));
    for (std::int64_t i = 0; i + 1 < q.dim(); ++i)
        if (v.size(i) != q.size(i)) fail(op, "v ", shape_str(v.shape()), " does not match q ", shape_str(q.shape()), " in dim ", i);
    const std::int64_t nd = q.dim(), T = q.size(nd - 2), d = q.size(nd - 1);
    if (T < 1 || d < 1) fail(op, "empty input ", shape_str(q.shape()));
    // Pad keys and values with w zero rows at each end, so key i + o of every offset is the
    // row i + o + w of the padded tensor, and the window of offset o is one narrow.
    auto pad = [&](const Var& x) {
        Shape edge = x.shape();
        edge[static_cast<std::size_t>(nd - 2)] = w;
        const Var z(zeros(edge, x.dtype()));
        return w > 0 ? concat({z, x, z}, nd - 2) : x;  // (..., T + 2w, d)
    };
    const Var kp = pad(k), vp = pad(v);
    std::vector<Var> scores;
    for (std::int64_t o = 0; o <= 2 * w; ++o)
        scores.push_back(sum(q * kp.narrow(nd - 2, o, T), {nd - 1}, true));  // (..., T, 1)
    Var s = concat(scores, nd - 1) / std::sqrt(static_cast<double>(d));  // (..., T, 2w + 1)
    // Offsets that fall off the sequence: query i, offset o - w, key i + o - w outside [0, T).
    Tensor off = empty({T, 2 * w + 1}, DType::Bool);
    std::uint8_t* m = off.data<std::uint8_t>();
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t o = 0; o <= 2 * w; ++o) m[i * (2 * w + 1) + o] = (i + o - w < 0 || i + o - w >= T) ? 1 : 0;
    s = masked_fill(s, off, -INFINITY);
    const Var a = softmax(s, nd - 1);  // (..., T, 2w + 1)
    Var out;
    for (std::int64_t o = 0; o <= 2 * w; ++o) {
        const Var term = a.narrow(nd - 1, o, 1) * vp.narrow(nd - 2, o, T);  // (..., T, dv)
        out = out.defined() ? out + term : term;
    }
    return {out, a};
}

Tensor window_to_dense(const Tensor& weights, std::int64_t w) {
    if (weights.dim() < 2 || weights.size(-1) != 2 * w + 1)
        fail("window_to_dense", "expected weights (..., T, ", 2 * w + 1, ") for w = ", w, ", got ", shape_str(weights.shape()));
    const std::int64_t T = weights.size(-2), W = 2 * w + 1, rows = weights.numel() / (T * W);
    Shape shape = weights.shape();
    shape.back() = T;
    const std::vector<double> a = weights.to_vector<double>();
    std::vector<double> dense(static_cast<std::size_t>(rows * T * T), 0.0);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t i = 0; i < T; ++i)
            for (std::int64_t o = 0; o < W; ++o) {
                const std::int64_t j = i + o - w;
                if (j >= 0 && j < T)
                    dense[static_cast<std::size_t>((r * T + i) * T + j)] = a[static_cast<std::size_t>((r * T + i) * W + o)];
            }
    return from_vector(dense, shape).to(weights.dtype());
}

}  // namespace qkv::nn::attention
