// One training loop for every classifier of the lesson: the ViT and its baseline (part 1) and
// the four long-range models (part 2). Adam with a short warmup and a cosine decay, mini-batches
// drawn from a fixed training set in a seeded order, accuracy measured on a held-out set.
//
// Shapes: N = examples, B = batch, K = classes; inputs (N, ...) any trailing shape.
#pragma once

#include "lessons/common/smooth.hpp"

#include <functional>

#include "nn/module.hpp"

namespace qkv::lesson08 {

struct TrainOptions {
    std::int64_t steps = 600;
    std::int64_t batch_size = 64;
    double lr = 3e-3;
    double warmup_fraction = 0.05;
    std::uint64_t seed = 0;  // batch order
};

struct TrainResult {
    std::vector<double> steps, loss;  // every step's training loss
    double heldout_accuracy = 0;
};

// forward: inputs (B, ...) -> logits (B, K). `on_step(step, loss)` is called after every step.
using Forward = std::function<Var(const Tensor&)>;
TrainResult train_classifier(nn::Module& model, const Forward& forward, const Tensor& inputs, const Tensor& labels,
                             const Tensor& heldout_inputs, const Tensor& heldout_labels, const TrainOptions& options,
                             const std::function<void(std::int64_t, double)>& on_step = {});

// Accuracy of argmax(forward(inputs)) against labels, in eval mode without a graph, in chunks.
double accuracy(nn::Module& model, const Forward& forward, const Tensor& inputs, const Tensor& labels);

using lesson::smooth;  // lessons/common/smooth.hpp

}  // namespace qkv::lesson08
