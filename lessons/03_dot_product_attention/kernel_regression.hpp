// Attention before Transformers: Nadaraya-Watson kernel regression (核回归).
//
// To predict y at a query x, average the training targets y_i, each weighted by how close its
// x_i is to x:
//
//   f(x) = sum_i  softmax_i( -(x - x_i)^2 / (2 sigma^2) ) * y_i
//
// That is attention with query x, keys x_i, values y_i and the score -(x - x_i)^2 / (2 sigma^2)
// instead of a dot product: a Gaussian kernel whose width sigma says how far a query looks.
// The masked softmax and weighted average are nn::attend (nn/attention/additive.hpp), the same
// code scaled_dot_product_attention ends with.
//
// sigma can be learned: train log sigma by gradient descent on the training set, each point
// predicted from the OTHERS (a diagonal mask, leave-one-out); without the mask each point would
// see itself and sigma would shrink to 0, memorising the noise.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "nn/attention/scaled_dot_product.hpp"

namespace qkv::lesson03 {

struct KernelConfig {
    std::uint64_t seed = 0;
    std::int64_t train_points = 50;   // x uniform in [0, 5], sorted
    std::int64_t valid_points = 500;  // drawn apart from the training set, same distribution
    std::int64_t grid_points = 101;   // an even grid over [0, 5], for the fitted curves
    std::int64_t weight_rows = 21;    // a coarser grid over [0, 5], the rows of the weights picture
    double noise = 0.5;               // standard deviation of the noise on y
    std::vector<double> fixed_widths = {0.1, 0.5, 2.0};
    double initial_width = 2.0;       // where the learned sigma starts
    std::int64_t steps = 200;         // Adam steps on log sigma
    double lr = 0.05;
};

// y = 2 sin x + x, the noiseless target.
double kernel_target(double x);

// The kernel attention: queries (Nq), training x and y (N) -> weights (Nq, N) and
// predictions (Nq, 1). `log_width` holds log sigma (one element); `mask` (Nq, N) bool is optional.
nn::AttentionOutput kernel_attention(const Var& queries, const Tensor& train_x, const Tensor& train_y,
                                     const Var& log_width, const Tensor& mask = Tensor());

struct WidthResult {
    double width = 0;
    double valid_mse = 0;
    std::vector<double> grid_pred;  // on the grid
};

struct KernelResult {
    std::vector<double> train_x, train_y;   // sorted by x
    std::vector<double> grid_x, grid_truth;
    double mean_valid_mse = 0;              // predicting the training mean everywhere
    std::vector<WidthResult> fixed;         // one per fixed width
    WidthResult learned;                    // the trained width
    std::vector<double> train_loss;         // leave-one-out training MSE before each step
    std::vector<double> weight_x;           // the coarser grid
    Tensor grid_weights;                    // (weight_rows, train) float64, at the learned width
};

// `on_step(step, loss)` after every training step (for a progress line).
KernelResult kernel_regression(const KernelConfig& config,
                               const std::function<void(std::int64_t, double)>& on_step = {});

}  // namespace qkv::lesson03
