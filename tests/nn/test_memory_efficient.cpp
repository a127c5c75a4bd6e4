// The memory-efficient attention (nn/attention/memory_efficient.hpp) against the naive one
// (scaled_dot_product_attention, which stores the whole (Tq, Tk) matrix): the output and the
// gradients of q, k and v, for every mask kind, sizes that are not multiples of the tile,
// fully hidden rows, packed documents, dropout; bit-identical for 1, 2 and 3 threads; float64
// gradcheck; bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "autograd/helpers.hpp"
#include "nn/attention/memory_efficient.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "tensor/thread_pool.hpp"

using namespace qkv;
using namespace qkv::nn;

namespace {

// The dense (lead..., Tq, Tk) bool mask that says the same as `o`'s causal / window / documents /
// key padding, or'ed with `extra` (broadcast), written out score by score. Rows and keys of
// different documents are hidden from each other; causal and window count inside a document.
Tensor dense_mask(const Shape& lead, std::int64_t Tq, std::int64_t Tk, const MemoryEfficientOptions& o,
                  const Tensor& extra) {
    std::vector<std::int64_t> cq{0, Tq}, ck{0, Tk};
    if (o.cu_seqlens_q.defined()) cq = o.cu_seqlens_q.to_vector<std::int64_t>();
    if (o.cu_seqlens_k.defined()) ck = o.cu_seqlens_k.to_vector<std::int64_t>();
    else if (o.cu_seqlens_q.defined()) ck = cq;
    Shape shape = lead;
    shape.push_back(Tq);
    shape.push_back(Tk);
    Tensor m = zeros(shape, DType::Bool);
    if (extra.defined()) copy_(m, extra);  // broadcast copy
    std::uint8_t* p = m.data<std::uint8_t>();
    const std::int64_t L = shape_numel(lead), per_batch = lead.empty() ? 1 : L / lead[0];
    for (std::int64_t l = 0; l < L; ++l)
        for (std::int64_t gi = 0; gi < Tq; ++gi)
            for (std::int64_t gj = 0; gj < Tk; ++gj) {
                std::size_t sq = 0, sk = 0;
                while (cq[sq + 1] <= gi) ++sq;
                while (ck[sk + 1] <= gj) ++sk;
                const std::int64_t i = gi - cq[sq], j = gj - ck[sk];
                bool hide = sq != sk;
                if (o.causal && j > i) hide = true;
                if (o.window >= 0 && (i - j > o.window || (!o.causal && j - i > o.window))) hide = true;
                if (o.key_padding.defined() && o.key_padding.at({l / per_batch, gj}) != 0) hide = true;
                if (hide) p[(l * Tq + gi) * Tk + gj] = 1;
            }
    return m;
}

// max |a - b| / (1 + |b|) over all elements.
double max_error(const Tensor& a, const Tensor& b) {
    REQUIRE(a.shape() == b.shape());
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double e = 0;
    for (std::size_t i = 0; i < x.size(); ++i) e = std::max(e, std::abs(x[i] - y[i]) / (1 + std::abs(y[i])));
    return e;
}

struct Run {
    Tensor out, dq, dk, dv;
};

// Output and gradients of L = sum(w * attention(q, k, v)) for a fixed random weighting w.
template <class Attention> Run run(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& w, Attention f) {
    Var qv(q, true), kv(k, true), vv(v, true);
    Var out = f(qv, kv, vv);
    sum(out * Var(w)).backward();
    return {out.data(), qv.grad(), kv.grad(), vv.grad()};
}

struct Case {
    const char* name;
    Shape lead;
    std::int64_t Tq, Tk, d, dv;
    MemoryEfficientOptions options;
    Tensor mask;  // the elementwise mask, or undefined
};

// The naive attention with the dense mask (and the same dropout factors) vs the tiled op.
void check_against_naive(const Case& c, DType dtype, double tol) {
    Generator gen(7);
    Shape sq = c.lead, sk = c.lead, sv = c.lead, so = c.lead;
    sq.insert(sq.end(), {c.Tq, c.d}), sk.insert(sk.end(), {c.Tk, c.d}), sv.insert(sv.end(), {c.Tk, c.dv});
    so.insert(so.end(), {c.Tq, c.dv});
    const Tensor q = randn(sq, 0, 1.5, dtype, gen), k = randn(sk, 0, 1.5, dtype, gen), v = randn(sv, 0, 1, dtype, gen);
    const Tensor w = randn(so, 0, 1, dtype, gen);
    const Tensor mask = dense_mask(c.lead, c.Tq, c.Tk, c.options, c.mask);
    const MemoryEfficientOptions o = c.options;
    const Run naive = run(q, k, v, w, [&](const Var& a, const Var& b, const Var& e) {
        if (o.dropout_p == 0.0) return scaled_dot_product_attention(a, b, e, mask).output;
        const Tensor z = memory_efficient_dropout_scale(c.lead, c.Tq, c.Tk, o.dropout_p, o.dropout_seed, dtype);
        return matmul(scaled_dot_product_attention(a, b, e, mask).weights * Var(z), e);
    });
    const Run tiled = run(q, k, v, w, [&](const Var& a, const Var& b, const Var& e) {
        return memory_efficient_attention(a, b, e, c.mask, o);
    });
    INFO(c.name, " ", dtype_name(dtype));
    CHECK(max_error(tiled.out, naive.out) <= tol);
    CHECK(max_error(tiled.dq, naive.dq) <= tol);
    CHECK(max_error(tiled.dk, naive.dk) <= tol);
    CHECK(max_error(tiled.dv, naive.dv) <= tol);
}

Tensor int64s(const std::vector<std::int64_t>& v) {
    Tensor t({static_cast<std::int64_t>(v.size())}, DType::Int64);
    std::copy(v.begin(), v.end(), t.data<std::int64_t>());
    return t;
}

MemoryEfficientOptions blocks(std::int64_t bq, std::int64_t bk) {
    MemoryEfficientOptions o;
    o.block_q = bq, o.block_k = bk;
    return o;
}

// Every mask kind, on sizes that are not multiples of the tiles (37 = 4 * 8 + 5, 41 = 2 * 16 + 9),
// with B * H = 15 > 3 threads.
std::vector<Case> cases() {
    std::vector<Case> cs;
    cs.push_back({"no mask", {3, 5}, 37, 41, 8, 6, blocks(8, 16), Tensor()});
    Case causal{"causal", {3, 5}, 37, 37, 8, 6, blocks(8, 16), Tensor()};
    causal.options.causal = true;
    cs.push_back(causal);
    Case band{"window 5 (both sides)", {2, 3}, 37, 37, 8, 6, blocks(8, 8), Tensor()};
    band.options.window = 5;
    cs.push_back(band);
    Case sliding{"causal window 6", {2, 3}, 37, 37, 8, 6, blocks(8, 8), Tensor()};
    sliding.options.window = 6, sliding.options.causal = true;
    cs.push_back(sliding);
    Case pad{"key padding, a fully padded batch row", {3, 2}, 19, 23, 8, 6, blocks(4, 8), Tensor()};
    Tensor kp = zeros({3, 23}, DType::Bool);
    for (std::int64_t j = 17; j < 23; ++j) kp.set({0, j}, 1);
    for (std::int64_t j = 0; j < 23; ++j) kp.set({2, j}, 1);  // every key of batch 2: all rows hidden
    pad.options.key_padding = kp;
    cs.push_back(pad);
    // A (Tq, Tk) mask that hides all of rows 3 and 10, and a random sprinkling elsewhere.
    Generator gen(3);
    Tensor m = bernoulli({19, 23}, 0.3, gen);
    for (std::int64_t j = 0; j < 23; ++j) m.set({3, j}, 1), m.set({10, j}, 1);
    cs.push_back({"dense (Tq, Tk) mask with fully masked rows", {2, 3}, 19, 23, 8, 6, blocks(4, 8), m});
    cs.push_back({"(B, 1, Tq, Tk) mask", {2, 3}, 19, 23, 8, 6, blocks(4, 8), bernoulli({2, 1, 19, 23}, 0.3, gen)});
    Case docs{"packed documents (cu_seqlens), an empty one", {2, 2}, 40, 40, 8, 6, blocks(8, 8), Tensor()};
    docs.options.cu_seqlens_q = int64s({0, 11, 11, 30, 31, 40});
    cs.push_back(docs);
    Case docs_causal = docs;
    docs_causal.name = "packed documents, causal, window 4";
    docs_causal.options.causal = true, docs_causal.options.window = 4;
    cs.push_back(docs_causal);
    Case cross{"packed cross-attention (cu_seqlens_q != cu_seqlens_k)", {2}, 20, 30, 8, 6, blocks(4, 8), Tensor()};
    cross.options.cu_seqlens_q = int64s({0, 5, 20});
    cross.options.cu_seqlens_k = int64s({0, 17, 30});
    cs.push_back(cross);
    Case drop{"dropout 0.3, causal", {2, 3}, 21, 21, 8, 6, blocks(8, 8), Tensor()};
    drop.options.dropout_p = 0.3, drop.options.dropout_seed = 11, drop.options.causal = true;
    cs.push_back(drop);
    cs.push_back({"one block bigger than T", {2}, 5, 7, 3, 4, blocks(64, 64), Tensor()});
    cs.push_back({"3-d input, default blocks, T = 130", {3}, 130, 130, 16, 16, MemoryEfficientOptions{}, Tensor()});
    return cs;
}

}  // namespace

