// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_.
//
// The gradients of all parameters together are one long vector; its Euclidean length is
//   total = sqrt( sum over parameters, over elements, of grad^2 ).
// If a bad batch makes that vector huge, the whole vector is scaled down (its direction kept):
//   coef = max_norm / (total + 1e-6);  if coef < 1, every grad *= coef
// so the update's size is bounded without changing which way it goes. (The 1e-6 guards
// total = 0, and makes the clipped norm land just under max_norm.)
#pragma once

#include <vector>

#include "autograd/var.hpp"

namespace qkv::nn {

// Clips in place and returns the total norm before clipping (summed in double). Parameters
// without a gradient are skipped; with no gradients at all the norm is 0.
// A non-finite total (a NaN or Inf gradient) throws, naming the first parameter at fault:
// scaling would spread the NaN into every gradient (PyTorch's error_if_nonfinite=True).
// max_norm must be >= 0.
double clip_grad_norm_(const std::vector<Var>& params, double max_norm);

}  // namespace qkv::nn
