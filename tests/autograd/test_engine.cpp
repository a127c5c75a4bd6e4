// Graph semantics of the reverse-mode engine: accumulation, graph freeing, no-grad mode,
// deep graphs, error messages, sum_to_shape, and anomaly detection.
#include <doctest/doctest.h>

#include <cmath>
#include <future>
#include <limits>
#include <thread>
#include <vector>

#include "tests/autograd/helpers.hpp"

using namespace qkv;
using namespace qkv::test;

TEST_SUITE("autograd") {

// ---- accumulation -------------------------------------------------------------------------

TEST_CASE("a Var used twice receives the sum of both gradients") {
    // y = x*x + x: dy/dx = 2x + 1, the x*x term itself contributing x twice (once per operand).
    const Var x = leaf({1.5, -2.0, 0.25}, {3});
    sum(x * x + x).backward();
    check_close(x.grad(), {4.0, -3.0, 1.5});
}

TEST_CASE("a diamond-shaped graph runs each node once after all its users") {
    // a = exp(x) feeds b = 2a and c = 3a; y = b + c = 5 exp(x), so dy/dx = 5 exp(x). A node run
    // before both users had reported would pass on only 2 exp(x) or 3 exp(x).
    const Var x = leaf({0.0, 1.0}, {2});
    const Var a = exp(x);
    sum(a * 2.0 + a * 3.0).backward();
    check_close(x.grad(), {5.0, 5.0 * std::exp(1.0)});
}

TEST_CASE("gradients accumulate over backward() calls until zero_grad()") {
    const Var x = leaf({1.0, 2.0}, {2});
    sum(x * 3.0).backward();
    sum(x * 3.0).backward();  // a second graph, same leaf
    check_close(x.grad(), {6.0, 6.0});

    x.zero_grad();
    CHECK_FALSE(x.grad().defined());
    sum(x * x).backward();
    check_close(x.grad(), {2.0, 4.0});
}

TEST_CASE("backward(grad) weights each element of a non-scalar result") {
    const Var x = leaf({1.0, 2.0}, {2});
    (x * 3.0).backward(from_vector(std::vector<double>{1.0, 10.0}));
    check_close(x.grad(), {3.0, 30.0});
}

TEST_CASE("only inputs that require grad receive a gradient") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Var c(from_vector(std::vector<double>{5.0, 7.0}));  // a constant
    sum(x * c).backward();
    check_close(x.grad(), {5.0, 7.0});
    CHECK_FALSE(c.grad().defined());
}

TEST_CASE("float32 graphs give float32 gradients") {
    const Var x(from_vector(std::vector<float>{1.0f, 2.0f}), true);
    sum(x * x).backward();
    CHECK(x.grad().dtype() == DType::Float32);
    check_close(x.grad(), {2.0, 4.0});
}

TEST_CASE("the gradients of two leaves fed by one add are independent copies") {
    // add's rule hands the same tensor to both inputs; each leaf must get its own.
    const Var a = leaf({1.0, 2.0}, {2}), b = leaf({3.0, 4.0}, {2});
    sum(a + b).backward();
    CHECK_FALSE(a.grad().shares_storage_with(b.grad()));
    mul_(a.grad(), 10.0);
    check_close(a.grad(), {10.0, 10.0});
    check_close(b.grad(), {1.0, 1.0});
}

TEST_CASE("a leaf's gradient does not alias the gradient passed to backward()") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Tensor seed = from_vector(std::vector<double>{0.5, 0.25});
    x.backward(seed);
    fill_(seed, 9.0);
    check_close(x.grad(), {0.5, 0.25});
}

TEST_CASE("set_grad copies a gradient of the Var's shape and dtype; backward adds to it") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Tensor g = from_vector(std::vector<double>{0.5, 0.25});
    x.set_grad(g);
    fill_(g, 9.0);  // the Var holds its own copy
    check_close(x.grad(), {0.5, 0.25});
    (x * 2.0).backward(from_vector(std::vector<double>{1.0, 1.0}));
    check_close(x.grad(), {2.5, 2.25});
    CHECK_THROWS_WITH_AS(x.set_grad(ones({3}, f64)), doctest::Contains("set_grad"), Error);
    CHECK_THROWS_WITH_AS(x.set_grad(ones({2}, DType::Float32)), doctest::Contains("float32"), Error);
    x.set_grad(Tensor());
    CHECK_FALSE(x.grad().defined());
}

