// Lesson 10's exercises: your own copies of the pieces a GPT is made of (the library's stay in
// nn/attention/scaled_dot_product.hpp, nn/sampling.hpp and nn/transformer/kv_cache.hpp, and
// lessons/10_tiny_gpt/tiny_gpt.hpp's poem_batch, so the lesson keeps working while you work).
#pragma once

#include <cstdint>
#include <vector>

#include "nn/attention/multi_head.hpp"
#include "tensor/tensor.hpp"

namespace qkv::exercises {

// 10.1: the causal mask, (T, T) bool, true where query i may NOT see key j (j > i), as
// nn::causal_mask makes it. Throws qkv::Error for T < 0.
Tensor causal_mask(std::int64_t T);

// 10.1: one training example of next-token prediction (语言模型) from a window of n tokens:
// inputs = window[0 .. n-2] and targets = window[1 .. n-1], each (1, n - 1) int64, so that
// targets[t] is the token that follows inputs[t]. Throws qkv::Error for a window of fewer
// than 2 tokens (there is nothing to predict).
struct LMExample {
    Tensor inputs, targets;  // (1, n - 1) int64 each
};
LMExample next_token_example(const std::vector<std::int64_t>& window);

// 10.2: the nucleus of `probs` (non-negative, summing to 1): token i, taken in order of
// decreasing probability (ties: the smaller id first), is kept while the mass of the tokens
// before it is < p; the kept ones are renormalised to sum to 1, the others are 0. As
// nn::top_p_filter.
std::vector<double> top_p_filter(const std::vector<double>& probs, double p);

// 10.3: one new position's self-attention through a KV cache, as nn::cached_self_attention:
// x (R, 1, D) is the input at position t; keys and values (R, H, max_len, dh) hold the keys
// and values of positions 0..t-1. Write position t's key and value into them, attend with its
// one query over positions 0..t, and return attn.out_proj of the merged heads, (R, 1, D).
Var cached_attention_step(nn::MultiHeadAttention& attn, const Var& x, Tensor& keys, Tensor& values, std::int64_t t);

}  // namespace qkv::exercises
