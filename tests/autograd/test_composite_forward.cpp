// Forward values of the fused ops (layer_norm, cross_entropy, log_softmax, dropout) against
// small hand-worked examples and naive reference loops written out here, following PyTorch's
// definitions. The gradients of the same ops are checked in test_gradcheck_ops.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

#include "tensor/thread_pool.hpp"
#include "tests/autograd/helpers.hpp"

using namespace qkv;
using namespace qkv::test;

namespace {

// log_softmax of each row of a (rows, n) row-major array: x - max - log sum exp(x - max).
std::vector<double> naive_log_softmax(const std::vector<double>& x, std::int64_t rows, std::int64_t n) {
    std::vector<double> out(x.size());
    for (std::int64_t r = 0; r < rows; ++r) {
        const double* xr = x.data() + r * n;
        double m = -std::numeric_limits<double>::infinity();
        for (std::int64_t i = 0; i < n; ++i) m = std::max(m, xr[i]);
        double s = 0;
        for (std::int64_t i = 0; i < n; ++i) s += std::exp(xr[i] - m);
        for (std::int64_t i = 0; i < n; ++i) out[static_cast<std::size_t>(r * n + i)] = xr[i] - m - std::log(s);
    }
    return out;
}

// PyTorch's LayerNorm on each row of n values: biased variance, eps inside the square root,
// then the affine map (w, b empty for none).
std::vector<double> naive_layer_norm(const std::vector<double>& x, std::int64_t n, const std::vector<double>& w,
                                     const std::vector<double>& b, double eps) {
    std::vector<double> y(x.size());
    for (std::size_t start = 0; start < x.size(); start += static_cast<std::size_t>(n)) {
        double mean = 0, var = 0;
        for (std::int64_t i = 0; i < n; ++i) mean += x[start + static_cast<std::size_t>(i)];
        mean /= static_cast<double>(n);
        for (std::int64_t i = 0; i < n; ++i) var += std::pow(x[start + static_cast<std::size_t>(i)] - mean, 2);
        var /= static_cast<double>(n);
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            const double xhat = (x[start + i] - mean) / std::sqrt(var + eps);
            y[start + i] = xhat * (w.empty() ? 1.0 : w[i]) + (b.empty() ? 0.0 : b[i]);
        }
    }
    return y;
}

// Per-position cross-entropy losses of (N, C) logits, 0 at ignored positions, and the number of
// counted positions: loss = -(1 - eps) log p_t - eps / C * sum_c log p_c.
struct NaiveLosses {
    std::vector<double> losses;
    int counted = 0;
};
NaiveLosses naive_cross_entropy(const std::vector<double>& logits, std::int64_t C, const std::vector<std::int64_t>& t,
                                double eps, std::int64_t ignore) {
    const std::int64_t N = static_cast<std::int64_t>(t.size());
    const std::vector<double> lp = naive_log_softmax(logits, N, C);
    NaiveLosses r{std::vector<double>(t.size(), 0.0), 0};
    for (std::int64_t i = 0; i < N; ++i) {
        if (t[static_cast<std::size_t>(i)] == ignore) continue;
        double all = 0;
        for (std::int64_t c = 0; c < C; ++c) all += lp[static_cast<std::size_t>(i * C + c)];
        r.losses[static_cast<std::size_t>(i)] =
            -(1 - eps) * lp[static_cast<std::size_t>(i * C + t[static_cast<std::size_t>(i)])] - eps / static_cast<double>(C) * all;
        ++r.counted;
    }
    return r;
}

double total(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s;
}

Tensor targets(const std::vector<std::int64_t>& t) { return from_vector(t); }
Tensor targets(const std::vector<std::int64_t>& t, Shape shape) { return from_vector(t, std::move(shape)); }

}  // namespace

TEST_SUITE("autograd") {

// ---- log_softmax -----------------------------------------------------------------------------

TEST_CASE("log_softmax matches log(exp(x) / sum exp(x)) along the last dim and along dim 0") {
    Generator gen(11);
    const Tensor x = randn({3, 4}, 0.0, 2.0, f64, gen);
    const std::vector<double> xv = x.to_vector<double>();
    check_close(log_softmax(Var(x), -1).data(), naive_log_softmax(xv, 3, 4));

    // Along dim 0: the naive rows are the columns of x.
    std::vector<double> columns;
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 3; ++i) columns.push_back(xv[static_cast<std::size_t>(i * 4 + j)]);
    const std::vector<double> by_column = naive_log_softmax(columns, 4, 3);
    std::vector<double> expected(12);
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 3; ++i) expected[static_cast<std::size_t>(i * 4 + j)] = by_column[static_cast<std::size_t>(j * 3 + i)];
    check_close(log_softmax(Var(x), 0).data(), expected);
}

