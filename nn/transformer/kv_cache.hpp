// The key/value cache (KV cache) for decoding a Transformer one token at a time.
//
// Without it, every step of greedy or beam decoding runs the decoder over the whole prefix
// [BOS] y1 .. yt again, though only the last position's output is used: step t costs O(t)
// positions of every layer, and a sequence of n tokens O(n^2). But under the causal mask
// position i's keys and values depend only on tokens 0..i, so they are the same at every later
// step. The cache keeps them:
//   - self-attention: each layer's keys and values of the positions decoded so far, (R, H, t, dh);
//     a step computes the new position's q, k, v, appends k and v, and attends with its one
//     query over all t + 1 cached keys (no mask: nothing cached lies in the future);
//   - cross-attention: the keys and values of the encoder output ("memory") never change
//     during decoding, so each layer projects them once, (R, H, Ts, dh).
// A step then costs O(1) positions per layer plus one attention row over t keys.
//
// Shapes: R = decoding rows (batch x beams), H = heads, dh = d_model / H, t = decoded so far,
//         Ts = source length, D = d_model.
#pragma once

#include <vector>

#include "nn/transformer/transformer.hpp"

namespace qkv::nn {

struct LayerKVCache {
    Tensor self_k, self_v;    // (R, H, max_len, dh): positions 0 .. length-1 filled
    Tensor cross_k, cross_v;  // (R, H, Ts, dh): the memory's keys and values
};

struct KVCache {
    std::vector<LayerKVCache> layers;
    Tensor memory_key_padding;  // (R, Ts) bool or undefined
    std::int64_t length = 0;    // positions cached

    // Keeps row rows[r] as row r (beam search: each surviving beam continues its parent's cache).
    void select_rows(const Tensor& rows);
};

// One new position's self-attention through a cache: x (R, 1, D), the input at position t;
// keys and values (R, H, max_len, dh) hold positions 0..t-1. Writes position t's key and value
// into them and attends with its one query over positions 0..t (no mask: nothing cached lies
// in the future). Returns out_proj of the heads' output, (R, 1, D); with `weights`, also the
// attention weights (R, H, 1, t + 1). The decoder here and GPT (nn/gpt/generate.hpp) share it.
Var cached_self_attention(MultiHeadAttention& attn, const Var& x, Tensor& keys, Tensor& values, std::int64_t t,
                          Tensor* weights = nullptr);

// Projects the memory (R, Ts, D) for every decoder layer's cross-attention; room for
// max_positions target positions. Call in eval mode under NoGradGuard.
KVCache start_kv_cache(Transformer& model, const Var& memory, const Tensor& memory_key_padding,
                       std::int64_t max_positions);

// Runs the decoder on one new position: tokens (R) int64, the target token at position
// cache.length of each row. Returns the decoder's last hidden state there (R, D), what
// model.decode(prefix + token)[:, -1] gives, and appends the position to the cache.
Var decode_next(Transformer& model, const Tensor& tokens, KVCache& cache);

}  // namespace qkv::nn
