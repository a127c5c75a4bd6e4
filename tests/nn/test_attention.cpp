// Attention (nn/attention/): scaled dot-product and additive scoring, the masked softmax they
// share, padding and causal masks. Forward values are checked against arithmetic written out
// by hand and against a naive loop below; gradients against finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/helpers.hpp"
#include "nn/attention/additive.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "tests/testing_nn.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_close;
using qkv::test::check_gradients;
using qkv::test::draw_strided;
using qkv::test::Domain;
using qkv::test::f64;

namespace {

// Attention for one (Tq, d), (Tk, d), (Tk, dv) slice in plain doubles, straight from the
// definition: s_ij = q_i . k_j / sqrt(d) unless masked; w_ij = exp(s_ij) / sum_j' exp(s_ij')
// over the unmasked j'; out_i = sum_j w_ij v_j (all zero when every key is masked).
// `masked(i, j)` says whether query i must ignore key j. Returns out (Tq, dv), row-major.
template <class Masked>
std::vector<double> naive_attention(const Tensor& q, const Tensor& k, const Tensor& v, Masked masked) {
    const std::int64_t Tq = q.size(0), Tk = k.size(0), d = q.size(1), dv = v.size(1);
    std::vector<double> out(static_cast<std::size_t>(Tq * dv), 0.0);
    for (std::int64_t i = 0; i < Tq; ++i) {
        std::vector<double> e(static_cast<std::size_t>(Tk), 0.0);
        double max_score = -INFINITY, z = 0;
        std::vector<double> s(static_cast<std::size_t>(Tk), 0.0);
        for (std::int64_t j = 0; j < Tk; ++j) {
            for (std::int64_t c = 0; c < d; ++c) s[j] += q.at({i, c}) * k.at({j, c});
            s[j] /= std::sqrt(static_cast<double>(d));
            if (!masked(i, j)) max_score = std::max(max_score, s[j]);
        }
        for (std::int64_t j = 0; j < Tk; ++j) {
            e[j] = masked(i, j) ? 0.0 : std::exp(s[j] - max_score);
            z += e[j];
        }
        if (z == 0) continue;  // every key masked: the output row stays 0
        for (std::int64_t j = 0; j < Tk; ++j)
            for (std::int64_t c = 0; c < dv; ++c) out[i * dv + c] += e[j] / z * v.at({j, c});
    }
    return out;
}

std::vector<double> naive_attention(const Tensor& q, const Tensor& k, const Tensor& v) {
    return naive_attention(q, k, v, [](std::int64_t, std::int64_t) { return false; });
}

bool all_finite(const Tensor& t) {
    for (double x : t.to_vector<double>())
        if (!std::isfinite(x)) return false;
    return true;
}

Tensor int64s(const std::vector<std::int64_t>& values) { return from_vector(values); }

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("scaled_dot_product_attention matches a 2-query 3-key example worked by hand") {
    // d = 2, so every dot product is divided by sqrt(2).
    const Tensor q = tensor({{1, 0}, {1, 2}}, f64);          // (Tq = 2, d = 2)
    const Tensor k = tensor({{1, 0}, {0, 1}, {2, 1}}, f64);  // (Tk = 3, d = 2)
    const Tensor v = tensor({{1, 2}, {3, 4}, {5, 6}}, f64);  // (Tk = 3, dv = 2)

    // Query 0 = (1, 0): raw dot products with the keys 1, 0, 2.
    // Query 1 = (1, 2): raw dot products 1, 2, 1*2 + 2*1 = 4.
    const double r = std::sqrt(2.0);
    const double s0[3] = {1 / r, 0 / r, 2 / r};
    const double s1[3] = {1 / r, 2 / r, 4 / r};
    // exp, then divide by the row's sum so the weights add up to 1.
    const double e0[3] = {std::exp(s0[0]), std::exp(s0[1]), std::exp(s0[2])};
    const double e1[3] = {std::exp(s1[0]), std::exp(s1[1]), std::exp(s1[2])};
    const double z0 = e0[0] + e0[1] + e0[2], z1 = e1[0] + e1[1] + e1[2];
    const double w0[3] = {e0[0] / z0, e0[1] / z0, e0[2] / z0};
    const double w1[3] = {e1[0] / z1, e1[1] / z1, e1[2] / z1};
    // The output is the weighted average of the value rows (1, 2), (3, 4), (5, 6).
    const std::vector<double> expected_out = {
        w0[0] * 1 + w0[1] * 3 + w0[2] * 5, w0[0] * 2 + w0[1] * 4 + w0[2] * 6,
        w1[0] * 1 + w1[1] * 3 + w1[2] * 5, w1[0] * 2 + w1[1] * 4 + w1[2] * 6,
    };

    const AttentionOutput a = scaled_dot_product_attention(Var(q.unsqueeze(0)), Var(k.unsqueeze(0)), Var(v.unsqueeze(0)));
    CHECK(shape_str(a.weights.shape()) == "(1, 2, 3)");
    CHECK(shape_str(a.output.shape()) == "(1, 2, 2)");
    check_close(a.weights.data(), {w0[0], w0[1], w0[2], w1[0], w1[1], w1[2]});
    check_close(a.output.data(), expected_out);
}

TEST_CASE("attention weights are non-negative and each row sums to 1") {
    Generator gen(11);
    const Var q(randn({2, 4, 8}, 0, 3, DType::Float32, gen));
    const Var k(randn({2, 6, 8}, 0, 3, DType::Float32, gen));
    const Var v(randn({2, 6, 5}, 0, 1, DType::Float32, gen));
    for (const Tensor& mask : {Tensor(), padding_mask(int64s({6, 3}), 6)}) {
        const AttentionOutput a = scaled_dot_product_attention(q, k, v, mask);
        for (double w : a.weights.data().to_vector<double>()) CHECK(w >= 0);
        for (double row : sum(a.weights.data(), {-1}).to_vector<double>()) CHECK(std::abs(row - 1) <= 1e-6);
    }
}

TEST_CASE("scaled_dot_product_attention agrees with a naive loop, batched and with strided inputs") {
    Generator gen(3);
    const Tensor q = draw_strided({2, 3, 4}, Domain::normal(), gen);  // transposed views
    const Tensor k = draw_strided({2, 5, 4}, Domain::normal(), gen);
    const Tensor v = draw_strided({2, 5, 3}, Domain::normal(), gen);
    const AttentionOutput a = scaled_dot_product_attention(Var(q), Var(k), Var(v));
    for (std::int64_t b = 0; b < 2; ++b)
        check_close(a.output.data().select(0, b), naive_attention(q.select(0, b), k.select(0, b), v.select(0, b)));
}

TEST_CASE("padding_mask is true exactly at key positions at or past each length") {
    const Tensor mask = padding_mask(int64s({3, 0, 5, 1}), 5);
    REQUIRE(mask.dtype() == DType::Bool);
    REQUIRE(shape_str(mask.shape()) == "(4, 1, 5)");
    const std::int64_t lengths[4] = {3, 0, 5, 1};
    for (std::int64_t b = 0; b < 4; ++b)
        for (std::int64_t j = 0; j < 5; ++j) {
            INFO("b = ", b, ", j = ", j);
            CHECK(mask.at({b, 0, j}) == (j >= lengths[b] ? 1.0 : 0.0));
        }
}

TEST_CASE("padded keys get weight exactly 0 and their contents cannot change the output") {
    Generator gen(5);
    const std::int64_t B = 2, Tq = 3, Tk = 4, d = 4, dv = 3;
    const Tensor lengths = int64s({4, 2});
    const Tensor mask = padding_mask(lengths, Tk);  // (B, 1, Tk)
    const Tensor q = randn({B, Tq, d}, 0, 1, f64, gen);
    const Tensor k = randn({B, Tk, d}, 0, 1, f64, gen);
    const Tensor v = randn({B, Tk, dv}, 0, 1, f64, gen);
    const AttentionOutput a = scaled_dot_product_attention(Var(q), Var(k), Var(v), mask);

    for (std::int64_t i = 0; i < Tq; ++i)
        for (std::int64_t j = 2; j < Tk; ++j) CHECK(a.weights.data().at({1, i, j}) == 0.0);
    for (std::int64_t b = 0; b < B; ++b)
        check_close(a.output.data().select(0, b),
                    naive_attention(q.select(0, b), k.select(0, b), v.select(0, b),
                                    [&](std::int64_t, std::int64_t j) { return j >= lengths.at({b}); }));

    // New random contents at sequence 1's padded positions 2 and 3, in both keys and values.
    const Tensor k2 = k.clone(), v2 = v.clone();
    copy_(k2.select(0, 1).narrow(0, 2, 2), randn({2, d}, 0, 5, f64, gen));
    copy_(v2.select(0, 1).narrow(0, 2, 2), randn({2, dv}, 0, 5, f64, gen));
    REQUIRE_FALSE(equal(k2, k));
    const AttentionOutput a2 = scaled_dot_product_attention(Var(q), Var(k2), Var(v2), mask);
    CHECK(equal(a2.output.data(), a.output.data()));
    CHECK(equal(a2.weights.data(), a.weights.data()));
}

TEST_CASE("a fully masked query gets a zero output row and zero, finite gradients") {
    Generator gen(7);
    const Var q(randn({1, 2, 3}, 0, 1, f64, gen), true);
    const Var k(randn({1, 4, 3}, 0, 1, f64, gen), true);
    const Var v(randn({1, 4, 2}, 0, 1, f64, gen), true);
    Tensor mask = zeros({2, 4}, DType::Bool);  // (Tq, Tk): query 1 may see no key at all
    fill_(mask.select(0, 1), 1);
    mask.set({0, 3}, 1);

    const AttentionOutput a = scaled_dot_product_attention(q, k, v, mask);
    check_close(a.weights.data().select(1, 1), {0, 0, 0, 0});
    check_close(a.output.data().select(1, 1), {0, 0});
    const Tensor weighting = randn({1, 2, 2}, 0, 1, f64, gen);
    a.output.backward(weighting);

    for (const Var* x : {&q, &k, &v}) CHECK(all_finite(x->grad()));
    check_close(q.grad().select(1, 1), {0, 0, 0});
    // k and v receive gradient only through query 0, as if query 1 were not there.
    const Var q0(q.data().narrow(1, 0, 1), true), k0(k.data(), true), v0(v.data(), true);
    scaled_dot_product_attention(q0, k0, v0, mask.narrow(0, 0, 1)).output.backward(weighting.narrow(1, 0, 1));
    check_close(k.grad(), k0.grad().to_vector<double>());
    check_close(v.grad(), v0.grad().to_vector<double>());
    check_close(q.grad().select(1, 0), q0.grad().to_vector<double>());
}

TEST_CASE("causal_mask is true strictly above the diagonal") {
    const Tensor mask = causal_mask(4);
    REQUIRE(mask.dtype() == DType::Bool);
    REQUIRE(shape_str(mask.shape()) == "(4, 4)");
    for (std::int64_t i = 0; i < 4; ++i)
        for (std::int64_t j = 0; j < 4; ++j) CHECK(mask.at({i, j}) == (j > i ? 1.0 : 0.0));
    CHECK(causal_mask(0).numel() == 0);
}

TEST_CASE("with a causal mask, later tokens cannot change earlier outputs") {
    Generator gen(9);
    const std::int64_t B = 2, T = 6, d = 4, t = 2;
    const Tensor x = randn({B, T, d}, 0, 1, f64, gen);  // self-attention: q = k = v = x
    const AttentionOutput a = scaled_dot_product_attention(Var(x), Var(x), Var(x), causal_mask(T));
    for (std::int64_t b = 0; b < B; ++b)
        check_close(a.output.data().select(0, b),
                    naive_attention(x.select(0, b), x.select(0, b), x.select(0, b),
                                    [](std::int64_t i, std::int64_t j) { return j > i; }));

    const Tensor x2 = x.clone();
    copy_(x2.narrow(1, t + 1, T - t - 1), randn({B, T - t - 1, d}, 0, 5, f64, gen));  // tokens after t
    const AttentionOutput a2 = scaled_dot_product_attention(Var(x2), Var(x2), Var(x2), causal_mask(T));
    CHECK(equal(a2.output.data().narrow(1, 0, t + 1), a.output.data().narrow(1, 0, t + 1)));
    CHECK_FALSE(equal(a2.output.data().narrow(1, t + 1, 1), a.output.data().narrow(1, t + 1, 1)));
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t j = i + 1; j < T; ++j) CHECK(a.weights.data().at({0, i, j}) == 0.0);
}

