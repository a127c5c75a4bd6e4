// One encoder layer (编码器层), "Attention Is All You Need" section 3.1: self-attention, then
// the feed-forward network, each wrapped in a residual connection (残差连接) and a LayerNorm
// (层归一化): the articles' "Add & Norm". Where the LayerNorm sits is a choice:
//
//   post-norm (the paper, norm_first = false):   x = LN(x + Dropout(Sublayer(x)))
//   pre-norm  (GPT-2 and most models since):     x = x + Dropout(Sublayer(LN(x)))
//
// Post-norm normalises the sum, so every layer's output has unit scale, but the gradient to
// early layers passes through every LayerNorm on its way back. Pre-norm leaves the residual
// stream x untouched from input to output: an identity path along which gradients reach every
// layer unscaled, which is why it trains more robustly (often without warmup) in deep stacks.
// A pre-norm stack needs one last LayerNorm on top (Transformer adds it), since nothing
// normalises the stream itself.
//
// Shapes: B = batch, T = source length, D = d_model, H = heads.
#pragma once

#include "nn/attention/multi_head.hpp"
#include "nn/layer_norm.hpp"
#include "nn/transformer/feed_forward.hpp"

namespace qkv::nn {

// What both layer kinds are built from (TransformerConfig passes its fields on).
struct LayerConfig {
    std::int64_t d_model = 512, num_heads = 8, d_ff = 2048;
    double dropout = 0.1;  // on each sublayer's output, the attention weights and the FFN's hidden units
    bool norm_first = false;
    Activation activation = Activation::ReLU;
    bool memory_efficient = false;  // attention through memory_efficient_attention (no weights kept)
};

class TransformerEncoderLayer : public Module {
public:
    explicit TransformerEncoderLayer(const LayerConfig& config, Generator& gen = default_generator());

    MultiHeadAttention self_attn;
    FeedForward feed_forward;
    LayerNorm norm1, norm2;
    Dropout dropout1, dropout2;

    // x (B, T, D) -> (B, T, D). key_padding (B, T) bool, true at padding (or undefined);
    // attn_mask (T, T) bool, true where query i may not see key j (a band: nn/attention/masks.hpp).
    Var forward(const Var& x, const Tensor& key_padding = {}, const Tensor& attn_mask = {});
    Var operator()(const Var& x, const Tensor& key_padding = {}, const Tensor& attn_mask = {}) {
        return forward(x, key_padding, attn_mask);
    }
    // The same with the masks as MultiHeadAttention takes them, e.g. {.causal = true}: a GPT's
    // layers (nn/gpt/gpt.hpp), whose memory-efficient path then skips the tiles the future hides.
    Var forward(const Var& x, const AttentionMasks& masks);
    Var operator()(const Var& x, const AttentionMasks& masks) { return forward(x, masks); }

    // The self-attention weights of the last forward (B, H, T, T), kept only while recording
    // (nn/attention/recording.hpp); undefined otherwise.
    Tensor self_attn_weights;

    bool norm_first() const { return norm_first_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "TransformerEncoderLayer"; }
    std::string describe() const override { return norm_first_ ? "pre-norm" : "post-norm"; }

private:
    bool norm_first_;
};

}  // namespace qkv::nn
