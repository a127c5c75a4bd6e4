#pragma once

#include "autograd/var.hpp"

namespace qkv {

enum class Reduction { Mean, Sum, None };

struct CrossEntropyOptions {
    std::int64_t ignore_index = -100;  // targets equal to this contribute no loss and no gradient
    double label_smoothing = 0.0;      // epsilon in [0, 1]
    Reduction reduction = Reduction::Mean;
};

// Cross-entropy of class-index targets, fused on log_softmax, by PyTorch's definition:
//   logits (..., C), targets (...) int64 in [0, C) or ignore_index.
//   Each counted position's target distribution is q = (1 - eps) onehot(t) + eps / C, and its
//   loss is -sum_c q_c log softmax(logits)_c.
//   Mean divides the sum by the number of counted (non-ignored) positions; None returns the
//   per-position losses with targets' shape (0 at ignored positions).
//   When every target is ignored, Mean is 0 / 0 = NaN, as in PyTorch since 1.11 (its PR #64572
//   made the mean of an empty set NaN on purpose; pytorch/pytorch issues #70348 and #116349
//   confirm it as intended), while the gradient is all zeros (no position is counted), so a
//   training step on such a batch leaves the weights as they were; Sum gives 0 and None zeros.
//   A training loop that can meet such a batch should skip it or use Sum.
Var cross_entropy(const Var& logits, const Tensor& targets, const CrossEntropyOptions& options = {});

}  // namespace qkv