TEST_CASE("memory_efficient_attention equals the naive attention, float64 to 1e-12, every mask kind") {
    for (const Case& c : cases()) check_against_naive(c, DType::Float64, 1e-12);
}

TEST_CASE("memory_efficient_attention equals the naive attention, float32 to 1e-5, every mask kind") {
    for (const Case& c : cases()) check_against_naive(c, DType::Float32, 1e-5);
}

TEST_CASE("memory_efficient_attention: a fully hidden row gives exactly zero output and zero gradients") {
    Generator gen(1);
    const Tensor q = randn({1, 6, 4}, 0, 1, DType::Float64, gen), k = randn({1, 9, 4}, 0, 1, DType::Float64, gen);
    const Tensor v = randn({1, 9, 3}, 0, 1, DType::Float64, gen);
    Tensor mask = zeros({6, 9}, DType::Bool);
    for (std::int64_t j = 0; j < 9; ++j) mask.set({2, j}, 1);
    const Run r = run(q, k, v, ones({1, 6, 3}, DType::Float64), [&](const Var& a, const Var& b, const Var& e) {
        return memory_efficient_attention(a, b, e, mask, blocks(4, 4));
    });
    for (std::int64_t c = 0; c < 3; ++c) CHECK(r.out.at({0, 2, c}) == 0.0);
    for (std::int64_t c = 0; c < 4; ++c) CHECK(r.dq.at({0, 2, c}) == 0.0);
    const std::vector<double> all = r.out.to_vector<double>();
    CHECK(std::none_of(all.begin(), all.end(), [](double x) { return std::isnan(x); }));
    const AttentionForward f = memory_efficient_attention_forward(q, k, v, mask, blocks(4, 4));
    CHECK(f.lse.at({0, 2}) == -INFINITY);
}

