// Exercise 06.3: the label-smoothed cross-entropy (标签平滑), "Attention Is All You Need" section
// 5.4, as the Annotated Transformer's LabelSmoothing (nn/transformer/label_smoothing.hpp):
//
//   q(target) = 1 - eps,   q(pad_id) = 0,   q(c) = eps / (V - 2) for every other c
//   loss = -(1 / N) sum over non-padding positions of sum_c q_c log softmax(logits)_c
//
// Positions whose target is pad_id are left out (and do not count in N); the loss is 0 when
// every target is padding. Shapes: logits (..., V), targets (...) int64.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::exercises {

Var label_smoothed_cross_entropy(const Var& logits, const Tensor& targets, double smoothing, std::int64_t pad_id);

}  // namespace qkv::exercises
