// Multi-head attention (nn/attention/multi_head.hpp): the module against a reference written
// out in plain doubles (projections, h separate attentions on the projected slices, concat,
// output projection), the split/merge of heads, the masks (true = may not attend) and their
// checks, and gradients against finite differences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "autograd/helpers.hpp"
#include "nn/attention/multi_head.hpp"
#include "tests/testing_nn.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_close;
using qkv::test::check_gradients;
using qkv::test::f64;

namespace {

using Masked = std::function<bool(std::int64_t b, std::int64_t i, std::int64_t j)>;

// y = x W^T + b for one sequence x (T, in), W (out, in), b (out): (T, out) row-major.
std::vector<double> linear_ref(const Tensor& x, const Linear& lin) {
    const Tensor& w = lin.weight.data();
    const std::int64_t T = x.size(0), in = x.size(1), out = w.size(0);
    std::vector<double> y(static_cast<std::size_t>(T * out));
    for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t o = 0; o < out; ++o) {
            double s = lin.bias.defined() ? lin.bias.data().at({o}) : 0.0;
            for (std::int64_t c = 0; c < in; ++c) s += x.at({t, c}) * w.at({o, c});
            y[static_cast<std::size_t>(t * out + o)] = s;
        }
    return y;
}

struct Reference {
    std::vector<double> output;   // (B, Tq, D)
    std::vector<double> weights;  // (B, H, Tq, Tk)
};

// The definition, one sequence and one head at a time: head h uses features [h dh, (h+1) dh)
// of the projected q, k, v; s_ij = q_i . k_j / sqrt(dh) unless masked; softmax over the
// unmasked keys (all-zero weights when none is left); the h outputs side by side, then W_o.
Reference reference(const MultiHeadAttention& mha, const Tensor& query, const Tensor& key, const Tensor& value,
                    const Masked& masked) {
    const std::int64_t B = query.size(0), Tq = query.size(1), Tk = key.size(1), D = mha.d_model(),
                       H = mha.num_heads(), dh = mha.d_head();
    Reference r;
    r.output.assign(static_cast<std::size_t>(B * Tq * D), 0.0);
    r.weights.assign(static_cast<std::size_t>(B * H * Tq * Tk), 0.0);
    for (std::int64_t b = 0; b < B; ++b) {
        const std::vector<double> q = linear_ref(query.select(0, b), mha.q_proj);
        const std::vector<double> k = linear_ref(key.select(0, b), mha.k_proj);
        const std::vector<double> v = linear_ref(value.select(0, b), mha.v_proj);
        std::vector<double> merged(static_cast<std::size_t>(Tq * D), 0.0);  // (Tq, D)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t i = 0; i < Tq; ++i) {
                std::vector<double> s(static_cast<std::size_t>(Tk), -INFINITY);
                double top = -INFINITY;
                for (std::int64_t j = 0; j < Tk; ++j) {
                    if (masked(b, i, j)) continue;
                    double dot = 0;
                    for (std::int64_t c = h * dh; c < (h + 1) * dh; ++c) dot += q[i * D + c] * k[j * D + c];
                    s[j] = dot / std::sqrt(static_cast<double>(dh));
                    top = std::max(top, s[j]);
                }
                double z = 0;
                for (std::int64_t j = 0; j < Tk; ++j) z += std::isinf(s[j]) ? 0.0 : std::exp(s[j] - top);
                for (std::int64_t j = 0; j < Tk; ++j) {
                    const double w = (z == 0 || std::isinf(s[j])) ? 0.0 : std::exp(s[j] - top) / z;
                    r.weights[static_cast<std::size_t>(((b * H + h) * Tq + i) * Tk + j)] = w;
                    for (std::int64_t c = h * dh; c < (h + 1) * dh; ++c) merged[i * D + c] += w * v[j * D + c];
                }
            }
        const Tensor merged_t = from_vector(merged, {Tq, D});
        const std::vector<double> out = linear_ref(merged_t, mha.out_proj);
        std::copy(out.begin(), out.end(), r.output.begin() + b * Tq * D);
    }
    return r;
}

bool all_finite(const Tensor& t) {
    for (double x : t.to_vector<double>())
        if (!std::isfinite(x)) return false;
    return true;
}

