// Exercise 05.3: multi-head attention with both masks (多头注意力, 掩码), on projected inputs.
//
//   head_i = softmax(Q_i K_i^T / sqrt(dh) + mask) V_i,   output = Concat(head_1, ..., head_H)
//
// Masks are bool, TRUE = may not attend (nn::AttentionMasks): key_padding (B, Tk), and attn of
// shape (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk). A position is masked if either mask says so.
// Shapes: B = batch, Tq = queries, Tk = keys, D = H * dh.
#pragma once

#include "nn/attention/multi_head.hpp"

namespace qkv::exercises {

// q (B, Tq, D), k (B, Tk, D), v (B, Tk, D) -> output (B, Tq, D) (before out_proj), weights
// (B, H, Tq, Tk). Same results as nn::multi_head_attention without dropout.
nn::MultiHeadOutput multi_head_attention(const Var& q, const Var& k, const Var& v, std::int64_t num_heads,
                                         const nn::AttentionMasks& masks = {});

// nn::MultiHeadAttention's forward with your multi_head_attention in the middle: what
// `lesson05 --mine` trains with. Not an exercise (it only adds the module's projections).
nn::MultiHeadOutput attention_forward_mine(nn::MultiHeadAttention& m, const Var& x, const nn::AttentionMasks& masks = {});

}  // namespace qkv::exercises

namespace qkv::exercises {

// Calls 05.1 and 05.3 once on tiny inputs, in that order, so `--mine` can say which exercise to
// do first: throws qkv::NotImplemented naming the first unsolved one.
void probe_mine();

}  // namespace qkv::exercises