TEST_CASE("leading batch and head dims (B, H, T, d) work, with a padding mask shared by the heads") {
    Generator gen(13);
    const std::int64_t B = 2, H = 3, Tq = 4, Tk = 5, d = 6, dv = 2;
    const Tensor q = randn({B, H, Tq, d}, 0, 1, f64, gen);
    const Tensor k = randn({B, H, Tk, d}, 0, 1, f64, gen);
    const Tensor v = randn({B, H, Tk, dv}, 0, 1, f64, gen);
    const Tensor lengths = int64s({5, 3});
    // (B, 1, Tk) -> (B, 1, 1, Tk): one mask per sequence, broadcast over heads and queries.
    const Tensor mask = padding_mask(lengths, Tk).unsqueeze(1);
    const AttentionOutput a = scaled_dot_product_attention(Var(q), Var(k), Var(v), mask);
    REQUIRE(shape_str(a.output.shape()) == "(2, 3, 4, 2)");
    REQUIRE(shape_str(a.weights.shape()) == "(2, 3, 4, 5)");
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < H; ++h) {
            INFO("b = ", b, ", h = ", h);
            const auto slice = [&](const Tensor& t) { return t.select(0, b).select(0, h); };
            check_close(slice(a.output.data()),
                        naive_attention(slice(q), slice(k), slice(v),
                                        [&](std::int64_t, std::int64_t j) { return j >= lengths.at({b}); }));
        }
}