Tensor lengths_mask(const std::vector<std::int64_t>& lengths, std::int64_t Tk) {
    // (B, Tk) bool, true at j >= length: written out here rather than taken from padding_mask.
    std::vector<std::uint8_t> m;
    for (std::int64_t len : lengths)
        for (std::int64_t j = 0; j < Tk; ++j) m.push_back(j >= len);
    return from_vector(m, {static_cast<std::int64_t>(lengths.size()), Tk});
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("multi-head self-attention equals h separate attentions on the projected slices") {
    Generator gen(31);
    MultiHeadAttention mha(12, 3, gen);
    mha.to(f64);
    const Tensor x = randn({2, 5, 12}, 0, 1, f64, gen);
    const MultiHeadOutput out = mha.forward(Var(x));
    REQUIRE(shape_str(out.output.shape()) == "(2, 5, 12)");
    REQUIRE(shape_str(out.weights.shape()) == "(2, 3, 5, 5)");
    const Reference ref = reference(mha, x, x, x, [](std::int64_t, std::int64_t, std::int64_t) { return false; });
    check_close(out.output.data(), ref.output, 1e-12);
    check_close(out.weights.data(), ref.weights, 1e-12);
}

TEST_CASE("joint heads equal separate scaled_dot_product_attention calls on the projected slices, in float32") {
    Generator gen(32);
    const std::int64_t D = 8, H = 4, dh = 2;
    MultiHeadAttention mha(D, H, gen);
    const Var x(randn({3, 6, D}, 0, 1, DType::Float32, gen));
    const MultiHeadOutput joint = mha.forward(x);
    std::vector<Var> heads;
    for (std::int64_t h = 0; h < H; ++h) {
        const auto slice = [&](const Linear& lin) {
            return matmul(x, lin.weight.narrow(0, h * dh, dh).t()) + lin.bias.narrow(0, h * dh, dh);  // (3, 6, dh)
        };
        const AttentionOutput one = scaled_dot_product_attention(slice(mha.q_proj), slice(mha.k_proj), slice(mha.v_proj));
        heads.push_back(one.output);
        const Tensor joint_w = joint.weights.data().select(1, h);  // (3, 6, 6)
        CHECK(max(abs(joint_w - one.weights.data())).item() <= 1e-6);
    }
    const Var separate = mha.out_proj(concat(heads, -1));
    CHECK(max(abs(joint.output.data() - separate.data())).item() <= 1e-6);
}

TEST_CASE("split_heads gives head h the features h dh to h dh + dh - 1, and merge_heads undoes it") {
    Generator gen(33);
    const Tensor x = randn({2, 3, 6}, 0, 1, f64, gen);
    const Var s = split_heads(Var(x), 3);  // (2, 3 heads, 3 positions, 2)
    REQUIRE(shape_str(s.shape()) == "(2, 3, 3, 2)");
    std::vector<double> expected;  // (2, 3, 3, 2): s[b, h, t, j] = x[b, t, h dh + j]
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t h = 0; h < 3; ++h)
            for (std::int64_t t = 0; t < 3; ++t)
                for (std::int64_t j = 0; j < 2; ++j) expected.push_back(x.at({b, t, h * 2 + j}));
    qkv::test::check_close("split_heads", expected, s.data(), 0, 0);
    CHECK(equal(merge_heads(s).data(), x));
    // And the other way round: merge then split is the identity on (B, H, T, dh).
    const Tensor y = randn({2, 4, 5, 3}, 0, 1, f64, gen);
    const Var m = merge_heads(Var(y));
    REQUIRE(shape_str(m.shape()) == "(2, 5, 12)");
    CHECK(equal(split_heads(m, 4).data(), y));
    CHECK_THROWS_WITH_AS(split_heads(Var(x), 4), doctest::Contains("not divisible by num_heads = 4"), Error);
}

TEST_CASE("cross-attention with Tq different from Tk and a key-padding mask matches the reference") {
    Generator gen(34);
    MultiHeadAttention mha(8, 2, gen);
    mha.to(f64);
    const Tensor dec = randn({2, 3, 8}, 0, 1, f64, gen);  // queries (B, Tq, D)
    const Tensor enc = randn({2, 5, 8}, 0, 1, f64, gen);  // keys = values (B, Tk, D)
    const std::vector<std::int64_t> lengths = {5, 2};
    const MultiHeadOutput out = mha.forward(Var(dec), Var(enc), Var(enc), {lengths_mask(lengths, 5), Tensor()});
    REQUIRE(shape_str(out.output.shape()) == "(2, 3, 8)");
    REQUIRE(shape_str(out.weights.shape()) == "(2, 2, 3, 5)");
    const Reference ref = reference(mha, dec, enc, enc, [&](std::int64_t b, std::int64_t, std::int64_t j) {
        return j >= lengths[static_cast<std::size_t>(b)];
    });
    check_close(out.output.data(), ref.output, 1e-12);
    check_close(out.weights.data(), ref.weights, 1e-12);
}