TEST_CASE("set_data replaces a leaf's value for every handle, and refuses a non-leaf") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Var same = x;
    x.set_grad(ones({2}, f64));
    x.set_data(from_vector(std::vector<double>{3.0, 4.0}));
    check_close(same.data(), {3.0, 4.0});
    CHECK(same.grad().defined());  // same shape and dtype: kept
    x.set_data(ones({3}, f64));
    CHECK_FALSE(same.grad().defined());  // no longer matches: dropped
    CHECK_THROWS_WITH_AS((x * 2.0).set_data(ones({3}, f64)), doctest::Contains("only a leaf"), Error);
    CHECK_THROWS_WITH_AS(x.set_data(ones({3}, DType::Int64)), doctest::Contains("floating-point"), Error);
}

// ---- graph structure and cutting it --------------------------------------------------------

TEST_CASE("ops on Vars that require grad record their op while leaves have none") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Var y = x * x;
    CHECK(x.is_leaf());
    CHECK(x.op_name() == "leaf");
    CHECK_FALSE(y.is_leaf());
    CHECK(y.requires_grad());
    CHECK(y.op_name() == "mul");
    CHECK(sum(y).op_name() == "sum");
}

TEST_CASE("detach() cuts the graph: no gradient flows through the detached path") {
    const Var x = leaf({1.0, 3.0}, {2});
    const Var d = (x * 2.0).detach();
    CHECK(d.is_leaf());
    CHECK_FALSE(d.requires_grad());
    check_close(d.data(), {2.0, 6.0});
    const Var only_d = d * d;
    CHECK(only_d.is_leaf());
    CHECK_FALSE(only_d.requires_grad());

    // z = d * x with d = 2x held constant: dz/dx = d = 2x, not 4x.
    sum(d * x).backward();
    check_close(x.grad(), {2.0, 6.0});
}

TEST_CASE("under NoGradGuard ops build no graph and recording resumes after it") {
    const Var x = leaf({1.0, 2.0}, {2});
    {
        NoGradGuard no_grad;
        CHECK_FALSE(grad_enabled());
        const Var y = x * x;
        CHECK(y.is_leaf());
        CHECK_FALSE(y.requires_grad());
        check_close(y.data(), {1.0, 4.0});
        {
            NoGradGuard nested;
        }
        CHECK_FALSE(grad_enabled());  // the nested guard restored "off", not "on"
    }
    CHECK(grad_enabled());
    const Var z = x * x;
    CHECK_FALSE(z.is_leaf());
    CHECK(z.requires_grad());
}

TEST_CASE("NoGradGuard is per thread: other threads keep recording") {
    const Var x = leaf({2.0});
    bool other_thread_recorded = false;
    {
        NoGradGuard no_grad;
        std::thread([&] { other_thread_recorded = !(x * x).is_leaf(); }).join();
        CHECK((x * x).is_leaf());
    }
    CHECK(other_thread_recorded);

    // And a guard held by another thread does not switch this one off.
    std::promise<void> guard_held, main_done;
    std::thread other([&] {
        NoGradGuard no_grad;
        guard_held.set_value();
        main_done.get_future().wait();
    });
    guard_held.get_future().wait();
    const bool main_recorded = !(x * x).is_leaf();
    main_done.set_value();
    other.join();
    CHECK(main_recorded);
}

// ---- deep graphs ---------------------------------------------------------------------------

namespace {
// x <- x * 1.0001 + 0 repeated n times: dx_n/dx_0 = 1.0001^n. Both the topological sort and
// the freeing of the graph must not recurse once per op.
void check_deep_chain(int n) {
    const Var x0 = leaf({1.0});
    {
        Var x = x0;
        for (int i = 0; i < n; ++i) x = x * 1.0001 + 0.0;
        x.backward();
    }  // the 2n-node graph is freed here
    CHECK(x0.grad().item() == doctest::Approx(std::pow(1.0001, n)).epsilon(1e-9));
}
}  // namespace