TEST_CASE("scaled_dot_product_attention passes gradcheck without a mask, with padding and causal masks") {
    Generator gen(17);
    const Tensor q = randn({2, 3, 4}, 0, 1, f64, gen);
    const Tensor k = draw_strided({2, 5, 4}, Domain::normal(), gen);
    const Tensor v = randn({2, 5, 3}, 0, 1, f64, gen);
    const auto with_mask = [](Tensor mask) {
        return [mask](const std::vector<Var>& x) { return scaled_dot_product_attention(x[0], x[1], x[2], mask).output; };
    };
    check_gradients("no mask", with_mask(Tensor()), {q, k, v});
    check_gradients("padding mask", with_mask(padding_mask(int64s({5, 2}), 5)), {q, k, v});
    // Sequence 1 has no valid key at all: its outputs are constant 0, and so are its gradients.
    check_gradients("padding mask with an empty sequence", with_mask(padding_mask(int64s({4, 0}), 5)), {q, k, v});
    const Tensor x = randn({2, 4, 3}, 0, 1, f64, gen);
    check_gradients("causal mask", with_mask(causal_mask(4)), {x, randn({2, 4, 3}, 0, 1, f64, gen), x.clone()});
    // The attention weights themselves, too.
    check_gradients("weights",
                    [](const std::vector<Var>& in) {
                        return scaled_dot_product_attention(in[0], in[1], in[2], causal_mask(4)).weights;
                    },
                    {x, x.clone(), x.clone()});
}