TEST_CASE("padding keys get exactly zero weight in every head and their contents cannot change the output") {
    Generator gen(35);
    MultiHeadAttention mha(8, 4, gen);
    const std::int64_t B = 2, T = 6;
    const std::vector<std::int64_t> lengths = {6, 3};
    const Tensor kp = lengths_mask(lengths, T);
    const Tensor x = randn({B, T, 8}, 0, 1, DType::Float32, gen);
    const MultiHeadOutput a = mha.forward(Var(x), {kp, Tensor()});
    for (std::int64_t h = 0; h < 4; ++h)
        for (std::int64_t i = 0; i < T; ++i)
            for (std::int64_t j = lengths[1]; j < T; ++j) CHECK(a.weights.data().at({1, h, i, j}) == 0.0);
    // Overwrite sequence 1's padding tokens (as keys and values) with something large.
    Tensor mem = x.clone();
    copy_(mem.narrow(0, 1, 1).narrow(1, 3, 3), full({1, 3, 8}, 50.0));
    const MultiHeadOutput b = mha.forward(Var(x), Var(mem), Var(mem), {kp, Tensor()});
    CHECK(equal(a.output.data(), b.output.data()));
}

TEST_CASE("under the causal mask, tokens after t leave the outputs up to t bit-identical") {
    Generator gen(36);
    MultiHeadAttention mha(8, 2, gen);
    const std::int64_t T = 7;
    const Tensor x = randn({2, T, 8}, 0, 1, DType::Float32, gen);
    const AttentionMasks causal{Tensor(), causal_mask(T)};
    const MultiHeadOutput a = mha.forward(Var(x), causal);
    for (std::int64_t t = 0; t < T - 1; ++t) {
        INFO("t = ", t);
        Tensor changed = x.clone();
        copy_(changed.narrow(1, t + 1, T - t - 1), randn({2, T - t - 1, 8}, 0, 10, DType::Float32, gen));
        const MultiHeadOutput b = mha.forward(Var(changed), causal);
        CHECK(equal(a.output.data().narrow(1, 0, t + 1), b.output.data().narrow(1, 0, t + 1)));
        CHECK_FALSE(equal(a.output.data().narrow(1, t + 1, 1), b.output.data().narrow(1, t + 1, 1)));
    }
    // Every head's weights above the diagonal are exactly 0.
    for (std::int64_t h = 0; h < 2; ++h)
        for (std::int64_t i = 0; i < T; ++i)
            for (std::int64_t j = i + 1; j < T; ++j) CHECK(a.weights.data().at({0, h, i, j}) == 0.0);
}

TEST_CASE("both masks together mask a key if either says so, and match the reference") {
    Generator gen(37);
    MultiHeadAttention mha(6, 3, gen);
    mha.to(f64);
    const std::int64_t T = 5;
    const std::vector<std::int64_t> lengths = {5, 3};
    const Tensor x = randn({2, T, 6}, 0, 1, f64, gen);
    const MultiHeadOutput out = mha.forward(Var(x), {lengths_mask(lengths, T), causal_mask(T)});
    const Reference ref = reference(mha, x, x, x, [&](std::int64_t b, std::int64_t i, std::int64_t j) {
        return j > i || j >= lengths[static_cast<std::size_t>(b)];
    });
    check_close(out.output.data(), ref.output, 1e-12);
    check_close(out.weights.data(), ref.weights, 1e-12);

    const Tensor m = combine_masks({lengths_mask(lengths, T), causal_mask(T)}, 2, T, T);
    REQUIRE(m.dtype() == DType::Bool);
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t i = 0; i < T; ++i)
            for (std::int64_t j = 0; j < T; ++j) {
                const bool want = j > i || j >= lengths[static_cast<std::size_t>(b)];
                CHECK((m.expand({2, 3, T, T}).at({b, 1, i, j}) != 0) == want);
            }
    CHECK_FALSE(combine_masks({}, 2, T, T).defined());
}

