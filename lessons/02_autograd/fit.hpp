// The engine at work: a small MLP fitted to y = sin(x) on [-3, 3] by full-batch Adam.
//
//   x (N, 1) -> Linear(1, H) -> tanh -> Linear(H, 1) -> prediction (N, 1)
//   loss = mean((prediction - sin x)^2)
//
// Each step is the loop every model in the later lessons runs: zero_grad, forward, backward,
// step. backward() fills .grad of the four parameters (two weights, two biases) through the
// graph the forward just built.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "nn/linear.hpp"

namespace qkv::lesson02 {

// Which rule turns gradients into steps (nn/optim/): section 5 of the lesson compares them.
enum class FitOptimizer { Adam, SGD, Momentum, AdamW };
const char* optimizer_name(FitOptimizer o);  // "Adam", "SGD", "SGD+momentum 0.9", "AdamW"

struct FitConfig {
    std::uint64_t seed = 0;
    std::int64_t steps = 1500;
    std::int64_t hidden = 32;
    std::int64_t train_points = 256;  // x drawn uniformly from [-3, 3] with the seed
    std::int64_t test_points = 601;   // an even grid over [-3, 3], apart from the training set
    double lr = 0.01;                 // Adam
    FitOptimizer optimizer = FitOptimizer::Adam;
    double weight_decay = 0;          // AdamW's decoupled decay (the others ignore it)
};

struct FitResult {
    std::vector<double> train_loss;  // after each step's forward, before its update; [step - 1]
    double final_train_mse = 0;      // after the last update
    double test_mse = 0;             // on the held-out grid, after the last update
    double weight_norm = 0;          // sqrt of the sum of squares of the two weight matrices, at the end
    std::vector<double> grid_x, grid_sin, grid_pred;  // the held-out grid, for the picture
};

// The two-layer network.
struct Mlp {
    nn::Linear hidden, out;
    Mlp(std::int64_t width, Generator& gen);
    Var forward(const Var& x);  // (N, 1) -> (N, 1)
    std::vector<Var> parameters();
};

// Trains and evaluates. `on_step(step, loss)` is called after every step (for a progress line).
FitResult fit_sine(const FitConfig& config,
                   const std::function<void(std::int64_t, double)>& on_step = {});

}  // namespace qkv::lesson02