TEST_CASE("AdditiveAttention scores every pair by w_v . tanh(W_q q + W_k k)") {
    Generator gen(19);
    const std::int64_t B = 2, Tq = 2, Tk = 3, dq = 3, dk = 4, h = 5, dv = 2;
    AdditiveAttention attn(dq, dk, h, gen);
    attn.to(f64);
    const Tensor q = randn({B, Tq, dq}, 0, 1, f64, gen);
    const Tensor k = randn({B, Tk, dk}, 0, 1, f64, gen);
    const Tensor v = randn({B, Tk, dv}, 0, 1, f64, gen);
    const Tensor lengths = int64s({3, 2});
    const AttentionOutput a = attn.forward(Var(q), Var(k), Var(v), padding_mask(lengths, Tk));
    REQUIRE(shape_str(a.weights.shape()) == "(2, 2, 3)");
    REQUIRE(shape_str(a.output.shape()) == "(2, 2, 2)");

    const Tensor Wq = attn.W_q.weight.data(), Wk = attn.W_k.weight.data(), wv = attn.w_v.weight.data();
    std::vector<double> expected_weights, expected_out;
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t i = 0; i < Tq; ++i) {
            const std::int64_t valid = lengths.at({b});
            std::vector<double> e(static_cast<std::size_t>(Tk), 0.0);
            double z = 0;
            for (std::int64_t j = 0; j < valid; ++j) {
                double score = 0;  // sum_c wv[c] tanh((Wq q_i)[c] + (Wk k_j)[c])
                for (std::int64_t c = 0; c < h; ++c) {
                    double pre = 0;
                    for (std::int64_t m = 0; m < dq; ++m) pre += Wq.at({c, m}) * q.at({b, i, m});
                    for (std::int64_t m = 0; m < dk; ++m) pre += Wk.at({c, m}) * k.at({b, j, m});
                    score += wv.at({0, c}) * std::tanh(pre);
                }
                e[j] = std::exp(score);  // |score| <= sum |wv| < 3: no overflow, no shift needed
                z += e[j];
            }
            for (std::int64_t j = 0; j < Tk; ++j) expected_weights.push_back(e[j] / z);
            for (std::int64_t c = 0; c < dv; ++c) {
                double o = 0;
                for (std::int64_t j = 0; j < Tk; ++j) o += e[j] / z * v.at({b, j, c});
                expected_out.push_back(o);
            }
        }
    check_close(a.weights.data(), expected_weights);
    check_close(a.output.data(), expected_out);
}

