#pragma once

#include "autograd/var.hpp"

namespace qkv {

// Layer normalisation over the last `normalized_dims` dims, by PyTorch's definition:
//   y = (x - mean) / sqrt(var + eps) * weight + bias
// with the biased variance (divide by N) and eps inside the square root. weight and bias
// (shape: those last dims) are optional: pass undefined Vars to leave them out.
Var layer_norm(const Var& x, const Var& weight, const Var& bias, std::int64_t normalized_dims = 1,
               double eps = 1e-5);

}  // namespace qkv
