// BERT's encoder: a stack of identical post-norm Transformer encoder layers (Vaswani et al.
// 2017, section 3.1), each
//
//   a = LayerNorm(x + Dropout(SelfAttention(x) W_o + b_o))         attention sub-layer
//   y = LayerNorm(a + Dropout(GELU(a W_1 + b_1) W_2 + b_2))        feed-forward sub-layer
//
// "Post-norm": the LayerNorm comes after the residual sum, as in the original Transformer and
// BERT (GPT-2 and most later models put it before the sub-layer instead). The activation is
// the exact GELU, x Phi(x) with Phi the normal CDF (erf), as Hugging Face's "gelu".
//
// Self-attention here is bidirectional (双向): no causal mask, every token attends to every
// real token on both sides; only padding keys are masked. That is why BERT cannot be trained
// to predict the next word (each word would see itself) and is trained on masked words instead.
//
// Shapes: B = batch, T = tokens, D = hidden_size, H = heads, F = intermediate_size.
//
// Parameter names are Hugging Face's BertLayer's. Its nesting (attention.self.query,
// attention.output.dense, ...) carries no computation of its own, so the layer keeps its eight
// parts as flat members and gives them the nested names in visit():
//   attention.self.{query,key,value}       Linear (D -> D) each
//   attention.output.dense                 Linear (D -> D), W_o
//   attention.output.LayerNorm             LayerNorm(D)
//   intermediate.dense                     Linear (D -> F)
//   output.dense                           Linear (F -> D)
//   output.LayerNorm                       LayerNorm(D)
#pragma once

#include <vector>

#include "nn/attention/multi_head.hpp"
#include "nn/bert/config.hpp"
#include "nn/dropout.hpp"
#include "nn/layer_norm.hpp"

namespace qkv::nn {

class BertLayer : public Module {
public:
    explicit BertLayer(const BertConfig& config, Generator& gen = default_generator());

    Linear query, key, value, attention_output;
    LayerNorm attention_norm;
    Linear intermediate, output;
    LayerNorm output_norm;
    // p = hidden_dropout_prob, after each sub-layer. Its generator also drops the attention
    // weights (attention_probs_dropout_prob): one stream for the layer's three dropouts, drawn
    // in the order BERT applies them.
    Dropout dropout;

    // x (B, T, D); padding_mask (B, T) bool, true at padding (undefined: no padding).
    Var forward(const Var& x, const Tensor& padding_mask = Tensor());
    Var operator()(const Var& x, const Tensor& padding_mask = Tensor()) { return forward(x, padding_mask); }

    // The attention weights of the last forward (B, H, T, T), before dropout, kept only while
    // recording (nn/attention/recording.hpp); undefined otherwise.
    Tensor attention_weights;

    std::int64_t num_heads() const { return num_heads_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "BertLayer"; }
    std::string describe() const override;

private:
    std::int64_t num_heads_;
    bool gelu_tanh_;                       // hidden_act "gelu_new": the tanh approximation
    double attention_dropout_;
    bool memory_efficient_ = false;        // BertConfig::memory_efficient_attention
};

class BertEncoder : public Module {
public:
    explicit BertEncoder(const BertConfig& config, Generator& gen = default_generator());

    std::vector<BertLayer> layer;  // named layer.0, layer.1, ... as in the checkpoints

    // x (B, T, D) -> the last layer's hidden states (B, T, D).
    Var forward(const Var& x, const Tensor& padding_mask = Tensor());
    // Each layer's attention_weights from the last forward (recorded only while recording).
    std::vector<Tensor> attention_weights() const;
    Var operator()(const Var& x, const Tensor& padding_mask = Tensor()) {
        return forward(x, padding_mask);
    }

    void visit(Visitor& v) override { v.modules("layer", layer); }
    std::string type_name() const override { return "BertEncoder"; }
};

}  // namespace qkv::nn
