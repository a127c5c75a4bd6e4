// Additive attention (加性注意力, Bahdanau et al. 2015): the score of a query q and a key k is
// a small one-hidden-layer network instead of a dot product,
//
//   score(q, k) = w_v^T tanh(W_q q + W_k k)
//
// so queries and keys may have different sizes. The scores then go through the same masked
// softmax and weighted average as in scaled_dot_product.hpp. Lesson 04 uses it in a seq2seq
// decoder.
#pragma once

#include "nn/attention/scaled_dot_product.hpp"
#include "nn/linear.hpp"

namespace qkv::nn {

class AdditiveAttention : public Module {
public:
    // query_size -> hidden, key_size -> hidden, hidden -> 1, all without bias (as in the paper's
    // formulation; the tanh's input needs no extra offset).
    AdditiveAttention(std::int64_t query_size, std::int64_t key_size, std::int64_t hidden_size,
                      Generator& gen = default_generator());

    // q (B, Tq, dq), k (B, Tk, dk), v (B, Tk, dv); mask as in scaled_dot_product_attention.
    AttentionOutput forward(const Var& q, const Var& k, const Var& v, const Tensor& mask = Tensor());
    AttentionOutput operator()(const Var& q, const Var& k, const Var& v, const Tensor& mask = Tensor()) {
        return forward(q, k, v, mask);
    }

    // The same in two halves, for a decoder that asks one query per step against keys that do
    // not change (the encoder states). W_k k is (B, Tk, dk) @ (dk, h): done inside forward() it
    // would be redone at every one of the T decoder steps, T times the same matmul on the
    // largest operand; projected once per sequence, each step only projects its query (B, dq)
    // and adds. forward(q, k, v, mask) == forward_projected(q, project_keys(k), v, mask).
    Var project_keys(const Var& k);  // (B, Tk, dk) -> (B, Tk, h)
    // q (B, Tq, dq), k_proj (B, Tk, h) from project_keys, v (B, Tk, dv).
    AttentionOutput forward_projected(const Var& q, const Var& k_proj, const Var& v, const Tensor& mask = Tensor());

    Linear W_q, W_k, w_v;

    void visit(Visitor& v) override;
    std::string type_name() const override { return "AdditiveAttention"; }
    std::string describe() const override;
};

// The masked softmax and weighted average shared by both scorings: scores (B, Tq, Tk) ->
// weights (B, Tq, Tk) and output weights @ v (B, Tq, dv).
AttentionOutput attend(const Var& scores, const Var& v, const Tensor& mask);

}  // namespace qkv::nn