TEST_CASE("memory_efficient_attention: packed documents equal each document run alone") {
    Generator gen(5);
    const std::vector<std::int64_t> lengths{7, 1, 12, 4};
    const std::vector<std::int64_t> cu{0, 7, 8, 20, 24};
    const Tensor q = randn({2, 24, 8}, 0, 1, DType::Float64, gen), k = randn({2, 24, 8}, 0, 1, DType::Float64, gen);
    const Tensor v = randn({2, 24, 5}, 0, 1, DType::Float64, gen);
    MemoryEfficientOptions o = blocks(4, 4);
    o.causal = true;
    o.cu_seqlens_q = int64s(cu);
    const Tensor packed = memory_efficient_attention_forward(q, k, v, Tensor(), o).output;
    for (std::size_t s = 0; s < lengths.size(); ++s) {
        const std::int64_t a = cu[s], n = lengths[s];
        MemoryEfficientOptions alone = blocks(4, 4);
        alone.causal = true;
        const Tensor one = memory_efficient_attention_forward(q.narrow(1, a, n), k.narrow(1, a, n), v.narrow(1, a, n),
                                                              Tensor(), alone).output;
        INFO("document ", s);
        CHECK(max_error(packed.narrow(1, a, n), one) == 0.0);  // the same tiles, the same sums: bit-equal
    }
}