TEST_CASE("AdditiveAttention lists W_q, W_k and w_v without biases") {
    AdditiveAttention attn(3, 4, 5);
    std::vector<std::string> names;
    std::vector<std::string> shapes;
    for (const auto& [name, p] : attn.named_parameters()) {
        names.push_back(name);
        shapes.push_back(shape_str(p.shape()));
    }
    CHECK(names == std::vector<std::string>{"W_q.weight", "W_k.weight", "w_v.weight"});
    CHECK(shapes == std::vector<std::string>{"(5, 3)", "(5, 4)", "(1, 5)"});
    CHECK(attn.num_parameters() == 5 * 3 + 5 * 4 + 5);
    CHECK(attn.describe() == "query_size=3, key_size=4, hidden=5");
}

TEST_CASE("AdditiveAttention passes gradcheck for its inputs and parameters") {
    Generator gen(23);
    AdditiveAttention attn(3, 4, 5, gen);
    attn.to(f64);
    REQUIRE(qkv::test::parameter_slots(attn).size() == 3);
    const std::vector<Tensor> inputs = {randn({2, 2, 3}, 0, 1, f64, gen), randn({2, 3, 4}, 0, 1, f64, gen),
                                        randn({2, 3, 2}, 0, 1, f64, gen)};
    const Tensor mask = padding_mask(int64s({3, 1}), 3);
    qkv::test::check_module_gradients(
        "AdditiveAttention", attn,
        [&](const std::vector<Var>& x) { return attn.forward(x[0], x[1], x[2], mask).output; }, inputs);
}