TEST_CASE("log_softmax of large logits does not overflow") {
    // (1000, 1000 + log 3): p = (1/4, 3/4), so log p = (-log 4, log 3 - log 4).
    const Var x(from_vector(std::vector<double>{1000.0, 1000.0 + std::log(3.0)}));
    check_close(log_softmax(x, 0).data(), {-std::log(4.0), std::log(3.0) - std::log(4.0)});
}

// ---- layer_norm ------------------------------------------------------------------------------

TEST_CASE("layer_norm on a hand-worked example: biased variance and eps inside the sqrt then the affine map") {
    // Row 0 = (1, 2, 3, 6): mean 3, deviations (-2, -1, 0, 3), biased variance 14 / 4 = 3.5;
    // with eps = 0.5, sqrt(3.5 + 0.5) = 2, so xhat = (-1, -0.5, 0, 1.5).
    // Row 1 = (2, 2, 2, 2): variance 0, xhat = 0, so y = bias.
    const Var x(from_vector(std::vector<double>{1, 2, 3, 6, 2, 2, 2, 2}, {2, 4}));
    const Var w(from_vector(std::vector<double>{1, 2, 3, 4}));
    const Var b(from_vector(std::vector<double>{0.5, 0, -1, 1}));

    check_close(layer_norm(x, Var(), Var(), 1, 0.5).data(), {-1, -0.5, 0, 1.5, 0, 0, 0, 0});
    // y = xhat * w + b = (-1 + 0.5, -1 + 0, 0 - 1, 6 + 1)
    check_close(layer_norm(x, w, b, 1, 0.5).data(), {-0.5, -1, -1, 7, 0.5, 0, -1, 1});
    // Over both dims: mean 2.5, deviations (-1.5, -0.5, 0.5, 3.5, -0.5 x 4), sum of squares
    // 2.25 + 0.25 + 0.25 + 12.25 + 4 * 0.25 = 16, variance 2, sqrt(2 + 2) = 2 with eps = 2.
    check_close(layer_norm(x, Var(), Var(), 2, 2.0).data(), {-0.75, -0.25, 0.25, 1.75, -0.25, -0.25, -0.25, -0.25});
}

TEST_CASE("layer_norm of a constant row is exactly zero, and rows near the float limit do not overflow") {
    // 768 copies of 12.34 (not a power of two, so a float sum / n rounds away from it) with
    // BERT's eps = 1e-12: the deviations must be exactly 0, not an ulp magnified by 1e6.
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const std::string name = dtype_name(dtype);
                CAPTURE(name);
        const Var x(full({2, 768}, 12.34, dtype));
        const auto y = layer_norm(x, Var(), Var(), 1, 1e-12).data().to_vector<double>();
        for (double v : y) REQUIRE(v == 0.0);
    }
    // A float32 row of 3.3e38 (its float sum overflows to inf), and one alternating
    // 3.3e38 +- 1e37: mean 3.3e38, xhat = +-1.
    const Var big(full({1, 768}, 3.3e38, DType::Float32));
    for (double v : layer_norm(big, Var(), Var(), 1, 1e-5).data().to_vector<double>()) REQUIRE(v == 0.0);
    std::vector<float> alternating(768);
    for (std::size_t i = 0; i < alternating.size(); ++i) alternating[i] = i % 2 ? 3.3e38f + 1e37f : 3.3e38f - 1e37f;
    const auto y = layer_norm(Var(from_vector(alternating)), Var(), Var(), 1, 1e-5).data().to_vector<double>();
    for (std::size_t i = 0; i < y.size(); ++i) REQUIRE(std::abs(y[i] - (i % 2 ? 1.0 : -1.0)) < 1e-5);
}

