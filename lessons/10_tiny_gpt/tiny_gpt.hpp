// Training the tiny GPT on the poems, scoring it, and saving it for --sample-from.
//
// A training example is one poem, [BOS] body [EOS], so position 0 is always a poem's start
// and position p is the p-th token of a poem, as when the model writes one from [BOS]: the
// learned position embeddings then line up with the poems' form (a clause of 5 or 7
// characters, then punctuation). The poem's tokens but the last are the input and its tokens
// but the first the targets (the same tokens shifted left by one): every position is trained
// to predict the token after it, all at once, which the causal mask makes fair. A batch pads
// its poems to the longest with [PAD], whose targets are ignored; the few poems longer than
// max_len + 1 tokens are cut there.
//
// Shapes: B = poems per batch, T = their longest length - 1 (at most max_len), V = vocabulary.
#pragma once

#include <functional>
#include <string>

#include "lessons/10_tiny_gpt/char_tokens.hpp"
#include "nn/gpt/gpt.hpp"

namespace qkv::lesson10 {

// The lesson's model: 2 pre-norm layers of width 96 with 4 heads, room for 256 tokens.
nn::GPTConfig tiny_gpt_config(std::int64_t vocab_size);

struct TrainOptions {
    std::int64_t steps = 300;
    std::int64_t batch = 8;       // poems per step
    std::int64_t pad_id = 0;      // CharTokens::pad_id()
    double lr = 3e-3;             // peak, after warmup
    double warmup_fraction = 0.1;
    double final_lr_fraction = 0.1;  // cosine decay to this fraction of the peak
    double weight_decay = 0.1;
    double clip_norm = 1.0;
    std::uint64_t seed = 0;
    std::int64_t eval_every = 50;  // held-out cross-entropy every this many steps (and at the end)
    // Training runs attention through lesson 09's tiled op (nn/attention/memory_efficient.hpp):
    // the same maths without the (B, H, T, T) score and weight matrices, which otherwise hold most
    // of a step's memory (the lesson's peak: 228 MB instead of 413 MB at --quick). Evaluation,
    // writing and the pictures still use the plain op, which keeps the weights.
    bool memory_efficient_attention = true;
};

struct TrainCurves {
    std::vector<double> steps, train_loss;     // every step
    std::vector<double> eval_steps, val_loss;  // every eval_every steps
};

// inputs (B, T) and targets (B, T) int64 for the chosen poems: inputs[b, t] = poem[t],
// targets[b, t] = poem[t + 1], padded with pad_id / ignore_index (-100) past a poem's end.
struct LMBatch {
    Tensor inputs, targets;
};
LMBatch poem_batch(const std::vector<Ids>& poems, const std::vector<std::int64_t>& chosen, std::int64_t max_len,
                   std::int64_t pad_id);

// AdamW with warmup and cosine decay, gradient clipping. on_step(step, loss) after each step.
TrainCurves train_gpt(nn::GPT& model, const std::vector<Ids>& train, const std::vector<Ids>& heldout,
                      const TrainOptions& options, const std::function<void(std::int64_t, double)>& on_step = {});

// Mean -ln p (nats) of every token after [BOS] of each poem, each predicted from its own
// poem's tokens before it (as NGramModel::cross_entropy scores). A poem of more than
// max_len + 1 tokens is scored in windows of max_len inputs, each moving on by max_len / 2, so
// every later target sees at least max_len / 2 tokens before it. Eval mode, no graph.
double gpt_cross_entropy(nn::GPT& model, const std::vector<Ids>& poems);

// model weights + configuration + vocabulary in one safetensors file, written atomically.
void save_tiny_gpt(const std::string& path, nn::GPT& model, const CharTokens& tokens, std::uint64_t seed);

struct LoadedGPT {
    nn::GPT model;
    CharTokens tokens;
};
// Throws, naming the file and the field, for a file that is missing, truncated, or whose
// configuration and vocabulary do not fit its tensors.
LoadedGPT load_tiny_gpt(const std::string& path);

}  // namespace qkv::lesson10