TEST_CASE("attention rejects mismatched shapes, bad masks and bad lengths with clear messages") {
    const auto zeros3 = [](std::int64_t a, std::int64_t b, std::int64_t c) { return Var(zeros({a, b, c})); };
    const Var q = zeros3(2, 3, 4), k = zeros3(2, 5, 4), v = zeros3(2, 5, 6);
    CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, zeros3(2, 5, 8), v),
                         "scaled_dot_product_attention: q (2, 3, 4) and k (2, 5, 8) differ in size d: 4 vs 8", Error);
    CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, k, zeros3(2, 6, 6)),
                         doctest::Contains("k (2, 5, 4) and v (2, 6, 6) differ in the number of keys Tk: 5 vs 6"), Error);
    CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, zeros3(3, 5, 4), zeros3(3, 5, 6)),
                         doctest::Contains("differ in leading dim 0"), Error);
    CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, Var(zeros({5, 4})), Var(zeros({5, 6}))),
                         doctest::Contains("different numbers of dims"), Error);
    CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, k, v, zeros({2, 1, 5})),
                         "scaled_dot_product_attention: mask must be bool (true = masked out), got float32 (2, 1, 5)",
                         Error);
    CHECK_THROWS_WITH_AS(
        scaled_dot_product_attention(q, k, v, zeros({2, 1, 4}, DType::Bool)),
        "scaled_dot_product_attention: mask (2, 1, 4) does not broadcast to the scores (..., Tq, Tk) (2, 3, 5)", Error);
    CHECK_THROWS_WITH_AS(scaled_dot_product_attention(q, k, v, zeros({1, 2, 3, 5}, DType::Bool)),
                         doctest::Contains("mask (1, 2, 3, 5) does not broadcast"), Error);
    CHECK_THROWS_WITH_AS(attend(Var(zeros({2, 3, 5})), zeros3(2, 4, 6), Tensor()),
                         "attend: scores (2, 3, 5) and v (2, 4, 6) differ in the number of keys Tk: 5 vs 4", Error);

    CHECK_THROWS_WITH_AS(padding_mask(int64s({2, 6}), 5),
                         "key_padding_mask: lengths[1] = 6 is outside [0, T = 5]", Error);
    CHECK_THROWS_WITH_AS(padding_mask(int64s({-1}), 5), doctest::Contains("lengths[0] = -1 is outside"), Error);
    CHECK_THROWS_WITH_AS(padding_mask(tensor({2, 3}), 5),
                         "key_padding_mask: lengths must be a 1-d int64 tensor, got float32 (2)", Error);
    CHECK_THROWS_WITH_AS(causal_mask(-1), "causal_mask: T must be >= 0, got -1", Error);

    CHECK_THROWS_WITH_AS(AdditiveAttention(3, 0, 5), "AdditiveAttention: key_size must be >= 1, got 0", Error);
    AdditiveAttention attn(3, 4, 5);
    CHECK_THROWS_WITH_AS(attn.forward(zeros3(2, 3, 4), zeros3(2, 5, 4), v),
                         "AdditiveAttention: q (2, 3, 4) has size 4, expected query_size 3", Error);
    CHECK_THROWS_WITH_AS(attn.forward(zeros3(2, 3, 3), zeros3(2, 5, 3), v),
                         "AdditiveAttention: k (2, 5, 3) has size 3, expected key_size 4", Error);
    CHECK_THROWS_WITH_AS(attn.forward(zeros3(1, 3, 3), k, v), doctest::Contains("differ in the batch size B"), Error);
    CHECK_THROWS_WITH_AS(attn.forward(zeros3(2, 3, 3), k, v, zeros({2, 3, 4}, DType::Bool)),
                         doctest::Contains("mask (2, 3, 4) does not broadcast to the scores"), Error);
}

}  // TEST_SUITE
