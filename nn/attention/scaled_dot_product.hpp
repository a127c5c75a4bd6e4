// Scaled dot-product attention (缩放点积注意力), the core of every article:
//
//   Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V
//
// Each query scores every key by a dot product, the scores become weights that sum to 1 over
// the keys (softmax), and the output is the weighted average of the values: a soft lookup.
// Dividing by sqrt(d_k) keeps the scores' variance near 1 whatever d_k is, so softmax does not
// saturate (lesson 03 measures this).
//
// Shapes: B = batch (and any further leading dims, e.g. heads), Tq = queries, Tk = keys,
//         d = query/key size, dv = value size.
//
// Masks are bool tensors where TRUE MEANS MASKED OUT (padding, or a future position). A masked
// score is set to -inf before softmax, so its weight is exactly 0. A query whose keys are ALL
// masked gets an all-zero weight row (qkv's softmax convention) and so a zero output vector: not
// NaN, and not a uniform average over keys it was told to ignore.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::nn {

struct AttentionOutput {
    Var output;   // (B, Tq, dv)
    Var weights;  // (B, Tq, Tk), each row sums to 1 (or is all 0 when fully masked)
};

// q (B, Tq, d), k (B, Tk, d), v (B, Tk, dv); `mask` (optional) is bool and broadcasts to
// (B, Tq, Tk). Any number of leading dims is allowed as long as q, k and v agree on them.
AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask = Tensor());

// The same with dropout on the attention weights, as in training a Transformer or BERT: each
// weight is zeroed with probability dropout_p (the rest scaled by 1 / (1 - dropout_p)) before
// the weighted average, so a query cannot lean on any single key. The returned `weights` are
// the ones before dropout (what the model computed, for plotting). Masks come from `gen`.
AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask,
                                             double dropout_p, Generator& gen);

// Padding mask from valid lengths: lengths (B) int64 -> (B, 1, Tk) bool, true at key positions
// j >= lengths[b]; every length must lie in [0, Tk]. Broadcasts over the queries. With heads,
// scores (B, H, Tq, Tk), unsqueeze(1) it to (B, 1, 1, Tk): as it is, (B, 1, Tk) would line its
// B up with H.
Tensor padding_mask(const Tensor& lengths, std::int64_t Tk);

// Causal mask (T, T) bool, true above the diagonal: query i may not see keys j > i.
Tensor causal_mask(std::int64_t T);

}  // namespace qkv::nn
