// Padding vs packing (section 5 of lesson 09): one tiny causal language model trained for one
// epoch on the same sentences twice, from the same initial weights, once as padded (B, T)
// batches and once packed end to end with cu_seqlens.
//
// The model: token embedding + position embedding (position inside the sentence), one causal
// self-attention layer (one head of size D, through nn::memory_efficient_attention) with a
// residual connection, and a linear layer to the next token's logits. The loss is the mean
// cross-entropy over every real position that has a next token.
//
// Shapes: B = sentences per batch, T = the longest of them, N = real tokens in the batch,
//         D = model width, V = vocabulary.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/embedding.hpp"
#include "nn/attention/memory_efficient.hpp"
#include "nn/data/packing.hpp"
#include "nn/linear.hpp"

namespace qkv::lesson09 {

struct TinyLM : nn::Module {
    TinyLM(std::int64_t vocab, std::int64_t width, std::int64_t max_len, Generator& gen);
    nn::Embedding tokens, positions;
    nn::Linear q_proj, k_proj, v_proj, head;

    // ids (L, T) int64, positions (L, T) int64 -> logits (L, T, V): attention with `options`
    // (causal plus key padding, or causal plus cu_seqlens with L = 1).
    Var forward(const Tensor& ids, const Tensor& pos, const nn::MemoryEfficientOptions& options);

    void visit(nn::Visitor& v) override;
    std::string type_name() const override { return "TinyLM"; }
};

// Sentences of a toy language with long-tailed lengths (most short, a few long, as in real
// text): each sentence repeats a random pattern of 2 to 4 tokens, so the next token can be read
// off the tokens before it.
std::vector<std::vector<std::int64_t>> make_sentences(std::int64_t count, std::int64_t vocab, std::int64_t max_len,
                                                      Generator& gen);

struct EpochReport {
    std::vector<double> losses;        // per step
    std::vector<double> step_seconds;  // per step, CPU time (all threads)
    double seconds = 0;                // CPU time of the epoch
    std::int64_t positions = 0;  // positions computed: B * T per padded batch, N per packed one
    std::int64_t tokens = 0;     // real tokens
};

// How a batch is packed: nn::pack_sequences, or the student's own (exercise 09.3, --mine).
using PackFn = nn::PackedBatch (*)(const std::vector<std::vector<std::int64_t>>&);

// One epoch of Adam over the sentences in batches of `batch`, padded or packed (with `pack`).
EpochReport train_epoch(TinyLM& model, const std::vector<std::vector<std::int64_t>>& sentences, std::int64_t batch,
                        bool packed, double lr, PackFn pack = nn::pack_sequences);

}  // namespace qkv::lesson09
