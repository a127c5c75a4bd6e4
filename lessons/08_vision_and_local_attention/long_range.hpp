// Part 2's task and models: find the marked symbol anywhere in a sequence of 64.
//
//   [CLS] s_1 s_2 ... s_64     one s_t is "marked" (its token id is the symbol + K);
//                              the answer is that symbol, read from the [CLS] position.
//
// The mark is equally likely anywhere, so the [CLS] query must be able to reach all 64
// positions. Four models of the same size (same width, heads, layers, parameters up to one
// number) differ only in what their attention may see:
//
//   global       every query sees every key (T^2 scores per layer)
//   local        a band of +-w (nn::attention::band_mask): about T (2w + 1) scores
//   global+local the article's sum of both, weighted by a learned lambda (nn/attention/global_local.hpp)
//   local+[CLS]  the band, plus [CLS] as a global token (band_global_mask): Longformer's scheme
//
// Shapes: N = sequences, B = batch, T = sequence length + 1 ([CLS]), K = symbols, D = d_model.
#pragma once

#include <string>
#include <vector>

#include "nn/attention/global_local.hpp"
#include "nn/embedding.hpp"
#include "nn/positional.hpp"
#include "nn/transformer/encoder_layer.hpp"

namespace qkv::lesson08 {

enum class AttentionKind { Global, Local, GlobalLocal, LocalGlobalTokens };
const char* kind_name(AttentionKind kind);  // "global", "local", "global+local", "local+[CLS]"

struct LongRangeConfig {
    std::int64_t seq_len = 64;   // symbols after [CLS]
    std::int64_t symbols = 8;    // K
    std::int64_t d_model = 32, num_heads = 2, d_ff = 64, num_layers = 2;
    std::int64_t window = 2;     // w: the band is |i - j| <= w
    std::int64_t tokens() const { return seq_len + 1; }  // T, with [CLS] at 0
};

struct MarkedSequences {
    Tensor ids;       // (N, T) int64: 0 = [CLS], 1..K plain symbols, K+1..2K marked ones
    Tensor labels;    // (N) int64 in [0, K): the marked symbol
    Tensor mark_pos;  // (N) int64 in [1, T): where the mark is
};
MarkedSequences make_marked_sequences(std::int64_t count, std::uint64_t seed, const LongRangeConfig& config);

// A token's label for the pictures: "[CLS]", "c", or "C*" for the marked one.
std::string token_label(std::int64_t id, std::int64_t symbols);

class LongRangeClassifier : public nn::Module {
public:
    LongRangeClassifier(AttentionKind kind, const LongRangeConfig& config, Generator& gen);

    nn::Embedding embed;
    nn::LearnedPositionalEmbedding pos;
    std::vector<nn::TransformerEncoderLayer> layers;        // global, local, local+[CLS]
    std::vector<nn::GlobalLocalEncoderLayer> mixed_layers;  // global+local
    nn::LayerNorm norm;
    nn::Linear head;

    // ids (B, T) -> logits (B, K), read from the [CLS] position.
    Var forward(const Tensor& ids);

    // The (T, T) bool mask each layer uses (undefined for global; the band for global+local).
    const Tensor& mask() const { return mask_; }
    // Replaces it (--mine: the student's band_mask); must be (T, T) bool, and not for global.
    void set_mask(const Tensor& mask);
    // Each layer's attention weights of the last forward, (B, H, T, T): for global+local the
    // two attentions mixed with lambda, lambda G + (1 - lambda) L.
    std::vector<Tensor> attention_weights() const;
    // global+local only: each layer's learned lambda (weight of the global attention).
    std::vector<double> global_weights() const;

    AttentionKind kind() const { return kind_; }

    void visit(nn::Visitor& v) override;
    std::string type_name() const override { return "LongRangeClassifier"; }
    std::string describe() const override { return kind_name(kind_); }

private:
    AttentionKind kind_;
    Tensor mask_;
};

}  // namespace qkv::lesson08
