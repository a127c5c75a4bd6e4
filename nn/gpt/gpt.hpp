// GPT (Radford et al. 2018, 2019): a decoder-only Transformer language model. It is an encoder
// stack like BERT's (lesson 07) with the future masked: the same kind of self-attention and
// feed-forward layers (here pre-norm, and no segment embeddings), but position t may attend
// only to positions 0..t (a causal mask), and
// it is trained to predict the token at t + 1 from the tokens up to t (next-token prediction,
// 语言模型) instead of filling in masked tokens (掩码语言模型, MLM).
//
//   ids (B, T) -> token embedding + learned position embedding -> Dropout
//              -> N pre-norm layers (causal self-attention, GELU feed-forward)
//              -> LayerNorm -> logits = h E^T (B, T, V)
//
// Choices, as GPT-2 makes them:
//   - pre-norm layers (nn/transformer/encoder_layer.hpp explains why they train more easily),
//     and one LayerNorm after the last layer;
//   - learned positions (an Embedding over 0..max_len-1), not sinusoids;
//   - the output projection is the token embedding E itself (weight tying, 权重共享): the
//     logit of token v is h . E[v], so a token's input and output vectors are one parameter,
//     listed once in named_parameters(). With V = 1,600 and D = 128 it saves 205k parameters;
//   - embeddings drawn from N(0, 0.02^2) (GPT-2's initializer_range): with a tied E the
//     first logits are then close to 0, so the first loss is close to ln V.
//
// The causal mask is what makes one forward pass train T predictions at once: the logits at
// position t cannot depend on ids[t+1..], so comparing them with ids[t+1] is a fair test
// (tests/nn/test_gpt.cpp changes a later token and checks the earlier logits do not move).
//
// Shapes: B = batch, T = positions (at most max_len), D = d_model, H = heads, V = vocabulary.
#pragma once

#include <vector>

#include "nn/embedding.hpp"
#include "nn/transformer/encoder_layer.hpp"

namespace qkv::nn {

struct GPTConfig {
    std::int64_t vocab_size = 0;
    std::int64_t d_model = 128;
    std::int64_t num_heads = 4;
    std::int64_t num_layers = 2;
    std::int64_t d_ff = 512;
    std::int64_t max_len = 256;  // longest context (rows of the position table)
    double dropout = 0.1;        // embeddings, attention weights, sublayer outputs, FFN hidden units
    double init_std = 0.02;      // the embeddings' N(0, init_std^2)

    LayerConfig layer() const { return {d_model, num_heads, d_ff, dropout, true, Activation::GELU, false}; }
};

class GPT : public Module {
public:
    // Throws, naming the field, for a configuration that cannot be built (sizes < 1, d_model
    // not a multiple of num_heads, dropout outside [0, 1)).
    explicit GPT(const GPTConfig& config, Generator& gen = default_generator());

    Embedding tokens;     // (V, D): the input embedding and, transposed, the output projection
    Embedding positions;  // (max_len, D)
    Dropout dropout;      // on token + position embeddings
    std::vector<TransformerEncoderLayer> layers;  // pre-norm, run with a causal mask
    LayerNorm final_norm;

    // ids (B, T) int64 -> logits (B, T, V). Throws for T = 0, T > max_len or an id outside
    // [0, V), naming the value.
    Var forward(const Tensor& ids);
    Var operator()(const Tensor& ids) { return forward(ids); }

    // The last hidden states (B, T, D), before the output projection.
    Var hidden(const Tensor& ids);
    // hidden (..., D) -> logits (..., V) = hidden E^T.
    Var project(const Var& hidden);

    // Each layer's attention weights from the last forward while recording (nn/attention/
    // recording.hpp), (B, H, T, T), zero above the diagonal: for plotting.
    std::vector<Tensor> attention_weights() const;

    const GPTConfig& config() const { return config_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "GPT"; }
    std::string describe() const override;

private:
    GPTConfig config_;
};

}  // namespace qkv::nn
