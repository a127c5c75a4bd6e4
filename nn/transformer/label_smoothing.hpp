// Label smoothing (标签平滑), "Attention Is All You Need" section 5.4 (epsilon_ls = 0.1): train
// towards a softened target distribution instead of a one-hot one, so the model is never pushed
// to infinite logits. "This hurts perplexity, as the model learns to be more unsure, but
// improves accuracy and BLEU score."
//
// The distribution for target token t over a vocabulary of V tokens, with padding id p:
//
//   q(t) = 1 - eps,   q(p) = 0,   q(c) = eps / (V - 2) for every other c
//
// so it sums to 1 and never asks the model to predict padding; positions whose target is the
// padding are left out of the loss altogether (their rows of q are zero). This is the
// Annotated Transformer's LabelSmoothing. PyTorch's cross_entropy(label_smoothing = eps)
// (autograd/cross_entropy.hpp) spreads eps / V over all V tokens instead, the target's and the
// padding's included, so it gives padding a little mass.
//
// The loss is the cross-entropy against q, averaged over the non-padding positions:
//   loss = -(1 / N) sum_positions sum_c q_c log softmax(logits)_c
//
// Shapes: logits (..., V), targets (...) int64.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::nn {

// The smoothed target distributions, (..., V) in `dtype`: rows as above; all-zero rows where the
// target is pad_id. Needs V >= 3, 0 <= eps < 1, targets in [0, V), pad_id in [0, V).
Tensor smoothed_targets(const Tensor& targets, std::int64_t num_classes, double smoothing, std::int64_t pad_id,
                        DType dtype = DType::Float32);

// The entropy of one smoothed target distribution,
//   H(q) = -(1 - eps) log(1 - eps) - eps log(eps / (V - 2)),
// which is the smallest value the loss can take (reached when softmax(logits) = q): training
// curves level off here, not at 0. For V = 13, eps = 0.1: 0.5649.
double smoothed_entropy(std::int64_t num_classes, double smoothing);

// The mean over non-padding positions of -sum_c q_c log softmax(logits)_c (0 if every target is padding).
Var label_smoothed_cross_entropy(const Var& logits, const Tensor& targets, double smoothing, std::int64_t pad_id);

}  // namespace qkv::nn
