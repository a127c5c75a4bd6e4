#include "nn/transformer/decoder_layer.hpp"

#include "nn/attention/recording.hpp"

namespace qkv::nn {

TransformerDecoderLayer::TransformerDecoderLayer(const LayerConfig& c, Generator& gen)
    : self_attn(c.d_model, c.num_heads, {.dropout = c.dropout}, gen),
      cross_attn(c.d_model, c.num_heads, {.dropout = c.dropout}, gen),
      feed_forward(c.d_model, c.d_ff, {.dropout = c.dropout, .activation = c.activation}, gen),
      norm1(c.d_model),
      norm2(c.d_model),
      norm3(c.d_model),
      dropout1(c.dropout, gen),
      dropout2(c.dropout, gen),
      dropout3(c.dropout, gen),
      norm_first_(c.norm_first) {
    self_attn.memory_efficient = cross_attn.memory_efficient = c.memory_efficient;
}

Var TransformerDecoderLayer::forward(const Var& x, const Var& memory, const AttentionMasks& self_masks,
                                     const Tensor& memory_key_padding) {
    AttentionMasks cross_masks;
    cross_masks.key_padding = memory_key_padding;
    if (norm_first_) {
        const Var h1 = norm1(x);                                              // (B, Tt, D)
        MultiHeadOutput s = self_attn.forward(h1, self_masks);
        self_attn_weights = recorded(s.weights);                            // (B, H, Tt, Tt)
        const Var y1 = x + dropout1(s.output);
        MultiHeadOutput c = cross_attn.forward(norm2(y1), memory, memory, cross_masks);
        cross_attn_weights = recorded(c.weights);                           // (B, H, Tt, Ts)
        const Var y2 = y1 + dropout2(c.output);
        return y2 + dropout3(feed_forward(norm3(y2)));                        // (B, Tt, D)
    }
    MultiHeadOutput s = self_attn.forward(x, self_masks);
    self_attn_weights = recorded(s.weights);                            // (B, H, Tt, Tt)
    const Var y1 = norm1(x + dropout1(s.output));
    MultiHeadOutput c = cross_attn.forward(y1, memory, memory, cross_masks);
    cross_attn_weights = recorded(c.weights);                           // (B, H, Tt, Ts)
    const Var y2 = norm2(y1 + dropout2(c.output));
    return norm3(y2 + dropout3(feed_forward(y2)));                            // (B, Tt, D)
}

void TransformerDecoderLayer::visit(Visitor& v) {
    v.module("self_attn", self_attn);
    v.module("cross_attn", cross_attn);
    v.module("feed_forward", feed_forward);
    v.module("norm1", norm1);
    v.module("norm2", norm2);
    v.module("norm3", norm3);
    v.module("dropout1", dropout1);
    v.module("dropout2", dropout2);
    v.module("dropout3", dropout3);
}

}  // namespace qkv::nn