TEST_CASE("memory_efficient_attention: bit-identical output and gradients for 1, 2 and 3 threads") {
    Generator gen(9);
    const Tensor q = randn({2, 3, 70, 16}, 0, 1, DType::Float32, gen), k = randn({2, 3, 70, 16}, 0, 1, DType::Float32, gen);
    const Tensor v = randn({2, 3, 70, 16}, 0, 1, DType::Float32, gen), w = randn({2, 3, 70, 16}, 0, 1, DType::Float32, gen);
    MemoryEfficientOptions o = blocks(16, 16);
    o.causal = true, o.dropout_p = 0.2, o.dropout_seed = 4;
    std::vector<Run> runs;
    for (int threads : {1, 2, 3}) {
        const ThreadCountGuard count(threads);
        runs.push_back(run(q, k, v, w, [&](const Var& a, const Var& b, const Var& e) {
            return memory_efficient_attention(a, b, e, Tensor(), o);
        }));
    }
    for (std::size_t r = 1; r < runs.size(); ++r) {
        INFO("threads ", r + 1, " vs 1");
        CHECK(max_error(runs[r].out, runs[0].out) == 0.0);
        CHECK(max_error(runs[r].dq, runs[0].dq) == 0.0);
        CHECK(max_error(runs[r].dk, runs[0].dk) == 0.0);
        CHECK(max_error(runs[r].dv, runs[0].dv) == 0.0);
    }
}

TEST_CASE("memory_efficient_attention: float64 gradcheck with masks, documents and dropout") {
    Generator gen(2);
    const Tensor q = qkv::test::draw_strided({2, 9, 3}, qkv::test::Domain{}, gen);
    const Tensor k = qkv::test::draw_strided({2, 9, 3}, qkv::test::Domain{}, gen);
    const Tensor v = randn({2, 9, 2}, 0, 1, DType::Float64, gen);
    Tensor mask = zeros({9, 9}, DType::Bool);
    for (std::int64_t j = 0; j < 9; ++j) mask.set({4, j}, 1);  // a fully hidden row
    MemoryEfficientOptions o = blocks(2, 4);
    o.causal = true, o.window = 3, o.cu_seqlens_q = int64s({0, 6, 9}), o.dropout_p = 0.25, o.dropout_seed = 3;
    qkv::test::check_gradients(
        "memory_efficient_attention",
        [&](const std::vector<Var>& x) { return memory_efficient_attention(x[0], x[1], x[2], mask, o); }, {q, k, v});
}

TEST_CASE("memory_efficient_attention: dropout drops a share p of the weights and keeps their mean") {
    // The hashed dropout as a sampler: over 2 x 3 x 200 x 300 = 360,000 draws, the share of
    // zeros is p within 5 standard deviations (sqrt(p (1 - p) / n) = 7e-4 at p = 0.3), every kept
    // factor is 1 / (1 - p), so the mean factor is 1 within the same margin, and another seed
    // gives a different mask that agrees with the first only as often as two independent ones.
    const double p = 0.3, n = 2.0 * 3 * 200 * 300, sd = std::sqrt(p * (1 - p) / n);
    const Tensor a = memory_efficient_dropout_scale({2, 3}, 200, 300, p, 7, DType::Float64);
    const Tensor b = memory_efficient_dropout_scale({2, 3}, 200, 300, p, 8, DType::Float64);
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double zeros = 0, both_zero = 0, sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] == 0.0) ++zeros;
        else REQUIRE(x[i] == doctest::Approx(1 / (1 - p)).epsilon(1e-12));
        if (x[i] == 0.0 && y[i] == 0.0) ++both_zero;
        sum += x[i];
    }
    CHECK(std::abs(zeros / n - p) < 5 * sd);
    CHECK(std::abs(sum / n - 1) < 5 * sd / (1 - p));
    CHECK(std::abs(both_zero / n - p * p) < 5 * std::sqrt(p * p * (1 - p * p) / n));
    // Neighbouring rows and columns are not copies of one another (a hash that ignored i or j).
    CHECK(a.narrow(2, 0, 1).to_vector<double>() != a.narrow(2, 1, 1).to_vector<double>());
    CHECK(a.narrow(3, 0, 1).to_vector<double>() != a.narrow(3, 1, 1).to_vector<double>());
    CHECK(a.select(1, 0).to_vector<double>() != a.select(1, 1).to_vector<double>());  // nor heads
}

