#pragma once

#include "autograd/var.hpp"

namespace qkv {

// Differentiable matmul with tensor/matmul.hpp's rules (batched, broadcast batch dims, 1-d).
Var matmul(const Var& a, const Var& b);

}  // namespace qkv
