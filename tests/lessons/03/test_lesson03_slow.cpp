// Lesson 03's kernel-regression outcome at its documented budget (seed 0, 200 Adam steps):
// the learned kernel width at least halves the validation MSE of predicting the mean, and every
// weight row sums to 1.
#include <doctest/doctest.h>

#include <cmath>

#include "lessons/03_dot_product_attention/kernel_regression.hpp"

using namespace qkv;
using namespace qkv::lesson03;

TEST_SUITE("lesson03_slow") {

TEST_CASE("learned kernel width halves the validation MSE of the mean predictor") {
    const KernelResult r = kernel_regression(KernelConfig{});
    INFO("learned sigma ", r.learned.width, ", MSE ", r.learned.valid_mse, " vs mean ", r.mean_valid_mse);
    CHECK(r.learned.valid_mse <= 0.5 * r.mean_valid_mse);
    // The loss is the leave-one-out training MSE: it must have come down from sigma = 2.
    CHECK(r.train_loss.back() < r.train_loss.front());
    const Tensor& w = r.grid_weights;
    REQUIRE(w.shape() == Shape{21, 50});
    for (std::int64_t i = 0; i < w.size(0); ++i) {
        double total = 0;
        for (std::int64_t j = 0; j < w.size(1); ++j) total += w.at({i, j});
        CHECK(std::abs(total - 1.0) < 1e-6);
    }
}

}  // TEST_SUITE