TEST_CASE("memory_efficient_attention: the op itself never touches a skipped tile (NaN values there stay out)") {
    // Keys and values that only skipped tiles would read are NaN. A tile that was computed and
    // then masked score by score would still multiply its zero weights by NaN values (0 x NaN =
    // NaN) in the forward's P V and the backward's dO V^T; skipped, it leaves no trace. So
    // finite outputs and gradients in the rows below prove that the forward and both backward
    // passes skip, where attention_tiles_computed only says which tiles should be.
    const auto with_nan_rows = [](Tensor t, std::int64_t from, std::int64_t to) {
        for (std::int64_t j = from; j < to; ++j)
            for (std::int64_t c = 0; c < t.size(-1); ++c) t.set({0, j, c}, NAN);
        return t;
    };
    const auto finite_rows = [](const Tensor& t, std::int64_t from, std::int64_t to) {
        for (double x : t.narrow(1, from, to - from).contiguous().to_vector<double>())
            if (!std::isfinite(x)) return false;
        return true;
    };
    Generator gen(9);
    const Tensor q = randn({1, 12, 3}, 0, 1, DType::Float64, gen), g = randn({1, 12, 2}, 0, 1, DType::Float64, gen);
    // Causal, 4 x 4 tiles: query rows 0..3 skip key tiles 1 and 2, whose rows 4..11 are NaN.
    {
        const Tensor k = with_nan_rows(randn({1, 12, 3}, 0, 1, DType::Float64, gen), 4, 12);
        const Tensor v = with_nan_rows(randn({1, 12, 2}, 0, 1, DType::Float64, gen), 4, 12);
        MemoryEfficientOptions o = blocks(4, 4);
        o.causal = true;
        Var vq(q, true), vk(k, true), vv(v, true);
        const Var out = memory_efficient_attention(vq, vk, vv, Tensor(), o);
        out.backward(g);
        CHECK(finite_rows(out.data(), 0, 4));
        CHECK(finite_rows(vq.grad(), 0, 4));
        CHECK_FALSE(finite_rows(out.data(), 4, 8));  // rows that do see NaN keys are NaN, as in the naive op
    }
    // Causal window of 3: query rows 8..11 see keys 5..11 only, so key tile 0 (rows 0..3) is skipped.
    {
        const Tensor k = with_nan_rows(randn({1, 12, 3}, 0, 1, DType::Float64, gen), 0, 4);
        const Tensor v = with_nan_rows(randn({1, 12, 2}, 0, 1, DType::Float64, gen), 0, 4);
        MemoryEfficientOptions o = blocks(4, 4);
        o.causal = true, o.window = 3;
        Var vq(q, true), vk(k, true), vv(v, true);
        const Var out = memory_efficient_attention(vq, vk, vv, Tensor(), o);
        out.backward(g);
        CHECK(finite_rows(out.data(), 8, 12));
        CHECK(finite_rows(vq.grad(), 8, 12));
        CHECK(finite_rows(vk.grad(), 8, 12));  // key tile 2 gets gradients from query tile 2 only
    }
}

