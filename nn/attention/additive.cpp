#include "nn/attention/additive.hpp"

namespace qkv::nn {

namespace {

std::int64_t checked_size(const char* name, std::int64_t n) {
    if (n < 1) fail("AdditiveAttention", name, " must be >= 1, got ", n);
    return n;
}

// q (B, Tq, dq), k (B, Tk, dk), v (B, Tk, dv), with dq and dk the module's sizes.
void check_inputs(const Var& q, const Var& k, const Var& v, std::int64_t query_size, std::int64_t key_size) {
    const char* op = "AdditiveAttention";
    const auto shapes = [&] {
        return cat("q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()));
    };
    if (q.dim() != 3 || k.dim() != 3 || v.dim() != 3)
        fail(op, shapes(), " must be (B, Tq, dq), (B, Tk, dk) and (B, Tk, dv)");
    if (q.size(0) != k.size(0) || k.size(0) != v.size(0)) fail(op, shapes(), " differ in the batch size B");
    if (q.size(2) != query_size)
        fail(op, "q ", shape_str(q.shape()), " has size ", q.size(2), ", expected query_size ", query_size);
    if (k.size(2) != key_size)
        fail(op, "k ", shape_str(k.shape()), " has size ", k.size(2), ", expected key_size ", key_size);
    if (k.size(1) != v.size(1))
        fail(op, "k ", shape_str(k.shape()), " and v ", shape_str(v.shape()), " differ in the number of keys Tk: ",
             k.size(1), " vs ", v.size(1));
}

}  // namespace

AdditiveAttention::AdditiveAttention(std::int64_t query_size, std::int64_t key_size, std::int64_t hidden_size,
                                     Generator& gen)
    : W_q(checked_size("query_size", query_size), checked_size("hidden_size", hidden_size), {.bias = false}, gen),
      W_k(checked_size("key_size", key_size), hidden_size, {.bias = false}, gen),
      w_v(hidden_size, 1, {.bias = false}, gen) {}

AttentionOutput AdditiveAttention::forward(const Var& q, const Var& k, const Var& v, const Tensor& mask) {
    check_inputs(q, k, v, W_q.in_features(), W_k.in_features());
    return forward_projected(q, project_keys(k), v, mask);
}

Var AdditiveAttention::project_keys(const Var& k) {
    if (k.dim() != 3 || k.size(2) != W_k.in_features())
        fail("AdditiveAttention", "k ", shape_str(k.shape()), " should be (B, Tk, ", W_k.in_features(),
             "): (batch, keys, key_size)");
    return W_k(k);  // (B, Tk, h)
}

AttentionOutput AdditiveAttention::forward_projected(const Var& q, const Var& k_proj, const Var& v,
                                                     const Tensor& mask) {
    const std::int64_t h = W_q.out_features();
    if (q.dim() != 3 || q.size(2) != W_q.in_features() || k_proj.dim() != 3 || k_proj.size(2) != h ||
        v.dim() != 3 || q.size(0) != k_proj.size(0) || k_proj.size(0) != v.size(0) || k_proj.size(1) != v.size(1))
        fail("AdditiveAttention", "q ", shape_str(q.shape()), ", projected k ", shape_str(k_proj.shape()), ", v ",
             shape_str(v.shape()), " must be (B, Tq, ", W_q.in_features(), "), (B, Tk, ", h, ") and (B, Tk, dv)");
    // Project once per query and once per key, then pair every query with every key by
    // broadcasting: Tq + Tk projections instead of Tq * Tk.
    const Var q_h = W_q(q).unsqueeze(2);        // (B, Tq, h) -> (B, Tq, 1, h)
    const Var k_h = k_proj.unsqueeze(1);        // (B, Tk, h) -> (B, 1, Tk, h)
    const Var features = tanh(q_h + k_h);       // (B, Tq, Tk, h): one hidden layer per (query, key) pair
    const Var scores = w_v(features).squeeze(-1);  // (B, Tq, Tk, 1) -> (B, Tq, Tk)
    return attend(scores, v, mask);
}

void AdditiveAttention::visit(Visitor& v) {
    v.module("W_q", W_q);
    v.module("W_k", W_k);
    v.module("w_v", w_v);
}

std::string AdditiveAttention::describe() const {
    return cat("query_size=", W_q.in_features(), ", key_size=", W_k.in_features(), ", hidden=", W_q.out_features());
}

}  // namespace qkv::nn
