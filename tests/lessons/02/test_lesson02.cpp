// Lesson 02: the numbers the program prints, checked against hand derivations and the stated
// outcome ("train and held-out MSE below 1e-4 after 1500 steps at seed 0").
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "lessons/02_autograd/expression.hpp"
#include "lessons/02_autograd/fit.hpp"
#include "lessons/02_autograd/softplus.hpp"

using namespace qkv;
using namespace qkv::lesson02;

TEST_SUITE("lesson02") {

TEST_CASE("expression gradients equal the hand-derived chain rule") {
    const double a = 0.8, b = -1.5, c = 2.0;  // the values main.cpp uses
    const Expression ex = build_expression(a, b, c);
    ex.e.backward();
    // e = d t with d = a b + c, t = tanh a:
    //   de/dd = t, de/dt = d, de/d(ab) = de/dc = t, de/db = t a,
    //   de/da = t b (through ab) + d (1 - t^2) (through tanh): the two uses of a summed.
    const double t = std::tanh(a), d = a * b + c;
    CHECK(ex.e.item() == doctest::Approx(d * t).epsilon(1e-12));
    CHECK(ex.a.grad().item() == doctest::Approx(t * b + d * (1 - t * t)).epsilon(1e-12));
    CHECK(ex.b.grad().item() == doctest::Approx(t * a).epsilon(1e-12));
    CHECK(ex.c.grad().item() == doctest::Approx(t).epsilon(1e-12));
    CHECK(ex.ab.grad().item() == doctest::Approx(t).epsilon(1e-12));
    CHECK(ex.d.grad().item() == doctest::Approx(t).epsilon(1e-12));
    CHECK(ex.t.grad().item() == doctest::Approx(d).epsilon(1e-12));
    CHECK(ex.e.grad().item() == 1.0);
}

TEST_CASE("the printed graph lines carry the same gradients as the Vars") {
    const Expression ex = build_expression(0.8, -1.5, 2.0);
    ex.e.backward();
    std::map<std::string, GraphLine> by_name;
    for (const GraphLine& l : graph_lines(ex)) by_name[l.name] = l;
    REQUIRE(by_name.size() == 7);
    CHECK(by_name["a"].grad == ex.a.grad().item());
    CHECK(by_name["t"].op == "tanh");
    CHECK(by_name["ab"].inputs == std::vector<std::string>{"a", "b"});
    CHECK(by_name["e"].inputs == std::vector<std::string>{"d", "t"});
    CHECK(by_name["b"].op == "leaf");
}

TEST_CASE("topological order puts every input before the op that uses it, root last") {
    const Expression ex = build_expression(0.8, -1.5, 2.0);
    const std::vector<GraphLine> lines = graph_lines(ex);
    REQUIRE(lines.size() == 7);  // a, b, c, ab, d, t, e: a appears once though used twice
    CHECK(lines.back().name == "e");
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < lines.size(); ++i) position[lines[i].name] = i;
    for (const GraphLine& l : lines)
        for (const std::string& in : l.inputs) CHECK(position.at(in) < position.at(l.name));
}

TEST_CASE("gradients accumulate across backward calls until zero_grad") {
    const Expression ex = build_expression(0.8, -1.5, 2.0);
    ex.e.backward(true);
    const double once = ex.b.grad().item();
    ex.e.backward();
    CHECK(ex.b.grad().item() == doctest::Approx(2 * once).epsilon(1e-12));
    ex.b.zero_grad();
    CHECK_FALSE(ex.b.grad().defined());
}

TEST_CASE("NoGradGuard makes an op a constant with no graph") {
    const NoGradDemo demo = no_grad_demo(build_expression(0.8, -1.5, 2.0));
    CHECK(demo.with_grad_requires_grad);
    CHECK(demo.with_grad_op == "mul");
    CHECK_FALSE(demo.no_grad_requires_grad);
    CHECK(demo.no_grad_op == "leaf");
}

