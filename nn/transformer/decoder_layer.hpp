// One decoder layer (解码器层), "Attention Is All You Need" section 3.1: three sublayers, each
// with its residual connection and LayerNorm (post-norm or pre-norm, as in encoder_layer.hpp):
//
//   1. masked self-attention (掩码自注意力): position i of the target attends to positions
//      0..i only (a causal mask), so training on a whole target at once (teacher forcing)
//      never lets a position peek at the token it must predict;
//   2. cross-attention (交叉注意力, the paper's encoder-decoder attention): queries from the
//      decoder, keys and values from the encoder's output ("memory"), so each target position
//      picks the source positions it needs, in any order;
//   3. the feed-forward network.
//
// Shapes: B = batch, Tt = target length, Ts = source length, D = d_model, H = heads.
#pragma once

#include "nn/transformer/encoder_layer.hpp"

namespace qkv::nn {

class TransformerDecoderLayer : public Module {
public:
    explicit TransformerDecoderLayer(const LayerConfig& config, Generator& gen = default_generator());

    MultiHeadAttention self_attn, cross_attn;
    FeedForward feed_forward;
    LayerNorm norm1, norm2, norm3;
    Dropout dropout1, dropout2, dropout3;

    // x (B, Tt, D), memory (B, Ts, D) -> (B, Tt, D).
    // self_masks: for the self-attention, normally the tgt key_padding (B, Tt) or undefined, and
    // causal = true (Transformer::decode sets both); memory_key_padding (B, Ts) bool, true at
    // source padding (or undefined).
    Var forward(const Var& x, const Var& memory, const AttentionMasks& self_masks,
                const Tensor& memory_key_padding = {});
    Var operator()(const Var& x, const Var& memory, const AttentionMasks& self_masks,
                   const Tensor& memory_key_padding = {}) {
        return forward(x, memory, self_masks, memory_key_padding);
    }

    // The weights of the last forward, (B, H, Tt, Tt) and (B, H, Tt, Ts), kept only while
    // recording (nn/attention/recording.hpp); undefined otherwise.
    Tensor self_attn_weights, cross_attn_weights;

    bool norm_first() const { return norm_first_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "TransformerDecoderLayer"; }
    std::string describe() const override { return norm_first_ ? "pre-norm" : "post-norm"; }

private:
    bool norm_first_;
};

}  // namespace qkv::nn
