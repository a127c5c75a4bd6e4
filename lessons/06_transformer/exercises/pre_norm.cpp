#include "lessons/06_transformer/exercises/pre_norm.hpp"

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var pre_norm_encoder_layer(nn::TransformerEncoderLayer& layer, const Var& x, const Tensor& key_padding) {
    // SOLUTION BEGIN 06.1
    nn::AttentionMasks masks;
    masks.key_padding = key_padding;
    const Var h = layer.norm1(x);                                    // (B, T, D): normalise what the sublayer reads...
    const Var y = x + layer.dropout1(layer.self_attn.forward(h, masks).output);  // ...but add to x itself
    return y + layer.dropout2(layer.feed_forward(layer.norm2(y)));  // (B, T, D): the stream is never normalised
    // SOLUTION END 06.1
}

}  // namespace qkv::exercises
