// Exercise 07.2: the masked-language-model loss over the chosen positions only (掩码语言模型):
//
//   loss = -(1 / |C|) sum over (b, t) in C of log softmax(logits[b, t])[targets[b, t]]
//
// where C is the set of positions with chosen[b, t] true. targets' values elsewhere must not
// matter at all (padding, or anything). Shapes: logits (B, T, V), targets (B, T) int64, chosen
// (B, T) bool.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::exercises {

// Throws qkv::Error when no position is chosen (a mean over nothing is undefined) or the shapes
// disagree.
Var masked_lm_loss(const Var& mlm_logits, const Tensor& targets, const Tensor& chosen);

}  // namespace qkv::exercises

namespace qkv::exercises {

// Calls 07.1 and 07.2 once on tiny inputs, in that order, so `--mine` can say which exercise to
// do first: throws qkv::NotImplemented naming the first unsolved one.
void probe_mine();

}  // namespace qkv::exercises