TEST_CASE("softplus forward and backward match log(1 + e^x) and sigmoid") {
    for (double x : {-30.0, -2.0, 0.0, 0.5, 3.0, 40.0}) {
        const Var v(scalar(x, DType::Float64), true);
        const Var y = softplus(v);
        y.backward();
        CHECK(y.item() == doctest::Approx(std::log(1 + std::exp(x))).epsilon(1e-12));
        CHECK(v.grad().item() == doctest::Approx(1 / (1 + std::exp(-x))).epsilon(1e-12));
    }
}

TEST_CASE("gradcheck passes softplus and fails the sign-slipped softplus") {
    for (std::uint64_t seed : {0u, 1u, 7u}) {
        CHECK(check_softplus(seed).ok);
        const GradcheckResult bad = check_softplus_wrong(seed);
        CHECK_FALSE(bad.ok);
        CHECK(bad.failures >= 1);
        CHECK(bad.message.find("input 0") != std::string::npos);
    }
}

TEST_CASE("the sine fit reaches MSE below 1e-4 after 1500 steps at seed 0") {
    FitConfig config;  // the defaults main.cpp runs with: seed 0, 1500 steps
    REQUIRE(config.steps == 1500);
    REQUIRE(config.seed == 0);
    const FitResult r = fit_sine(config);
    REQUIRE(r.train_loss.size() == 1500);
    CHECK(r.final_train_mse < 1e-4);
    CHECK(r.test_mse < 1e-4);
    CHECK(r.train_loss.back() < r.train_loss.front() / 100);
    // The held-out MSE recomputed from the returned grid with plain doubles.
    double sse = 0;
    for (std::size_t i = 0; i < r.grid_x.size(); ++i) {
        const double diff = r.grid_pred[i] - std::sin(r.grid_x[i]);
        sse += diff * diff;
    }
    CHECK(sse / static_cast<double>(r.grid_x.size()) == doctest::Approx(r.test_mse).epsilon(1e-3));
}

TEST_CASE("on the same fit Adam ends 100x below SGD and momentum, and AdamW's decay shrinks the weights") {
    const auto run = [](FitOptimizer o, double lr, double decay = 0) {
        FitConfig c;  // seed 0, 1500 steps, as part 5 of the lesson
        c.optimizer = o, c.lr = lr, c.weight_decay = decay;
        return fit_sine(c);
    };
    const FitResult sgd = run(FitOptimizer::SGD, 0.1), momentum = run(FitOptimizer::Momentum, 0.01),
                    adam = run(FitOptimizer::Adam, 0.01), adamw = run(FitOptimizer::AdamW, 0.01, 0.1);
    CHECK(adam.final_train_mse * 100 < sgd.final_train_mse);
    CHECK(adam.final_train_mse * 100 < momentum.final_train_mse);
    // Momentum 0.9 at lr 0.01 takes steps of about lr / (1 - 0.9) = 0.1 on a steady gradient:
    // it ends near plain SGD at 0.1.
    // (A relative bound written out: doctest's Approx adds 1 to the scale, so epsilon(0.1) would
    // accept any two MSEs this small.)
    CHECK(std::abs(momentum.final_train_mse - sgd.final_train_mse) < 0.1 * sgd.final_train_mse);
    CHECK(adamw.weight_norm < 0.9 * adam.weight_norm);
    // The weight norm recomputed: sqrt of the sum of squares of both weight matrices.
    FitConfig c;
    Generator gen(c.seed);
    for (std::int64_t i = 0; i < c.train_points; ++i) (void)gen.uniform();
    Mlp fresh(c.hidden, gen);
    double sq = 0;
    for (const Var& w : {fresh.hidden.weight, fresh.out.weight})
        for (double v : w.data().to(DType::Float64).to_vector<double>()) sq += v * v;
    FitConfig none;
    none.steps = 0;
    CHECK(std::abs(fit_sine(none).weight_norm - std::sqrt(sq)) < 1e-6 * std::sqrt(sq));
}

}  // TEST_SUITE
