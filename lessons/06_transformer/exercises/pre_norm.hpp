// Exercise 06.1: a pre-norm encoder layer (编码器层), the LayerNorm moved inside the residual branch:
//
//   y   = x + Dropout(SelfAttention(LN_1(x)))
//   out = y + Dropout(FFN(LN_2(y)))
//
// (post-norm, the paper's: y = LN_1(x + Dropout(SelfAttention(x))), out = LN_2(y + Dropout(FFN(y)))).
// Shapes: B = batch, T = positions, D = d_model.
#pragma once

#include "nn/transformer/encoder_layer.hpp"

namespace qkv::exercises {

// x (B, T, D) -> (B, T, D), with the layer's own sublayers (self_attn, feed_forward, norm1,
// norm2, dropout1, dropout2); key_padding (B, T) bool, true at padding, or undefined. The same
// as layer.forward(x, key_padding) for a layer built with norm_first = true.
Var pre_norm_encoder_layer(nn::TransformerEncoderLayer& layer, const Var& x, const Tensor& key_padding = {});

}  // namespace qkv::exercises
