// Writing text with a GPT: one token at a time, each drawn from the model's prediction given
// everything so far (自回归生成, autoregressive generation).
//
// Without a cache, step t runs the whole model on the t tokens so far and keeps only the last
// position's logits: O(t) positions per step, O(n^2) for n tokens. Under the causal mask the
// keys and values of positions 0..t-1 never change once computed, so GPTCache keeps them per
// layer (lesson 09's KV cache, nn/transformer/kv_cache.hpp, without the cross-attention): a
// step then runs one position through every layer and one attention row over the cache. Both
// paths give the same logits (to float rounding) and, for a seed, the same tokens
// (tests/nn/test_gpt.cpp).
//
// Shapes: R = rows generated side by side, H = heads, dh = d_model / H, V = vocabulary.
#pragma once

#include <vector>

#include "nn/gpt/gpt.hpp"
#include "nn/sampling.hpp"

namespace qkv::nn {

struct GPTCache {
    std::vector<Tensor> keys, values;  // per layer (R, H, max_len, dh): positions 0..length-1 filled
    std::int64_t length = 0;           // positions cached
    // Per layer, the attention weights of the last step's one query, (R, H, 1, length): what
    // each head looked back at when it chose the last token.
    std::vector<Tensor> last_weights;
};

// An empty cache with room for the model's max_len positions of `rows` rows. Call in eval mode.
GPTCache start_gpt_cache(const GPT& model, std::int64_t rows);

// Runs one new position per row through the cache: tokens (R) int64, the token at position
// cache.length. Returns the next-token logits there (R, V), what model.forward(prefix + token)
// gives at its last position. Throws when the cache is full (max_len positions) and in
// training mode (the cached attention row has no dropout).
Var gpt_step(GPT& model, const Tensor& tokens, GPTCache& cache);

struct GenerateOptions {
    std::int64_t max_new_tokens = 200;
    SamplingOptions sampling;
    std::int64_t stop_id = -1;          // a row stops after emitting it (kept in its output); -1: never
    std::vector<std::int64_t> never;    // ids never chosen (their logits are set to -inf)
    bool use_cache = true;              // false: run the whole prefix every step
};

// Continues each prompt (all of one length P >= 1) by up to max_new_tokens tokens, drawing
// with `gen` row by row at each step. Returns each row's new tokens. Needs
// P + max_new_tokens <= max_len. Eval mode and no graph for the duration.
std::vector<std::vector<std::int64_t>> generate(GPT& model, const std::vector<std::vector<std::int64_t>>& prompts,
                                                const GenerateOptions& options, Generator& gen);

}  // namespace qkv::nn