TEST_CASE("layer_norm matches a naive loop on random input over the last 1 and 2 dims") {
    Generator gen(12);
    const Tensor x = randn({3, 4, 5}, 1.0, 3.0, f64, gen);
    const std::vector<double> xv = x.to_vector<double>();

    const Tensor w5 = randn({5}, 0.0, 1.0, f64, gen), b5 = randn({5}, 0.0, 1.0, f64, gen);
    check_close(layer_norm(Var(x), Var(w5), Var(b5), 1).data(),
                naive_layer_norm(xv, 5, w5.to_vector<double>(), b5.to_vector<double>(), 1e-5), 1e-10);
    check_close(layer_norm(Var(x), Var(), Var(), 1).data(), naive_layer_norm(xv, 5, {}, {}, 1e-5), 1e-10);

    const Tensor w20 = randn({4, 5}, 0.0, 1.0, f64, gen), b20 = randn({4, 5}, 0.0, 1.0, f64, gen);
    check_close(layer_norm(Var(x), Var(w20), Var(b20), 2).data(),
                naive_layer_norm(xv, 20, w20.to_vector<double>(), b20.to_vector<double>(), 1e-5), 1e-10);

    // A strided input gives the same values.
    const Tensor xt = x.transpose(0, 1).contiguous().transpose(0, 1);
    REQUIRE_FALSE(xt.is_contiguous());
    check_close(layer_norm(Var(xt), Var(w5), Var(b5), 1).data(),
                naive_layer_norm(xv, 5, w5.to_vector<double>(), b5.to_vector<double>(), 1e-5), 1e-10);
}

TEST_CASE("layer_norm rejects weights of the wrong shape and too many normalised dims") {
    const Var x(zeros({3, 5}, f64));
    CHECK_THROWS_WITH_AS(layer_norm(x, Var(zeros({4}, f64)), Var()),
                         doctest::Contains("layer_norm: weight and bias must have the normalised shape (5), got (4)"), Error);
    CHECK_THROWS_WITH_AS(layer_norm(x, Var(), Var(), 3), doctest::Contains("last 3 dims of shape (3, 5)"), Error);
}

// ---- cross_entropy ---------------------------------------------------------------------------

TEST_CASE("cross_entropy on hand-worked examples") {
    // Row 0: equal logits, p = 1/3 each: loss log 3, with or without smoothing.
    // Row 1: logits (0, log 2, 0), p = (1/4, 1/2, 1/4), target 1: loss log 2. With eps = 0.1:
    //   0.9 * log 2 + 0.1 / 3 * (log 4 + log 2 + log 4) = (0.9 + 5 * 0.1 / 3) log 2.
    const Var logits(from_vector(std::vector<double>{0, 0, 0, 0, std::log(2.0), 0}, {2, 3}));
    const Tensor t = targets({2, 1});
    const double l0 = std::log(3.0), l1 = std::log(2.0), l1_smooth = (0.9 + 0.5 / 3) * std::log(2.0);

    check_close(cross_entropy(logits, t, {.reduction = Reduction::None}).data(), {l0, l1});
    check_close(cross_entropy(logits, t, {.reduction = Reduction::Sum}).data(), {l0 + l1});
    check_close(cross_entropy(logits, t).data(), {(l0 + l1) / 2});
    check_close(cross_entropy(logits, t, {.label_smoothing = 0.1, .reduction = Reduction::None}).data(), {l0, l1_smooth});
    // Ignoring row 0: the mean divides by the one counted row, not by 2.
    check_close(cross_entropy(logits, targets({-100, 1})).data(), {l1});
    check_close(cross_entropy(logits, targets({-100, 1}), {.reduction = Reduction::None}).data(), {0.0, l1});
}

TEST_CASE("cross_entropy with label smoothing and ignore_index matches a naive loop for every reduction") {
    Generator gen(13);
    const std::int64_t C = 5;
    const Tensor logits = randn({6, C}, 0.0, 2.0, f64, gen);
    const std::vector<std::int64_t> t = {3, -100, 0, 4, -100, 1};
    const NaiveLosses ref = naive_cross_entropy(logits.to_vector<double>(), C, t, 0.1, -100);
    REQUIRE(ref.counted == 4);
    const auto run = [&](Reduction r) {
        return cross_entropy(Var(logits), targets(t), {.label_smoothing = 0.1, .reduction = r}).data();
    };
    check_close(run(Reduction::None), ref.losses);
    check_close(run(Reduction::Sum), {total(ref.losses)});
    check_close(run(Reduction::Mean), {total(ref.losses) / 4});

    // A custom ignore_index: class 0 is ignored, -100 is then an ordinary (out of range) target.
    const std::vector<std::int64_t> t2 = {3, 0, 0, 4, 2, 1};
    const NaiveLosses ref2 = naive_cross_entropy(logits.to_vector<double>(), C, t2, 0.0, 0);
    REQUIRE(ref2.counted == 4);
    check_close(cross_entropy(Var(logits), targets(t2), {.ignore_index = 0}).data(), {total(ref2.losses) / 4});
}

