#include "nn/attention/scaled_dot_product.hpp"

#include "nn/data/batch.hpp"

#include <cmath>
#include <limits>
#include <vector>

#include "nn/attention/additive.hpp"

namespace qkv::nn {

namespace {

// q (..., Tq, d), k (..., Tk, d'), v (..., Tk, dv): at least 2 dims each, the same leading
// (batch, head) sizes, the same floating dtype, and as many values as keys. The query and key
// sizes d, d' are the caller's to check (equal for a dot product, free for additive scoring).
void check_qkv(const char* op, const Var& q, const Var& k, const Var& v) {
    const auto shapes = [&] {
        return cat("q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()));
    };
    if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) fail(op, shapes(), ": each needs at least 2 dims (..., T, size)");
    if (q.dim() != k.dim() || k.dim() != v.dim()) fail(op, shapes(), " have different numbers of dims");
    for (std::int64_t i = 0; i + 2 < q.dim(); ++i)
        if (q.size(i) != k.size(i) || k.size(i) != v.size(i)) fail(op, shapes(), " differ in leading dim ", i);
    if (q.dtype() != k.dtype() || k.dtype() != v.dtype())
        fail(op, "q, k and v must share one dtype, got ", dtype_name(q.dtype()), ", ", dtype_name(k.dtype()),
             " and ", dtype_name(v.dtype()));
    if (!is_floating(q.dtype())) fail(op, "q, k and v must be float32 or float64, got ", dtype_name(q.dtype()));
    if (k.size(-2) != v.size(-2))
        fail(op, "k ", shape_str(k.shape()), " and v ", shape_str(v.shape()), " differ in the number of keys Tk: ",
             k.size(-2), " vs ", v.size(-2));
}

// The mask must be bool and broadcast to the scores (..., Tq, Tk): aligned at the right, each
// of its sizes is 1 or the scores' size.
void check_attention_mask(const char* op, const Tensor& mask, const Shape& scores_shape) {
    if (!mask.defined()) return;
    if (mask.dtype() != DType::Bool)
        fail(op, "mask must be bool (true = masked out), got ", describe(mask));
    const std::int64_t n = static_cast<std::int64_t>(scores_shape.size());
    bool fits = mask.dim() <= n;
    for (std::int64_t i = 1; fits && i <= mask.dim(); ++i) {
        const std::int64_t m = mask.size(-i), s = scores_shape[static_cast<std::size_t>(n - i)];
        fits = m == 1 || m == s;
    }
    if (!fits)
        fail(op, "mask ", shape_str(mask.shape()), " does not broadcast to the scores (..., Tq, Tk) ",
             shape_str(scores_shape));
}

// The masked softmax and weighted average; dropout on the weights when dropout_p > 0.
AttentionOutput attend_with_dropout(const Var& scores, const Var& v, const Tensor& mask, double dropout_p,
                                    Generator* gen) {
    const char* op = "attend";
    if (scores.dim() < 2 || v.dim() != scores.dim())
        fail(op, "scores ", shape_str(scores.shape()), " and v ", shape_str(v.shape()),
             " must be (..., Tq, Tk) and (..., Tk, dv)");
    if (scores.size(-1) != v.size(-2))
        fail(op, "scores ", shape_str(scores.shape()), " and v ", shape_str(v.shape()),
             " differ in the number of keys Tk: ", scores.size(-1), " vs ", v.size(-2));
    check_attention_mask(op, mask, scores.shape());

    // A masked score becomes -inf, so exp gives its key weight exactly 0: the query ignores it
    // whatever its content. masked_fill passes no gradient to the positions it overwrote.
    const Var masked = mask.defined()
                           ? masked_fill(scores, mask, -std::numeric_limits<double>::infinity())  // (..., Tq, Tk)
                           : scores;
    // Over the keys: each row of weights sums to 1, or is all 0 when the whole row is masked.
    const Var weights = softmax(masked, -1);  // (..., Tq, Tk)
    const Var used = dropout_p > 0.0 ? dropout(weights, dropout_p, true, *gen) : weights;  // (..., Tq, Tk)
    const Var output = matmul(used, v);  // (..., Tq, Tk) @ (..., Tk, dv) -> (..., Tq, dv)
    return {output, weights};
}


Var scaled_scores(const char* op, const Var& q, const Var& k, const Var& v, const Tensor& mask) {
    check_qkv(op, q, k, v);
    const std::int64_t d = q.size(-1);
    if (k.size(-1) != d)
        fail(op, "q ", shape_str(q.shape()), " and k ", shape_str(k.shape()), " differ in size d: ", d, " vs ",
             k.size(-1));
    if (d < 1) fail(op, "q ", shape_str(q.shape()), " has size d = 0: there is nothing to score with");
    Shape scores_shape(q.shape().begin(), q.shape().end() - 1);
    scores_shape.push_back(k.size(-2));
    check_attention_mask(op, mask, scores_shape);

    // Each score is a dot product of d terms; with unit-variance q and k its variance is d, so
    // dividing by sqrt(d) brings it back to 1 (lesson 03).
    return matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(d));  // (..., Tq, Tk)
}

}  // namespace

AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask) {
    return attend(scaled_scores("scaled_dot_product_attention", q, k, v, mask), v, mask);
}

AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask,
                                             double dropout_p, Generator& gen) {
    const char* op = "scaled_dot_product_attention";
    if (!(dropout_p >= 0.0 && dropout_p < 1.0)) fail(op, "dropout_p must lie in [0, 1), got ", dropout_p);
    return attend_with_dropout(scaled_scores(op, q, k, v, mask), v, mask, dropout_p, &gen);
}

// Declared in additive.hpp (additive attention feeds it its own scores); defined here, beside
// the scoring it completes.
AttentionOutput attend(const Var& scores, const Var& v, const Tensor& mask) {
    return attend_with_dropout(scores, v, mask, 0.0, nullptr);
}

// The (B, Tk) key padding mask of nn/data/batch.hpp with a query dim, so it broadcasts over the
// queries: (B, 1, Tk).
Tensor padding_mask(const Tensor& lengths, std::int64_t Tk) { return key_padding_mask(lengths, Tk).unsqueeze(1); }

Tensor causal_mask(std::int64_t T) {
    if (T < 0) fail("causal_mask", "T must be >= 0, got ", T);
    return triu(ones({T, T}, DType::Bool), 1);  // (T, T): true at j > i, the future
}

}  // namespace qkv::nn
