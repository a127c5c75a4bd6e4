#pragma once

#include "autograd/var.hpp"

namespace qkv {

// Differentiable matmul with tensor/matmul.hpp's rules (batched, broadcast batch dims, 1-d).
Var matmul(const Var& a, const Var& b);
// With a constant Tensor on one side (no gradient flows to it).
Var matmul(const Var& a, const Tensor& b);
Var matmul(const Tensor& a, const Var& b);

}  // namespace qkv