TEST_CASE("cross_entropy of 3-d logits treats every leading position as a sample") {
    Generator gen(14);
    const Tensor logits = randn({2, 3, 4}, 0.0, 1.0, f64, gen);
    const std::vector<std::int64_t> t = {1, 3, -100, 0, 2, 2};
    const NaiveLosses ref = naive_cross_entropy(logits.to_vector<double>(), 4, t, 0.1, -100);
    const Var none = cross_entropy(Var(logits), targets(t, {2, 3}), {.label_smoothing = 0.1, .reduction = Reduction::None});
    CHECK(shape_str(none.shape()) == "(2, 3)");
    check_close(none.data(), ref.losses);
    check_close(cross_entropy(Var(logits), targets(t, {2, 3}), {.label_smoothing = 0.1}).data(),
                {total(ref.losses) / ref.counted});
}

TEST_CASE("cross_entropy mean over only ignored targets is NaN as in PyTorch") {
    const Var logits(zeros({2, 3}, f64));
    CHECK(std::isnan(cross_entropy(logits, targets({-100, -100})).item()));
    CHECK(cross_entropy(logits, targets({-100, -100}), {.reduction = Reduction::Sum}).item() == 0.0);
    // PyTorch's gradient there is zero, not NaN: no position is counted, so a step on such a
    // batch changes nothing (issue 20).
    const Var x(from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}), true);
    Var loss = cross_entropy(x, targets({-100, -100}), {.label_smoothing = 0.1});
    CHECK(std::isnan(loss.item()));
    loss.backward();
    for (double g : x.grad().to_vector<double>()) CHECK(g == 0.0);
}