TEST_CASE("a fully masked query row gives zero weights and a zero head output, not NaN") {
    Generator gen(38);
    MultiHeadAttention mha(8, 2, gen);
    const Tensor x = randn({2, 4, 8}, 0, 1, DType::Float32, gen);
    // Sequence 1 has no valid key at all.
    const MultiHeadOutput out = mha.forward(Var(x), {lengths_mask({4, 0}, 4), Tensor()});
    CHECK(all_finite(out.output.data()));
    CHECK(max(abs(out.weights.data().select(0, 1))).item() == 0.0);
    // With the heads all zero, the module's output is W_o 0 + b_o: the output bias at every position.
    const Tensor bias = mha.out_proj.bias.data();
    for (std::int64_t t = 0; t < 4; ++t) CHECK(equal(out.output.data().select(0, 1).select(0, t), bias));
    // The functional form (before W_o) returns exact zeros there.
    const Var p(x);
    const MultiHeadOutput heads = multi_head_attention(p, p, p, 2, {lengths_mask({4, 0}, 4), causal_mask(4)});
    CHECK(max(abs(heads.output.data().select(0, 1))).item() == 0.0);
    CHECK(all_finite(heads.output.data()));
    // Causal plus padding can empty a row too: query 0 sees only key 0, and key 0 is padding here.
    const Tensor first_padded = from_vector(std::vector<std::uint8_t>{1, 0, 0, 0, 0, 0, 0, 0}, {2, 4});
    const MultiHeadOutput c = multi_head_attention(p, p, p, 2, {first_padded, causal_mask(4)});
    CHECK(max(abs(c.output.data().select(0, 0).select(0, 0))).item() == 0.0);
    CHECK(max(abs(c.weights.data().select(0, 0).select(1, 0))).item() == 0.0);
    CHECK(all_finite(c.output.data()));
}

TEST_CASE("bad masks and shapes are refused with messages that name what was expected") {
    MultiHeadAttention mha(8, 2);
    const Var x(zeros({2, 3, 8}));
    // A float 0/1 mask: both "1 = keep" and "1 = drop" exist, so it is not guessed.
    CHECK_THROWS_WITH_AS(mha.forward(x, {ones({2, 3}), Tensor()}),
                         doctest::Contains("key_padding mask must be bool (true = may not attend)"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, {Tensor(), zeros({3, 3})}),
                         doctest::Contains("attn mask must be bool (true = may not attend)"), Error);
    // The key-padding mask is (B, Tk): a (B, 1, Tk) one is refused, not broadcast against the heads.
    CHECK_THROWS_WITH_AS(mha.forward(x, {zeros({2, 1, 3}, DType::Bool), Tensor()}),
                         doctest::Contains("key_padding mask (2, 1, 3) must be (B, Tk) = (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, {zeros({3, 3}, DType::Bool), Tensor()}),
                         doctest::Contains("key_padding mask (3, 3) must be (B, Tk) = (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, {Tensor(), causal_mask(4)}), doctest::Contains("attn mask (4, 4) must be"),
                         Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, {Tensor(), zeros({5, 3, 3}, DType::Bool)}),
                         doctest::Contains("attn mask (5, 3, 3) must be"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(Var(zeros({2, 3, 6}))), doctest::Contains("query (2, 3, 6) must be (B, T, d_model = 8)"),
                         Error);
    CHECK_THROWS_WITH_AS(MultiHeadAttention(10, 4), doctest::Contains("d_model = 10 must be a positive multiple of num_heads = 4"),
                         Error);
    CHECK_THROWS_WITH_AS(multi_head_attention(x, Var(zeros({2, 4, 8})), Var(zeros({2, 5, 8})), 2),
                         doctest::Contains("must be (B, Tq, D), (B, Tk, D) and (B, Tk, D)"), Error);
}

TEST_CASE("MultiHeadAttention passes gradcheck in float64 with a key-padding and a causal mask") {
    Generator gen(39);
    MultiHeadAttention mha(6, 2, gen);
    mha.to(f64);
    REQUIRE(qkv::test::parameter_slots(mha).size() == 8);  // q, k, v, out: weight and bias each
    const std::int64_t T = 4;
    const std::vector<Tensor> inputs = {randn({2, T, 6}, 0, 1, f64, gen)};
    const AttentionMasks masks{lengths_mask({4, 3}, T), causal_mask(T)};
    qkv::test::check_module_gradients(
        "self-attention, both masks", mha,
        [&](const std::vector<Var>& in) { return mha.forward(in[0], masks).output; }, inputs);
    // The weights are an output too (plotted, and some losses use them): softmax(q k^T / sqrt(dh))
    // reads neither the values nor the output projection.
    qkv::test::check_module_gradients(
        "weights", mha, [&](const std::vector<Var>& in) { return mha.forward(in[0], masks).weights; }, inputs,
        {"v_proj.weight", "v_proj.bias", "out_proj.weight", "out_proj.bias"});
    // Cross-attention: separate query and memory, padding on the memory.
    check_gradients(
        "cross-attention, key padding",
        [&](const std::vector<Var>& in) { return mha.forward(in[0], in[1], in[1], {lengths_mask({5, 2}, 5), Tensor()}).output; },
        {randn({2, 3, 6}, 0, 1, f64, gen), randn({2, 5, 6}, 0, 1, f64, gen)});
}

}  // TEST_SUITE
