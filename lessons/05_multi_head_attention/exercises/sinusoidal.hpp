// Exercise 05.2: the sinusoidal positional encoding table (位置编码), "Attention Is All You Need"
// section 3.5:
//
//   PE(pos, 2i)   = sin(pos * w_i)
//   PE(pos, 2i+1) = cos(pos * w_i),      w_i = 1 / 10000^(2i / d)
//
// for pos in [0, max_len) and columns j in [0, d); with an odd d the last column is a sin alone.
#pragma once

#include "tensor/tensor.hpp"

namespace qkv::exercises {

// (max_len, d_model) in `dtype`. Throws qkv::Error when max_len < 1 or d_model < 1.
Tensor sinusoidal_table(std::int64_t max_len, std::int64_t d_model, DType dtype = DType::Float32);

}  // namespace qkv::exercises
