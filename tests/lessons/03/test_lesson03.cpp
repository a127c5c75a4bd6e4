// Lesson 03: the numbers the program prints, checked against hand arithmetic written out here
// in plain doubles, and the invariants the lesson teaches about masks and the sqrt(d_k) scale.
// The kernel-regression outcome at the full budget is in test_lesson03_slow.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "autograd/helpers.hpp"
#include "lessons/03_dot_product_attention/examples.hpp"
#include "lessons/03_dot_product_attention/kernel_regression.hpp"
#include "lessons/03_dot_product_attention/scaling.hpp"

using namespace qkv;
using namespace qkv::lesson03;
using qkv::test::check_close;  // check_close(t, {values}, tol = 1e-12): |got - expected| <= tol (1 + |expected|)

namespace {

std::vector<double> softmax_of(const std::vector<double>& s) {
    double total = 0;
    for (double x : s) total += std::exp(x);
    std::vector<double> p;
    for (double x : s) p.push_back(std::exp(x) / total);
    return p;
}

}  // namespace

TEST_SUITE("lesson03") {

TEST_CASE("cat example: qkv computes the true weights and output, not the article's") {
    const ArticleExample ex = cat_likes_chasing_mice();
    // q = (1, 0.8); keys (0.9, 0.1), (0.8, 0.2), (0.7, 0.9); d_k = 2.
    const double r2 = std::sqrt(2.0);
    const std::vector<double> s = {(0.9 + 0.08) / r2, (0.8 + 0.16) / r2, (0.7 + 0.72) / r2};
    const std::vector<double> w = softmax_of(s);
    check_close(ex.computed.scores, s);
    check_close(ex.computed.weights, w);
    // values (1, 0.1), (0.9, 0.2), (0.8, 0.3)
    check_close(ex.computed.output, {w[0] * 1.0 + w[1] * 0.9 + w[2] * 0.8, w[0] * 0.1 + w[1] * 0.2 + w[2] * 0.3});
    // 老鼠 has the largest score, so the largest weight; the article gives 猫 the largest.
    CHECK(w[2] > w[0]);
    CHECK(std::abs(w[0] - ex.printed_weights[0]) > 0.15);
    CHECK(ex.printed_weights == std::vector<double>{0.4761, 0.2678, 0.2561});
}

TEST_CASE("fruit example: weights are sigmoid of the scaled score gap") {
    const ArticleExample ex = apple_orange_fruit();
    // q.k1 = 2 + 6 + 1 = 9, q.k2 = 2 + 3 + 2 = 7; two-way softmax = sigmoid of the gap.
    const double gap = (9.0 - 7.0) / std::sqrt(3.0);
    const double w_apple = 1.0 / (1.0 + std::exp(-gap));
    check_close(ex.computed.weights, {w_apple, 1.0 - w_apple});
    CHECK(w_apple == doctest::Approx(0.7604).epsilon(1e-4));
    CHECK(std::abs(w_apple - ex.printed_weights[0]) > 0.13);
}

TEST_CASE("three-token walk-through: scores, row softmax, output, and the flat softmax's row sums") {
    const ThreeTokens tt = three_tokens();
    // Q = X W_Q = [[1,0,2],[2,0,0],[2,0,1]], K = X W_K = [[0,1,1],[2,2,0],[1,1,1]],
    // V = X W_V = [[1,2,3],[0,6,0],[0,5,0]] (multiplied out by hand).
    check_close(tt.trace.q, {1, 0, 2, 2, 0, 0, 2, 0, 1});
    check_close(tt.trace.k, {0, 1, 1, 2, 2, 0, 1, 1, 1});
    check_close(tt.trace.v, {1, 2, 3, 0, 6, 0, 0, 5, 0});
    const double E[3][3] = {{2, 2, 3}, {0, 4, 2}, {1, 4, 3}};  // q_i . k_j
    const double V[3][3] = {{1, 2, 3}, {0, 6, 0}, {0, 5, 0}};
    std::vector<double> scores, weights, output, flat;
    double all = 0;
    for (const auto& row : E)
        for (double e : row) all += std::exp(e / std::sqrt(3.0));
    for (const auto& row : E) {
        std::vector<double> s;
        for (double e : row) s.push_back(e / std::sqrt(3.0));
        const std::vector<double> p = softmax_of(s);
        for (int j = 0; j < 3; ++j) {
            scores.push_back(s[j]);
            weights.push_back(p[j]);
            flat.push_back(std::exp(s[j]) / all);
        }
        for (int c = 0; c < 3; ++c) output.push_back(p[0] * V[0][c] + p[1] * V[1][c] + p[2] * V[2][c]);
    }
    check_close(tt.trace.scores, scores);
    check_close(tt.trace.weights, weights);
    check_close(tt.trace.output, output);
    check_close(tt.flat_softmax, flat);
    // The flattened softmax's rows do not each sum to 1: only all nine together do.
    CHECK(flat[0] + flat[1] + flat[2] < 0.3);
}

TEST_CASE("the article's len(queries) reshape mixes sentences; reshaping to (B, T, H, d) does not") {
    const BatchLeak leak = batch_leak();
    CHECK(leak.article_output_shape == Shape{3, 2, 4});
    CHECK(leak.article_change > 1e-3);
    CHECK(leak.qkv_change == 0.0);
}

TEST_CASE("adding mask * -1e9 with a keep-mask puts all weight on padding; padding_mask does not") {
    const MaskSign ms = mask_sign();
    // scores (q = (1, 1); keys (2, 0), (0, 1), (1, 1)) / sqrt 2 = (2, 1, 2) / sqrt 2
    const std::vector<double> p = softmax_of({2 / std::sqrt(2.0), 1 / std::sqrt(2.0)});
    check_close(ms.qkv_weights, {p[0], p[1], 0.0});
    check_close(ms.article_weights, {0.0, 0.0, 1.0});
}

TEST_CASE("a fully masked query: -1e10 gives a uniform row, qkv gives zeros and zero finite gradients") {
    const FullyMasked fm = fully_masked();
    check_close(fm.article_weights, {1.0 / 3, 1.0 / 3, 1.0 / 3});
    check_close(fm.qkv_weights, {0, 0, 0});
    check_close(fm.qkv_output, {0, 0});
    check_close(fm.q_grad, {0, 0});
    check_close(fm.k_grad, {0, 0, 0, 0, 0, 0});
}

TEST_CASE("padded attention: rows sum to 1, padded keys get weight 0 and their contents do not matter") {
    const PaddedAttention pa = padded_attention(0);
    REQUIRE(pa.weights.shape() == Shape{2, 2, 10});
    const std::int64_t lengths[2] = {2, 6};
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t i = 0; i < 2; ++i) {
            double total = 0;
            for (std::int64_t j = 0; j < 10; ++j) {
                const double w = pa.weights.at({b, i, j});
                total += w;
                if (j >= lengths[b]) CHECK(w == 0.0);
            }
            CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
        }
    CHECK(pa.padding_change == 0.0);
}

