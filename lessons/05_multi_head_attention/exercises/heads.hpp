// Exercise 05.1: splitting a projection into heads, and merging the heads back.
//
// Shapes: B = batch, T = positions, H = heads, dh = features per head, D = H * dh.
// Head i owns features [i*dh, (i+1)*dh) of every position.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::exercises {

// (B, T, D) -> (B, H, T, dh). Throws qkv::Error when x is not 3-d or D % num_heads != 0.
Var split_heads(const Var& x, std::int64_t num_heads);
// (B, H, T, dh) -> (B, T, H*dh): the inverse of split_heads.
Var merge_heads(const Var& x);

}  // namespace qkv::exercises