TEST_CASE("memory_efficient_attention: a NaN query row is NaN in both ops, a fully masked row zeros in both") {
    Generator gen(10);
    Tensor q = randn({1, 6, 4}, 0, 1, DType::Float64, gen);
    const Tensor k = randn({1, 6, 4}, 0, 1, DType::Float64, gen), v = randn({1, 6, 3}, 0, 1, DType::Float64, gen);
    for (std::int64_t c = 0; c < 4; ++c) q.set({0, 2, c}, NAN);  // every score of row 2 is NaN
    Tensor mask = zeros({6, 6}, DType::Bool);
    for (std::int64_t j = 0; j < 6; ++j) mask.set({4, j}, 1);  // row 4 sees no key
    const Tensor naive = scaled_dot_product_attention(Var(q), Var(k), Var(v), mask).output.data();
    const Tensor tiled = memory_efficient_attention(Var(q), Var(k), Var(v), mask, blocks(4, 4)).data();
    for (const Tensor& out : {naive, tiled}) {
        const std::vector<double> o = out.to_vector<double>();  // (1, 6, 3)
        for (int c = 0; c < 3; ++c) {
            CHECK(std::isnan(o[static_cast<std::size_t>(2 * 3 + c)]));
            CHECK(o[static_cast<std::size_t>(4 * 3 + c)] == 0.0);
            CHECK(std::isfinite(o[static_cast<std::size_t>(0 * 3 + c)]));
        }
    }
}

TEST_CASE("memory_efficient_attention: causal and window tiles are skipped") {
    MemoryEfficientOptions o = blocks(4, 4);
    o.causal = true;
    // 16 x 16 with 4 x 4 tiles: 10 of the 16 tiles are on or below the diagonal.
    const Tensor map = attention_tiles_computed(16, 16, o);
    CHECK(sum(map.to(DType::Float64)).item() == 10 * 16);
    CHECK(map.at({0, 4}) == 0.0);
    CHECK(map.at({3, 1}) == 1.0);  // (3, 1) is inside a computed diagonal tile, though visible
    CHECK(map.at({0, 3}) == 1.0);  // (0, 3) is hidden, but inside a computed diagonal tile
    o.window = 3;  // keys i - 3 .. i: the tiles two or more below the diagonal go too
    CHECK(sum(attention_tiles_computed(16, 16, o).to(DType::Float64)).item() == 7 * 16);
    MemoryEfficientOptions docs = blocks(4, 4);
    docs.cu_seqlens_q = int64s({0, 8, 16});  // two documents: the off-diagonal 8 x 8 quarters go
    CHECK(sum(attention_tiles_computed(16, 16, docs).to(DType::Float64)).item() == 2 * 64);
}

TEST_CASE("memory_efficient_attention: bad input names the op and the shapes") {
    const Tensor q = zeros({2, 5, 4}, DType::Float32), v = zeros({2, 6, 3}, DType::Float32);
    const auto fwd = [](const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& m,
                        const MemoryEfficientOptions& o) { memory_efficient_attention_forward(a, b, c, m, o); };
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 6, 5}, DType::Float32), v, Tensor(), {}),
                         doctest::Contains("memory_efficient_attention: q (2, 5, 4), k (2, 6, 5)"), Error);
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 6, 4}, DType::Float64), v, Tensor(), {}), doctest::Contains("dtype"), Error);
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 6, 4}, DType::Float32), v, zeros({5, 7}, DType::Bool), {}),
                         doctest::Contains("does not broadcast"), Error);
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 6, 4}, DType::Float32), v, zeros({5, 6}, DType::Float32), {}),
                         doctest::Contains("must be bool"), Error);
    MemoryEfficientOptions bad_cu;
    bad_cu.cu_seqlens_q = int64s({0, 3, 4});
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 5, 4}, DType::Float32), zeros({2, 5, 3}, DType::Float32), Tensor(), bad_cu),
                         doctest::Contains("must run from 0 to 5"), Error);
    MemoryEfficientOptions bad_p;
    bad_p.dropout_p = 1.0;
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 6, 4}, DType::Float32), v, Tensor(), bad_p), doctest::Contains("dropout_p"),
                         Error);
    MemoryEfficientOptions bad_pad;
    bad_pad.key_padding = zeros({3, 6}, DType::Bool);
    CHECK_THROWS_WITH_AS(fwd(q, zeros({2, 6, 4}, DType::Float32), v, Tensor(), bad_pad),
                         doctest::Contains("key_padding must be bool (B, Tk)"), Error);
}
