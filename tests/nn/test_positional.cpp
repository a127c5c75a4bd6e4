// Positional encodings: the sinusoidal table of "Attention Is All You Need" and a learned table.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/helpers.hpp"
#include "nn/positional.hpp"
#include "nn/state_dict.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_gradients;
using qkv::test::f64;

namespace {

// w_i = 1 / 10000^(2i / d), written as exp(-(2i / d) ln 10000) so the test does not repeat the
// implementation's expression.
double frequency(std::int64_t i, std::int64_t d) {
    return std::exp(-static_cast<double>(2 * i) / static_cast<double>(d) * std::log(10000.0));
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("sinusoidal table follows sin and cos of pos times the pair frequency") {
    const std::int64_t L = 50, d = 16;
    const Tensor pe = sinusoidal_table(L, d, f64);
    REQUIRE(pe.shape() == Shape{L, d});
    for (std::int64_t pos = 0; pos < L; ++pos)
        for (std::int64_t i = 0; i < d / 2; ++i) {
            const double angle = static_cast<double>(pos) * frequency(i, d);
            CHECK(pe.at({pos, 2 * i}) == doctest::Approx(std::sin(angle)).epsilon(1e-12));
            CHECK(pe.at({pos, 2 * i + 1}) == doctest::Approx(std::cos(angle)).epsilon(1e-12));
        }
    // Position 0 is (0, 1, 0, 1, ...); the first pair turns one radian per position.
    CHECK(pe.at({0, 0}) == 0.0);
    CHECK(pe.at({0, 1}) == 1.0);
    CHECK(pe.at({1, 0}) == doctest::Approx(std::sin(1.0)));
}

TEST_CASE("sinusoidal PE at pos plus k is a fixed rotation of PE at pos in each pair") {
    // sin((p + k) w) =  cos(k w) sin(p w) + sin(k w) cos(p w)
    // cos((p + k) w) = -sin(k w) sin(p w) + cos(k w) cos(p w)
    // so (s, c) at p + k is [[cos kw, sin kw], [-sin kw, cos kw]] (s, c) at p, for every p.
    const std::int64_t L = 64, d = 12;
    SinusoidalPositionalEncoding enc(L, d);
    const Tensor& pe = enc.pe;  // float32, as the model uses it
    for (std::int64_t k : {1, 5, 17}) {
        for (std::int64_t i = 0; i < d / 2; ++i) {
            const double c = std::cos(static_cast<double>(k) * frequency(i, d));
            const double s = std::sin(static_cast<double>(k) * frequency(i, d));
            for (std::int64_t pos = 0; pos + k < L; ++pos) {
                const double sp = pe.at({pos, 2 * i}), cp = pe.at({pos, 2 * i + 1});
                INFO("k ", k, ", pair ", i, ", pos ", pos);
                CHECK(std::abs(pe.at({pos + k, 2 * i}) - (c * sp + s * cp)) < 1e-5);
                CHECK(std::abs(pe.at({pos + k, 2 * i + 1}) - (-s * sp + c * cp)) < 1e-5);
            }
        }
    }
}

TEST_CASE("sinusoidal table with odd d_model ends with an unpaired sin column") {
    const Tensor pe = sinusoidal_table(10, 5, f64);
    REQUIRE(pe.shape() == Shape{10, 5});
    // Column 4 is pair i = 2's sin: w_2 = 10000^(-4/5).
    CHECK(pe.at({7, 4}) == doctest::Approx(std::sin(7.0 * frequency(2, 5))).epsilon(1e-12));
    CHECK_THROWS_WITH_AS(sinusoidal_table(0, 4), doctest::Contains("max_len and d_model must be >= 1, got 0 and 4"),
                         Error);
}

TEST_CASE("sinusoidal encoding adds the first T rows to every batch row") {
    Generator gen(1);
    SinusoidalPositionalEncoding enc(20, 4);
    const Tensor x = randn({2, 3, 4}, 0, 1, DType::Float32, gen);
    const Var y = enc(Var(x));
    REQUIRE(y.shape() == Shape{2, 3, 4});
    std::vector<double> expected;  // (2, 3, 4)
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t t = 0; t < 3; ++t)
            for (std::int64_t c = 0; c < 4; ++c) expected.push_back(x.at({b, t, c}) + enc.pe.at({t, c}));
    qkv::test::check_close("x + pe", expected, y.data(), 1e-6, 1e-6);
    // pe is a buffer: saved, not trained.
    CHECK(enc.num_parameters() == 0);
    CHECK(state_dict(enc).contains("pe"));
}

TEST_CASE("positional encodings reject a sequence longer than max_len or a wrong width") {
    SinusoidalPositionalEncoding enc(8, 4);
    LearnedPositionalEmbedding learned(8, 4);
    CHECK_THROWS_WITH_AS(enc(Var(zeros({2, 9, 4}))),
                         "SinusoidalPositionalEncoding: sequence length 9 of input (2, 9, 4) exceeds max_len 8", Error);
    CHECK_THROWS_WITH_AS(learned(Var(zeros({9, 4}))), doctest::Contains("sequence length 9 of input (9, 4) exceeds max_len 8"),
                         Error);
    CHECK_THROWS_WITH_AS(enc(Var(zeros({2, 3, 5}))), doctest::Contains("input (2, 3, 5) must be (..., T, 4)"), Error);
    CHECK_THROWS_WITH_AS(learned(Var(zeros({4}))), doctest::Contains("input (4) must be (..., T, 4)"), Error);
}

TEST_CASE("learned positional embedding starts small and adds rows 0 to T-1") {
    Generator gen(3);
    LearnedPositionalEmbedding learned(128, 64, gen);
    CHECK(learned.weight.shape() == Shape{128, 64});
    const std::vector<double> w = learned.weight.data().to_vector<double>();
    double sq = 0;
    for (double v : w) sq += v * v;
    CHECK(std::sqrt(sq / static_cast<double>(w.size())) == doctest::Approx(0.02).epsilon(0.03));

    const Tensor x = randn({2, 5, 64}, 0, 1, DType::Float32, gen);
    const Var y = learned(Var(x));
    CHECK(y.data().at({1, 4, 7}) == doctest::Approx(x.at({1, 4, 7}) + learned.weight.data().at({4, 7})));
    y.backward(ones({2, 5, 64}));
    // Row t's gradient counts the batch rows that used it: 2 for t < 5, 0 beyond.
    CHECK(learned.weight.grad().at({4, 0}) == 2.0);
    CHECK(learned.weight.grad().at({5, 0}) == 0.0);
}

TEST_CASE("positional encoding gradients match finite differences") {
    Generator gen(4);
    SinusoidalPositionalEncoding enc(10, 6);
    enc.to(f64);
    check_gradients("sinusoidal", [&](const std::vector<Var>& x) { return enc(x[0]); },
                    {randn({2, 7, 6}, 0, 1, f64, gen)});
    LearnedPositionalEmbedding learned(10, 6, gen);
    learned.to(f64);
    check_gradients(
        "learned",
        [&](const std::vector<Var>& x) {
            learned.weight = x[1];
            return learned(x[0]);
        },
        {randn({2, 7, 6}, 0, 1, f64, gen), randn({10, 6}, 0, 1, f64, gen)});
}

}  // TEST_SUITE
