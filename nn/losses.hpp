// Loss functions: how far a model's outputs are from their targets, as one number to minimise.
//
//   cross_entropy(logits, targets, options)       classes: logits (..., C), int64 targets (...)
//   mse_loss(pred, target, reduction)             regression: mean of (pred - target)^2
//   binary_cross_entropy_with_logits(x, y, ...)   yes/no labels: logits and targets of one shape
//
// Each returns one number (Reduction::Mean, the default, or Sum) or the per-element losses
// (Reduction::None), with PyTorch's names and definitions (torch.nn.functional).
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::nn {

// The fused softmax cross-entropy of autograd/cross_entropy.hpp (ignore_index,
// label_smoothing, reduction), under its nn name:
//   cross_entropy(logits, targets, {.ignore_index = pad_id, .label_smoothing = 0.1})
using qkv::cross_entropy;
using qkv::CrossEntropyOptions;
using qkv::Reduction;

// Mean squared error: l_i = (pred_i - target_i)^2, averaged (Mean) or summed (Sum).
// pred and target must have the same shape and dtype (no broadcasting: a (N, 1) prediction
// against an (N) target would silently compare every pair). The Tensor overload treats the
// target as a constant; the Var overload also sends a gradient to the target.
Var mse_loss(const Var& pred, const Var& target, Reduction reduction = Reduction::Mean);
Var mse_loss(const Var& pred, const Tensor& target, Reduction reduction = Reduction::Mean);

// Binary cross-entropy on logits x (sigma(x) is the predicted probability of a 1) and targets
// y in [0, 1] of the same shape and dtype:
//   l = -[ p y log sigma(x) + (1 - y) log(1 - sigma(x)) ]
// with p the optional pos_weight (broadcast to x's shape, e.g. one weight per class along the
// last dim; p > 1 counts positives more, trading precision for recall). Computed without
// overflow for any |x|; the targets get no gradient.
Var binary_cross_entropy_with_logits(const Var& logits, const Tensor& targets, Reduction reduction = Reduction::Mean,
                                     const Tensor& pos_weight = Tensor());

}  // namespace qkv::nn
