// The claims the lesson makes about multi-head attention, each measured on random inputs:
//
//   1. h heads computed jointly (one projection per input, split_heads, one batched attention,
//      merge_heads) equal h separate single-head attentions on the projected slices;
//   2. a causal mask stops leakage: tokens after t cannot change outputs up to t, bit for bit;
//      a key-padding mask does the same for padding, unless the heads were split by a bare
//      reshape (no transpose), which puts padding tokens in rows the mask does not cover;
//   3. the key-padding mask must line up with the batch: broadcasting a (B, 1, Tk) mask against
//      scores (B, H, Tq, Tk), as one article does, lines its B up with H instead;
//   4. sinusoidal PE(pos + k) is a rotation of PE(pos) in each frequency pair.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/attention/multi_head.hpp"

namespace qkv::lesson05 {

struct JointVsSeparate {
    std::int64_t B = 0, T = 0, D = 0, H = 0;
    double output_diff = 0;   // max |joint - separate| over the outputs (B, T, D)
    double weights_diff = 0;  // and over every head's weights (B, H, T, T)
};
// A MultiHeadAttention(D, H) on random x (B, T, D), self-attention; then head by head: rows
// [i*dh, (i+1)*dh) of W_q, W_k, W_v (and their biases) make that head's q, k, v, one
// scaled_dot_product_attention each, the h outputs concatenated and passed through out_proj.
JointVsSeparate joint_vs_separate(std::uint64_t seed);

// Head i by itself: x (B, T, D) -> q, k, v (B, T, dh) from rows [i*dh, (i+1)*dh) of the
// projections' weights and biases, then one scaled dot-product attention.
nn::AttentionOutput single_head(const nn::MultiHeadAttention& mha, std::int64_t head, const Var& query,
                                const Var& key, const Var& value, const Tensor& mask = Tensor());

// The mistake: (B, T, D) reshaped straight to (B, H, T, dh), and back, with no transpose.
Var split_heads_by_reshape(const Var& x, std::int64_t num_heads);
Var merge_heads_by_reshape(const Var& x);

struct CausalLeak {
    std::int64_t T = 0, t = 0;
    bool prefix_identical = false;  // outputs 0..t bit-identical after changing tokens t+1..T-1
    double prefix_change = 0;       // max |change| at positions 0..t (0 when nothing leaks)
    double suffix_change = 0;       // max |change| after t (the change did reach those)
};
// Causal self-attention through a MultiHeadAttention on x (1, T, D); then tokens t+1.. redrawn.
CausalLeak causal_leak(std::uint64_t seed);

struct PaddingLeak {
    std::int64_t T = 0, length = 0;
    double split_heads_change = 0;  // max |change| of the valid outputs after redrawing the padding
    double reshape_change = 0;      // the same with heads split and merged by a bare reshape
};
// Self-attention on x (1, T, D) with a key-padding mask (valid length < T); the padding tokens
// are then redrawn. Through split_heads the valid outputs do not move; through a bare reshape,
// head h's "row" j holds features of token (h T + j) / H, so the mask on rows >= length hides
// some valid tokens in one head and lets padding tokens through in another.
PaddingLeak padding_leak(std::uint64_t seed);

struct MaskBroadcast {
    // Mean weight per query on keys 2 and 3: padding of sequence 1, valid keys of sequence 0.
    double article_padding_weight = 0;  // sequence 1, head 0, the article's broadcast (> 0: a leak)
    double qkv_padding_weight = 0;      // sequence 1, the larger of its two heads, combine_masks (exactly 0)
    double article_valid_weight = 0;    // sequence 0, head 1, the article's broadcast (exactly 0: denied)
    double qkv_valid_weight = 0;        // sequence 0, head 1, combine_masks: what the article's version denies
};
// B = H = 2, valid lengths (4, 2) of Tk = 4: the key-padding mask (B, Tk) unsqueezed to
// (B, 1, Tk) and broadcast against the scores (B, H, Tq, Tk) puts sequence b's mask on head b of
// every sequence. qkv's combine_masks reshapes it to (B, 1, 1, Tk).
MaskBroadcast mask_broadcast(std::uint64_t seed);

// max over pos, k in [1, max_k], pairs i of |PE(pos + k) - R(k w_i) PE(pos)| for a float64
// table (max_len, d), with R the 2x2 rotation [[cos, sin], [-sin, cos]] by k w_i acting on
// (sin, cos), w_i = 10000^(-2i / d).
double pe_rotation_error(std::int64_t max_len, std::int64_t d_model, std::int64_t max_k);

}  // namespace qkv::lesson05
