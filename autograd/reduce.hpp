// Differentiable reductions. Same names and meanings as tensor/reduce.hpp.
#pragma once

#include "autograd/var.hpp"

namespace qkv {

Var sum(const Var& a, const Dims& dims = {}, bool keepdim = false);
Var mean(const Var& a, const Dims& dims = {}, bool keepdim = false);
Var var(const Var& a, const Dims& dims = {}, std::int64_t correction = 1, bool keepdim = false);
Var logsumexp(const Var& a, const Dims& dims, bool keepdim = false);
// The largest value along dim; its gradient goes to the (first) position that held it.
Var max(const Var& a, std::int64_t dim, bool keepdim = false);

}  // namespace qkv
