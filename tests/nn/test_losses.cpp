// nn/losses: each loss against its textbook formula computed naively in plain doubles, its
// gradients by finite differences (float64), and its shape checks.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/helpers.hpp"
#include "nn/losses.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_close;
using qkv::test::check_gradients;
using qkv::test::f64;

namespace {

double naive_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// -[p y log sigma(x) + (1 - y) log(1 - sigma(x))], straight from the definition (fine for |x| < 30).
double naive_bce(double x, double y, double p = 1.0) {
    return -(p * y * std::log(naive_sigmoid(x)) + (1 - y) * std::log(1 - naive_sigmoid(x)));
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("mse_loss is the mean, sum or list of squared differences") {
    const Var pred(tensor({{1.0, 2.0}, {3.0, 4.0}}, f64));
    const Tensor target = tensor({{0.5, 2.5}, {3.0, 1.0}}, f64);
    // differences 0.5, -0.5, 0, 3 -> squares 0.25, 0.25, 0, 9: sum 9.5, mean 9.5 / 4 = 2.375
    check_close(mse_loss(pred, target).data(), {2.375});
    check_close(mse_loss(pred, target, Reduction::Sum).data(), {9.5});
    const Var each = mse_loss(pred, target, Reduction::None);
    CHECK(each.shape() == Shape{2, 2});
    check_close(each.data(), {0.25, 0.25, 0.0, 9.0});
}

TEST_CASE("mse_loss gradients match finite differences for prediction and target") {
    Generator gen(11);
    const Tensor pred = randn({3, 4}, 0, 1, f64, gen), target = randn({3, 4}, 0, 1, f64, gen);
    for (const Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None})
        check_gradients("mse_loss", [r](const std::vector<Var>& x) { return mse_loss(x[0], x[1], r); },
                        {pred, target});
}

TEST_CASE("mse_loss gradient of the mean is 2 (pred - target) / N") {
    const Var pred(tensor({1.0, 2.0, 4.0}, f64), true);
    mse_loss(pred, tensor({0.0, 2.0, 1.0}, f64)).backward();
    check_close(pred.grad(), {2.0 * 1 / 3, 0.0, 2.0 * 3 / 3});
}

TEST_CASE("mse_loss rejects different shapes and dtypes instead of broadcasting") {
    const Var pred(zeros({4, 1}, f64), true);
    CHECK_THROWS_WITH_AS(mse_loss(pred, zeros({4}, f64)), doctest::Contains("mse_loss: input (4, 1) and target (4) differ in shape"),
                         Error);
    CHECK_THROWS_WITH_AS(mse_loss(pred, zeros({4, 1})), doctest::Contains("float64 and target float32 differ in dtype"),
                         Error);
}

TEST_CASE("binary_cross_entropy_with_logits matches the naive formula") {
    const std::vector<double> x{-2.0, -0.5, 0.0, 0.3, 1.7, 4.0}, y{0.0, 1.0, 1.0, 0.0, 0.25, 1.0};
    const Var logits(from_vector(x, {2, 3}));
    const Tensor targets = from_vector(y, {2, 3});
    std::vector<double> expected;
    double total = 0;
    for (std::size_t i = 0; i < x.size(); ++i) expected.push_back(naive_bce(x[i], y[i])), total += expected.back();

    check_close(binary_cross_entropy_with_logits(logits, targets, Reduction::None).data(), expected);
    check_close(binary_cross_entropy_with_logits(logits, targets, Reduction::Sum).data(), {total});
    check_close(binary_cross_entropy_with_logits(logits, targets).data(), {total / 6});
}

TEST_CASE("binary_cross_entropy_with_logits weighs positives by pos_weight per class") {
    const std::vector<double> x{-1.0, 0.5, 2.0, 0.2, -0.7, 1.1}, y{1.0, 0.0, 1.0, 0.5, 1.0, 0.0};
    const std::vector<double> p{3.0, 0.5, 1.0};  // one weight per class (last dim)
    std::vector<double> expected;
    for (std::size_t i = 0; i < x.size(); ++i) expected.push_back(naive_bce(x[i], y[i], p[i % 3]));
    const Var out = binary_cross_entropy_with_logits(Var(from_vector(x, {2, 3})), from_vector(y, {2, 3}),
                                                     Reduction::None, from_vector(p));
    check_close(out.data(), expected);
}

TEST_CASE("binary_cross_entropy_with_logits stays finite for huge logits") {
    // float32, where exp(100) and exp(800) overflow: sigma(+-800) rounds to exactly 1 or 0, and
    // the naive log(1 - sigma(x)) would be log(0) = -inf.
    const Var x(tensor({100.0, -100.0, 800.0, -800.0, -800.0}), true);
    const Tensor y = tensor({0.0, 1.0, 1.0, 0.0, 1.0});
    const Var losses = binary_cross_entropy_with_logits(x, y, Reduction::None);
    // confidently wrong: loss |x| (100, 100, 800); confidently right: e^-800, 0 in float32
    check_close(losses.data(), {100.0, 100.0, 0.0, 0.0, 800.0}, 1e-7);
    sum(losses).backward();
    check_close(x.grad(), {1.0, -1.0, 0.0, 0.0, -1.0}, 1e-7);  // sigma(x) - y
}

TEST_CASE("binary_cross_entropy_with_logits gradient is sigma(x) - y, averaged") {
    const Var x(tensor({0.0, 2.0}, f64), true);
    binary_cross_entropy_with_logits(x, tensor({1.0, 0.0}, f64)).backward();
    check_close(x.grad(), {(0.5 - 1.0) / 2, naive_sigmoid(2.0) / 2});
}

TEST_CASE("binary_cross_entropy_with_logits gradients match finite differences") {
    Generator gen(5);
    const Tensor x = randn({3, 4}, 0, 2, f64, gen);
    const Tensor y = rand({3, 4}, 0, 1, f64, gen);
    const Tensor p = rand({4}, 0.5, 3, f64, gen);
    for (const Reduction r : {Reduction::Mean, Reduction::Sum, Reduction::None}) {
        check_gradients("bce", [&](const std::vector<Var>& v) { return binary_cross_entropy_with_logits(v[0], y, r); },
                        {x});
        check_gradients("bce pos_weight",
                        [&](const std::vector<Var>& v) { return binary_cross_entropy_with_logits(v[0], y, r, p); }, {x});
    }
}

TEST_CASE("binary_cross_entropy_with_logits rejects mismatched targets and pos_weight") {
    const Var x(zeros({2, 3}), true);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(x, zeros({3, 2})),
                         doctest::Contains("binary_cross_entropy_with_logits: input (2, 3) and target (3, 2) differ in shape"),
                         Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(x, zeros({2, 3}), Reduction::Mean, ones({2})),
                         doctest::Contains("pos_weight (2) does not broadcast to the input (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(x, zeros({2, 3}), Reduction::Mean, ones({3}, f64)),
                         doctest::Contains("pos_weight float64 and input float32 differ in dtype"), Error);
}

TEST_CASE("nn cross_entropy is autograd's, with its options") {
    // -log softmax(1, 2, 3)_2 = log(e + e^2 + e^3) - 3
    const Var logits(tensor({{1.0, 2.0, 3.0}, {0.0, 0.0, 0.0}}, f64));
    const Tensor targets = from_vector(std::vector<std::int64_t>{2, 0});
    const double first = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
    check_close(nn::cross_entropy(logits, targets, {.ignore_index = 0}).data(), {first});
    check_close(nn::cross_entropy(logits, targets, {.reduction = Reduction::Sum}).data(), {first + std::log(3.0)});
}

}  // TEST_SUITE