TEST_CASE("a chain of 10000 ops runs backward and is freed without overflowing the stack") {
    check_deep_chain(10'000);
}

TEST_CASE("a chain of 100000 ops runs backward and is freed without overflowing the stack") {
    check_deep_chain(100'000);
}

TEST_CASE("a long graph kept alive by a Var in the middle is freed in two parts") {
    // The first half stays reachable from `middle` after the end is dropped, and must still
    // backpropagate afterwards.
    const Var x0 = leaf({1.0});
    Var middle;
    {
        Var x = x0;
        for (int i = 0; i < 20'000; ++i) {
            x = x * 1.0001 + 0.0;
            if (i == 9'999) middle = x;
        }
    }
    middle.backward();
    CHECK(x0.grad().item() == doctest::Approx(std::pow(1.0001, 10'000)).epsilon(1e-9));
}

// ---- freeing the graph ---------------------------------------------------------------------

TEST_CASE("backward twice through a freed graph throws naming retain_graph") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Var y = sum(x * x);
    y.backward();
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("retain_graph"), Error);
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("'sum'"), Error);
}

TEST_CASE("with retain_graph a second backward works and doubles the gradient") {
    const Var x = leaf({1.0, 2.0}, {2});
    const Var y = sum(x * x);
    y.backward(true);
    check_close(x.grad(), {2.0, 4.0});
    y.backward();  // frees the graph this time
    check_close(x.grad(), {4.0, 8.0});
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("retain_graph"), Error);
}

// ---- retain_grad ---------------------------------------------------------------------------

TEST_CASE("retain_grad keeps an intermediate's gradient while other non-leaves keep none") {
    const Var x = leaf({1.0, -0.5}, {2});
    const Var h = x * 2.0;  // (2, -1)
    h.retain_grad();
    const Var k = h * h;
    sum(k).backward();
    check_close(h.grad(), {4.0, -2.0});  // d sum(h^2)/dh = 2h
    CHECK_FALSE(k.grad().defined());
    check_close(x.grad(), {8.0, -4.0});  // 2h * 2
}

// ---- bad calls -----------------------------------------------------------------------------

TEST_CASE("backward without a gradient on a non-scalar throws naming the shape") {
    const Var y = Var(zeros({2, 3}, f64), true) * 2.0;
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("shape (2, 3)"), Error);
}

TEST_CASE("backward with a gradient of the wrong shape throws naming both shapes") {
    const Var y = Var(zeros({2, 3}, f64), true) * 2.0;
    CHECK_THROWS_WITH_AS(y.backward(ones({3, 2}, f64)),
                         doctest::Contains("gradient of shape (3, 2) for a Var of shape (2, 3)"), Error);
}

TEST_CASE("backward on a Var that does not require grad throws") {
    const Var y = Var(ones({2}, f64)) * 2.0;
    CHECK_THROWS_WITH_AS(sum(y).backward(), doctest::Contains("does not require grad"), Error);
}

TEST_CASE("only floating-point tensors can require grad") {
    CHECK_THROWS_WITH_AS(Var(arange(3), true), doctest::Contains("only floating-point tensors can require grad, got int64 (3)"),
                         Error);
    Var ints(arange(3));
    CHECK_THROWS_WITH_AS(ints.set_requires_grad(true), doctest::Contains("int64"), Error);
}

TEST_CASE("set_requires_grad is for leaves only") {
    Var y = leaf({1.0}) * 2.0;
    CHECK_THROWS_WITH_AS(y.set_requires_grad(false), doctest::Contains("only leaves"), Error);
}

// ---- sum_to_shape --------------------------------------------------------------------------

TEST_CASE("sum_to_shape sums a gradient over the broadcast dims") {
    // g[i][j][l] = 12 i + 4 j + l (its row-major position), shape (2, 3, 4).
    std::vector<double> values(24);
    for (std::size_t k = 0; k < values.size(); ++k) values[k] = static_cast<double>(k);
    const Tensor g = from_vector(values, {2, 3, 4});
    const auto at = [&](int i, int j, int l) { return values[static_cast<std::size_t>(12 * i + 4 * j + l)]; };

    SUBCASE("to (3, 1): over dims 0 and 2") {
        const Tensor r = sum_to_shape(g, {3, 1});
        CHECK(shape_str(r.shape()) == "(3, 1)");
        std::vector<double> expected(3, 0.0);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int l = 0; l < 4; ++l) expected[static_cast<std::size_t>(j)] += at(i, j, l);
        check_close(r, expected);
    }
    SUBCASE("to (4): over the two leading dims") {
        const Tensor r = sum_to_shape(g, {4});
        std::vector<double> expected(4, 0.0);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int l = 0; l < 4; ++l) expected[static_cast<std::size_t>(l)] += at(i, j, l);
        check_close(r, expected);
    }
    SUBCASE("to (2, 1, 4): over the middle dim") {
        const Tensor r = sum_to_shape(g, {2, 1, 4});
        CHECK(shape_str(r.shape()) == "(2, 1, 4)");
        std::vector<double> expected(8, 0.0);
        for (int i = 0; i < 2; ++i)
            for (int j = 0; j < 3; ++j)
                for (int l = 0; l < 4; ++l) expected[static_cast<std::size_t>(4 * i + l)] += at(i, j, l);
        check_close(r, expected);
    }
    SUBCASE("to (1, 3, 4): over dim 0, keeping it") {
        const Tensor r = sum_to_shape(g, {1, 3, 4});
        CHECK(shape_str(r.shape()) == "(1, 3, 4)");
        std::vector<double> expected(12, 0.0);
        for (int i = 0; i < 2; ++i)
            for (int k = 0; k < 12; ++k) expected[static_cast<std::size_t>(k)] += values[static_cast<std::size_t>(12 * i + k)];
        check_close(r, expected);
    }
    SUBCASE("to (): everything") {
        const Tensor r = sum_to_shape(g, {});
        CHECK(r.dim() == 0);
        CHECK(r.item() == 276.0);  // 0 + 1 + ... + 23 = 23 * 24 / 2
    }
    SUBCASE("to its own shape: unchanged") {
        check_close(sum_to_shape(g, {2, 3, 4}), values);
    }
    SUBCASE("to a shape it is not a broadcast of: throws, naming both shapes") {
        CHECK_THROWS_WITH_AS(sum_to_shape(g, {3}),
                             doctest::Contains("a gradient of shape (2, 3, 4) is not a broadcast of shape (3)"), Error);
        CHECK_THROWS_WITH_AS(sum_to_shape(g, {5, 2, 3, 4}), doctest::Contains("(5, 2, 3, 4)"), Error);
    }
}

