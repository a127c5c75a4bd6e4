// Lesson 09's invariants: padded and packed training give the same losses; the online softmax
// state after each block is the max and the sum so far; the tiled op's peak memory does not
// grow with T^2; the tiles skipped by each mask.
#include <doctest/doctest.h>

#include <cmath>
#include <utility>

#include "lessons/09_memory_efficient_attention/peak_memory.hpp"
#include "lessons/09_memory_efficient_attention/tiny_lm.hpp"
#include "nn/attention/attention_row.hpp"
#include "nn/attention/memory_efficient.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "tests/testing.hpp"

using namespace qkv;

TEST_CASE("lesson09: padded and packed batches train to the same losses, packed computes fewer positions") {
    Generator data(1);
    const auto sentences = lesson09::make_sentences(96, 16, 80, data);
    Generator a(2), b(2);
    lesson09::TinyLM padded_model(16, 16, 80, a), packed_model(16, 16, 80, b);
    const lesson09::EpochReport padded = lesson09::train_epoch(padded_model, sentences, 16, false, 3e-3);
    const lesson09::EpochReport packed = lesson09::train_epoch(packed_model, sentences, 16, true, 3e-3);
    REQUIRE(padded.losses.size() == 6);
    REQUIRE(packed.losses.size() == 6);
    for (std::size_t i = 0; i < padded.losses.size(); ++i) {
        INFO("step ", i + 1);
        CHECK(std::abs(padded.losses[i] - packed.losses[i]) <= 1e-5 * std::abs(padded.losses[i]));
    }
    CHECK(packed.tokens == padded.tokens);
    CHECK(packed.positions == packed.tokens);
    CHECK(padded.positions > packed.positions);
}

TEST_CASE("lesson09: after each block the online softmax holds the running max and sum") {
    Generator gen(3);
    const Tensor s = randn({11}, 0, 2, DType::Float64, gen), v = randn({11, 2}, 0, 1, DType::Float64, gen);
    nn::OnlineSoftmaxRow row = nn::online_softmax_start(2);
    for (std::int64_t j0 = 0; j0 < 11; j0 += 3) {
        const std::int64_t n = std::min<std::int64_t>(3, 11 - j0);
        nn::online_softmax_update(row, s.narrow(0, j0, n).contiguous(), v.narrow(0, j0, n).contiguous());
        const Tensor seen = s.narrow(0, 0, j0 + n);
        CHECK(row.m == max(seen).item());
        CHECK(row.l == doctest::Approx(sum(exp(seen - row.m)).item()).epsilon(1e-12));
    }
    const nn::RowOutput out = nn::online_softmax_finish(row);
    const Tensor direct = matmul(softmax(s, 0).unsqueeze(0), v).squeeze(0);
    qkv::test::check_close("online softmax output vs softmax(s) v", direct, out.o, 1e-12, 1e-12);
    // A row whose keys are all hidden stays empty and finishes as zeros, lse = -inf.
    nn::OnlineSoftmaxRow empty = nn::online_softmax_start(2);
    nn::online_softmax_update(empty, full({3}, -INFINITY, DType::Float64), v.narrow(0, 0, 3).contiguous());
    CHECK(online_softmax_finish(empty).lse == -INFINITY);
    CHECK(online_softmax_finish(empty).o.at({0}) == 0.0);
}

TEST_CASE("lesson09: the naive op's peak memory grows with the (T, T) matrix, the tiled op's does not") {
    const auto measure = [](std::int64_t T) {
        Generator gen(4);
        const Tensor q = randn({1, 1, T, 32}, 0, 1, DType::Float32, gen), g = randn({1, 1, T, 32}, 0, 1, DType::Float32, gen);
        const double naive = lesson09::peak_added([&] {
            Var a(q, true), b(q, true), c(q, true);
            nn::scaled_dot_product_attention(a, b, c).output.backward(g);
        }).counted_mb;
        const double tiled = lesson09::peak_added([&] {
            Var a(q, true), b(q, true), c(q, true);
            nn::memory_efficient_attention(a, b, c).backward(g);
        }).counted_mb;
        return std::pair{naive, tiled};
    };
    // Plain variables, not structured bindings: Clang 14 cannot capture those, as INFO does.
    const std::pair<double, double> at_512 = measure(512), at_1024 = measure(1024);
    const double naive_512 = at_512.first, tiled_512 = at_512.second;
    const double naive_1024 = at_1024.first, tiled_1024 = at_1024.second;
    const double matrix_mb = 1024 * 1024 * 4 / (1024.0 * 1024.0);  // one (1024, 1024) float32 matrix: 4 MB
    const double rows_mb = 1024 * 32 * 4 / (1024.0 * 1024.0);       // one (1024, 32) float32 tensor: 0.125 MB
    INFO("T 512: naive " << naive_512 << " MB, tiled " << tiled_512 << " MB; T 1024: naive " << naive_1024
                         << " MB, tiled " << tiled_1024 << " MB");
    CHECK(naive_1024 >= 2 * matrix_mb);             // scores and weights at least
    CHECK(naive_1024 > 3.5 * naive_512);            // quadratic: doubling T quadruples it
    CHECK(tiled_1024 > 0);                          // it does hold its output and gradients
    CHECK(tiled_1024 <= 12 * rows_mb);              // output (T, d), lse (T), dq, dk, dv (T, d): O(T d)
    CHECK(tiled_1024 < 2.2 * tiled_512);            // linear
}

TEST_CASE("lesson09: causal, window and document masks skip the tiles the README counts") {
    nn::MemoryEfficientOptions causal, window, docs;
    causal.causal = true;
    window.causal = true, window.window = 128;
    docs.causal = true, docs.cu_seqlens_q = from_vector(std::vector<std::int64_t>{0, 160, 520, 600, 1024});
    const auto fraction = [](const nn::MemoryEfficientOptions& o) {
        return mean(nn::attention_tiles_computed(1024, 1024, o).to(DType::Float64)).item();
    };
    CHECK(fraction(causal) == doctest::Approx(136.0 / 256));  // 16 x 17 / 2 of the 16 x 16 tiles
    CHECK(fraction(window) == doctest::Approx(45.0 / 256));  // the diagonal and the two tiles left of it
    // Four documents of 160, 360, 80 and 424 rows: at least each one's causal triangle, at most
    // its whole square; nothing between documents.
    const double triangles = (160.0 * 161 + 360.0 * 361 + 80.0 * 81 + 424.0 * 425) / 2 / (1024.0 * 1024);
    const double squares = (160.0 * 160 + 360.0 * 360 + 80.0 * 80 + 424.0 * 424) / (1024.0 * 1024);
    CHECK(fraction(docs) > triangles);
    CHECK(fraction(docs) < squares);
}
