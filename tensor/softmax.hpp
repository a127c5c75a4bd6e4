// Softmax and log-softmax along one dim, numerically stable: the row max is subtracted before
// exp, which changes nothing mathematically (softmax(x) = softmax(x - c)) but keeps exp <= 1.
//
// Convention for a row whose entries are all -inf (a query whose keys are all masked): softmax
// gives a row of zeros, not NaN and not a uniform average, and log_softmax gives a row of -inf.
// Attention on such a row thus returns a zero vector.
#pragma once

#include "tensor/core.hpp"

namespace qkv {

Tensor softmax(const Tensor& a, std::int64_t dim);
Tensor log_softmax(const Tensor& a, std::int64_t dim);

}  // namespace qkv