// ---- anomaly mode --------------------------------------------------------------------------

TEST_CASE("anomaly mode: a forward that produces NaN throws naming the op") {
    AnomalyMode anomaly;
    const Var x = leaf({-1.0, 2.0}, {2});
    CHECK_THROWS_WITH_AS(log(x), doctest::Contains("the forward of 'log' produced NaN"), Error);
}

TEST_CASE("anomaly mode: a backward that produces Inf throws naming the op") {
    // sqrt at 0: the forward is 0, but d sqrt/dx = 1 / (2 sqrt(0)) is infinite.
    AnomalyMode anomaly;
    const Var x = leaf({0.0, 4.0}, {2});
    const Var y = sum(sqrt(x));
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("the backward of 'sqrt' produced NaN or Inf"), Error);
}

TEST_CASE("anomaly mode allows -inf in a forward (masked scores)") {
    AnomalyMode anomaly;
    const Var x = leaf({1.0, 2.0, 3.0, 4.0}, {2, 2});
    const Tensor mask = from_vector(std::vector<std::uint8_t>{0, 1, 1, 1}, {2, 2});
    const Var p = softmax(masked_fill(x, mask, -std::numeric_limits<double>::infinity()), -1);
    CHECK_NOTHROW(sum(p * p).backward());
    check_close(x.grad(), {0.0, 0.0, 0.0, 0.0});  // row 0 has one live entry (p = 1), row 1 none
}

TEST_CASE("without anomaly mode NaN and Inf pass silently") {
    const Var x = leaf({-1.0, 2.0}, {2});
    const Var y = log(x);
    CHECK(std::isnan(y.data().at({0})));

    const Var z = leaf({0.0, 4.0}, {2});
    CHECK_NOTHROW(sum(sqrt(z)).backward());
    CHECK(z.grad().at({0}) == std::numeric_limits<double>::infinity());
    CHECK(z.grad().at({1}) == doctest::Approx(0.25));  // 1 / (2 sqrt 4)
}

TEST_CASE("AnomalyMode(false) switches checking off inside an enabled region and restores it") {
    AnomalyMode on;
    const Var x = leaf({-1.0});
    {
        AnomalyMode off(false);
        CHECK_FALSE(anomaly_enabled());
        CHECK_NOTHROW(log(x));
    }
    CHECK(anomaly_enabled());
    CHECK_THROWS_AS(log(x), Error);
}

}  // TEST_SUITE
