#include "nn/transformer/encoder_layer.hpp"

#include "nn/attention/recording.hpp"

namespace qkv::nn {

TransformerEncoderLayer::TransformerEncoderLayer(const LayerConfig& c, Generator& gen)
    : self_attn(c.d_model, c.num_heads, {.dropout = c.dropout}, gen),
      feed_forward(c.d_model, c.d_ff, {.dropout = c.dropout, .activation = c.activation}, gen),
      norm1(c.d_model),
      norm2(c.d_model),
      dropout1(c.dropout, gen),
      dropout2(c.dropout, gen),
      norm_first_(c.norm_first) {
    self_attn.memory_efficient = c.memory_efficient;
}

Var TransformerEncoderLayer::forward(const Var& x, const Tensor& key_padding, const Tensor& attn_mask) {
    AttentionMasks masks;
    masks.key_padding = key_padding;
    masks.attn = attn_mask;
    return forward(x, masks);
}

Var TransformerEncoderLayer::forward(const Var& x, const AttentionMasks& masks) {
    if (norm_first_) {
        const Var h = norm1(x);                                     // (B, T, D)
        MultiHeadOutput a = self_attn.forward(h, masks);
        self_attn_weights = recorded(a.weights);                            // (B, H, T, T)
        const Var y = x + dropout1(a.output);                       // the residual stream
        return y + dropout2(feed_forward(norm2(y)));                // (B, T, D)
    }
    MultiHeadOutput a = self_attn.forward(x, masks);
    self_attn_weights = recorded(a.weights);                            // (B, H, T, T)
    const Var y = norm1(x + dropout1(a.output));                    // Add & Norm
    return norm2(y + dropout2(feed_forward(y)));                    // (B, T, D)
}

void TransformerEncoderLayer::visit(Visitor& v) {
    v.module("self_attn", self_attn);
    v.module("feed_forward", feed_forward);
    v.module("norm1", norm1);
    v.module("norm2", norm2);
    v.module("dropout1", dropout1);
    v.module("dropout2", dropout2);
}

}  // namespace qkv::nn
