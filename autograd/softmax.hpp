#pragma once

#include "autograd/var.hpp"

namespace qkv {

// Differentiable softmax / log_softmax along dim (tensor/softmax.hpp's conventions: a row of
// all -inf gives zeros / -inf, and zero gradient).
Var softmax(const Var& a, std::int64_t dim);
Var log_softmax(const Var& a, std::int64_t dim);

}  // namespace qkv