TEST_CASE("cross_entropy rejects bad targets with messages naming them") {
    const Var logits(zeros({2, 5}, f64));
    CHECK_THROWS_WITH_AS(cross_entropy(logits, targets({0, 5})),
                         doctest::Contains("cross_entropy: target 5 at position 1 is out of range for 5 classes"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(logits, targets({-3, 0})), doctest::Contains("target -3 at position 0"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(logits, targets({0, 1, 2})),
                         doctest::Contains("logits (2, 5) need targets of shape (2), got (3)"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(logits, zeros({2}, f64)), doctest::Contains("int64"), Error);
    CHECK_THROWS_WITH_AS(cross_entropy(logits, targets({0, 1}), {.label_smoothing = 1.5}),
                         doctest::Contains("label_smoothing must be in [0, 1], got 1.5"), Error);
}

// ---- dropout ---------------------------------------------------------------------------------

TEST_CASE("dropout in training zeroes about p of the elements and scales the rest by 1 / (1 - p)") {
    Generator gen(15);
    const Var y = dropout(Var(ones({1000}, f64)), 0.25, true, gen);
    int dropped = 0, wrongly_scaled = 0;
    for (double v : y.data().to_vector<double>()) {
        if (v == 0.0) ++dropped;
        else if (std::abs(v - 1.0 / 0.75) > 1e-15) ++wrongly_scaled;
    }
    CHECK(wrongly_scaled == 0);
    // Binomial(1000, 0.25): mean 250, standard deviation about 13.7.
    CHECK(dropped > 180);
    CHECK(dropped < 320);
}

TEST_CASE("dropout with the same seed drops the same elements and eval mode returns its input") {
    Generator g1(16), g2(16);
    const Var x(randn({50}, 0.0, 1.0, f64, g1));
    g1.manual_seed(16);
    check_close(dropout(x, 0.5, true, g1).data(), dropout(x, 0.5, true, g2).data().to_vector<double>(), 0.0);

    const Var same = dropout(x, 0.5, false);
    CHECK(same.impl() == x.impl());
    check_close(dropout(x, 1.0, true).data(), std::vector<double>(50, 0.0));
    CHECK_THROWS_WITH_AS(dropout(x, 1.5, true), doctest::Contains("dropout: probability must be in [0, 1], got 1.5"),
                         Error);
}

namespace {

// How many elements of dropout's output `got` differ from x * scale, with scale 1 / (1 - p)
// where bernoulli's `keep` is true and +0 elsewhere, multiplied in the tensor's own precision as
// mul() does (so a dropped negative x gives -0: the sign is compared too).
std::int64_t dropout_mismatches(const Tensor& input, const std::vector<double>& keep, double p, const Tensor& got) {
    const std::vector<double> x = input.to_vector<double>(), y = got.to_vector<double>();
    std::int64_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double scale = keep[i] != 0.0 ? 1.0 / (1.0 - p) : 0.0;
        const double expected = input.dtype() == DType::Float32
                                    ? static_cast<double>(static_cast<float>(x[i]) * static_cast<float>(scale))
                                    : x[i] * scale;
        if (y[i] != expected || std::signbit(y[i]) != std::signbit(expected)) ++wrong;
    }
    return wrong;
}

}  // namespace

// dropout draws its mask as bernoulli(shape, 1 - p) would, and must keep doing so however the
// loop is written (it tests the draws as integers, and writes y in the same pass where x is
// contiguous): the same kept elements, y = x * (1 / (1 - p)) there and x * +0 elsewhere, bit
// for bit, and the generator left where bernoulli leaves it.
TEST_CASE("dropout keeps exactly what bernoulli(shape, 1 - p) keeps, for contiguous and transposed inputs") {
    for (const DType dtype : {DType::Float32, DType::Float64})
        for (const double p : {0.1, 0.3, 0.5})
            for (const bool transposed : {false, true}) {
                const std::string name = dtype_name(dtype);
                CAPTURE(name);
                CAPTURE(p);
                CAPTURE(transposed);
                Generator data_gen(17);
                const Tensor values = randn({7, 13}, 0.0, 1.0, dtype, data_gen);
                const Tensor input = transposed ? values.t() : values;  // (13, 7) not contiguous, or (7, 13)
                REQUIRE(input.is_contiguous() == !transposed);
                Generator for_mask(18), for_dropout(18);
                const std::vector<double> keep = bernoulli(input.shape(), 1.0 - p, for_mask).to_vector<double>();
                CHECK(dropout_mismatches(input, keep, p, dropout(Var(input), p, true, for_dropout).data()) == 0);
                const Generator::State a = for_mask.state(), b = for_dropout.state();
                CHECK(std::equal(std::begin(a.s), std::end(a.s), std::begin(b.s)));
            }
}

// A large dropout is drawn by several threads, each from its own stretch of the stream
// (Generator::discard): still bernoulli's mask, element for element, and the same y and the
// same generator state afterwards with 1, 2 and 3 threads. 301 x 997 elements divide evenly by
// none of the stretch lengths, so the last stretch is short; float64 and a transposed input
// (the pass without the fused product) too.
TEST_CASE("dropout of 300097 elements keeps bernoulli's mask with 1, 2 and 3 threads") {
    const double p = 0.1;
    for (const DType dtype : {DType::Float32, DType::Float64})
        for (const bool transposed : {false, true}) {
            const std::string name = dtype_name(dtype);
            CAPTURE(name);
            CAPTURE(transposed);
            Generator data_gen(5);
            const Tensor values = randn({301, 997}, 0.0, 1.0, dtype, data_gen);  // (301, 997)
            const Tensor input = transposed ? values.t() : values;                // (997, 301) or (301, 997)
            Generator for_mask(6);
            const std::vector<double> keep = bernoulli(input.shape(), 1.0 - p, for_mask).to_vector<double>();
            for (const int threads : {1, 2, 3}) {
                CAPTURE(threads);
                const ThreadCountGuard guard(threads);
                Generator for_dropout(6);
                CHECK(dropout_mismatches(input, keep, p, dropout(Var(input), p, true, for_dropout).data()) == 0);
                const Generator::State a = for_mask.state(), b = for_dropout.state();
                CHECK(std::equal(std::begin(a.s), std::end(a.s), std::begin(b.s)));
            }
        }
}

}  // TEST_SUITE