TEST_CASE("causal weights are zero above the diagonal and rows sum to 1") {
    const Tensor w = causal_weights(0);
    REQUIRE(w.shape() == Shape{6, 6});
    for (std::int64_t i = 0; i < 6; ++i) {
        double total = 0;
        for (std::int64_t j = 0; j < 6; ++j) {
            total += w.at({i, j});
            if (j > i) CHECK(w.at({i, j}) == 0.0);
        }
        CHECK(total == doctest::Approx(1.0).epsilon(1e-12));
    }
    CHECK(w.at({0, 0}) == 1.0);  // the first token sees only itself
}

TEST_CASE("score variance grows like d_k, the scale brings it to 1, and softmax saturates without it") {
    const std::vector<ScalingRow> rows = scaling_study({4, 16, 64, 256, 512}, 2000, 10, 0);
    REQUIRE(rows.size() == 5);
    for (const ScalingRow& r : rows) {
        INFO("d_k = ", r.d);
        // Var(sum of d products of independent N(0,1)) = d; 20000 samples: within 10%.
        CHECK(r.score_var / static_cast<double>(r.d) == doctest::Approx(1.0).epsilon(0.1));
        CHECK(r.scaled_var == doctest::Approx(1.0).epsilon(0.1));
    }
    const ScalingRow& big = rows.back();
    CHECK(big.max_weight_raw > 0.9);
    CHECK(big.max_weight_raw > big.max_weight_scaled + 0.5);
    CHECK(big.jacobian_raw < 0.25 * big.jacobian_scaled);
    // With the scale the statistics hardly depend on d.
    CHECK(std::abs(rows.front().max_weight_scaled - big.max_weight_scaled) < 0.05);
}

TEST_CASE("softmax_jacobian_norm equals the norm of the Jacobian autograd computes") {
    const std::vector<double> s = {0.3, -1.2, 2.0, 0.5};
    double sq = 0;
    for (std::int64_t i = 0; i < 4; ++i) {
        const Var x(from_vector(s), true);
        softmax(x, 0).select(0, i).backward();  // row i of d p / d s
        for (double g : x.grad().to_vector<double>()) sq += g * g;
    }
    CHECK(softmax_jacobian_norm(softmax_of(s)) == doctest::Approx(std::sqrt(sq)).epsilon(1e-12));
}

TEST_CASE("kernel attention weights are the normalised Gaussian kernel, leave-one-out hides the diagonal") {
    const Tensor x = from_vector(std::vector<double>{0.0, 1.0, 3.0});
    const Tensor y = from_vector(std::vector<double>{1.0, 2.0, 5.0});
    const double sigma = 1.5;
    const Var log_width(scalar(std::log(sigma), DType::Float64));
    const nn::AttentionOutput out = kernel_attention(Var(from_vector(std::vector<double>{0.5})), x, y, log_width);
    // query 0.5: distances 0.5, 0.5, 2.5; scores -d^2 / (2 sigma^2)
    const std::vector<double> p =
        softmax_of({-0.25 / (2 * sigma * sigma), -0.25 / (2 * sigma * sigma), -6.25 / (2 * sigma * sigma)});
    check_close(out.weights.data(), p);
    check_close(out.output.data(), {p[0] * 1 + p[1] * 2 + p[2] * 5});

    const nn::AttentionOutput loo = kernel_attention(Var(x), x, y, log_width, eye(3, -1, DType::Bool));
    for (std::int64_t i = 0; i < 3; ++i) {
        CHECK(loo.weights.data().at({i, i}) == 0.0);
        CHECK(sum(loo.weights.data().select(0, i)).item() == doctest::Approx(1.0).epsilon(1e-12));
    }
}

}  // TEST_SUITE
