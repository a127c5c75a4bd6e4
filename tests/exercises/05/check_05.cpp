// Checkers of lesson 05's exercises (lessons/05_multi_head_attention/EXERCISES.md): split/merge
// heads and multi-head attention against nn::split_heads, nn::merge_heads and
// nn::multi_head_attention (odd sizes, one head, non-contiguous inputs, every mask shape, fully
// masked rows, float64 gradcheck); the sinusoidal table against nn::sinusoidal_table (odd d, one
// position, float64); the experiment's number recomputed by training the lesson's model.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.hpp"
#include "lessons/05_multi_head_attention/exercises/heads.hpp"
#include "lessons/05_multi_head_attention/exercises/multi_head.hpp"
#include "lessons/05_multi_head_attention/exercises/sinusoidal.hpp"
#include "lessons/05_multi_head_attention/model.hpp"
#include "nn/positional.hpp"
#include "exercises/exercise_check.hpp"

using namespace qkv;
using qkv::exercise::check_close;

namespace {

Tensor strided3(std::int64_t d0, std::int64_t d1, std::int64_t d2, DType dtype, Generator& gen) {
    return randn({d0, d2, d1}, 0, 1, dtype, gen).transpose(1, 2);  // (d0, d1, d2), a non-contiguous view
}

// A bool tensor of `shape`, true with probability p (from gen).
Tensor random_mask(const Shape& shape, double p, Generator& gen) {
    return lt(rand(shape, 0, 1, DType::Float32, gen), full(shape, p));
}

void compare_mha(const char* what, std::int64_t B, std::int64_t Tq, std::int64_t Tk, std::int64_t H, std::int64_t dh,
                 const nn::AttentionMasks& masks, std::uint64_t seed) {
    Generator gen(seed);
    const Var q(randn({B, Tq, H * dh}, 0, 1, DType::Float32, gen));
    const Var k(strided3(B, Tk, H * dh, DType::Float32, gen));
    const Var v(randn({B, Tk, H * dh}, 0, 1, DType::Float32, gen));
    const nn::MultiHeadOutput want = nn::multi_head_attention(q, k, v, H, masks);
    const nn::MultiHeadOutput got = exercises::multi_head_attention(q, k, v, H, masks);
    const std::string in = cat(what, ": q ", shape_str(q.shape()), ", k = v ", shape_str(k.shape()), ", ", H, " heads",
                               masks.key_padding.defined() ? cat(", key_padding ", shape_str(masks.key_padding.shape())) : "",
                               masks.attn.defined() ? cat(", attn ", shape_str(masks.attn.shape())) : "");
    INFO("hint: key_padding (B, Tk) must become (B, 1, 1, Tk) so its B lines up with the scores' B (not with H); "
         "a 3-d attn mask (B, Tq, Tk) becomes (B, 1, Tq, Tk); OR the two (where(a, a, b)); a query with every key "
         "masked gets zero weights, which scaled_dot_product_attention already does.");
    check_close(cat(in, ": weights (B, H, Tq, Tk)"), want.weights.data(), got.weights.data(), 1e-5, 1e-6);
    check_close(cat(in, ": output (B, Tq, D)"), want.output.data(), got.output.data(), 1e-5, 1e-6);
}

}  // namespace

TEST_CASE("exercise 05.1: Split and merge heads") {
    exercise::run("05.1", [] {
        Generator gen(1);
        INFO("hint: reshape (B, T, D) to (B, T, H, dh) and THEN permute to (B, H, T, dh); a bare reshape to "
             "(B, H, T, dh) has the right shape but puts features of several tokens into one head's row.");
        for (const auto& [B, T, H, dh, strided] :
             std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool>>{
                 {2, 5, 3, 2, false}, {1, 1, 1, 7, false}, {3, 4, 5, 1, false}, {2, 3, 2, 3, true}}) {
            const Var x(strided ? strided3(B, T, H * dh, DType::Float32, gen) : randn({B, T, H * dh}, 0, 1, DType::Float32, gen));
            const std::string in = cat("x ", shape_str(x.shape()), ", ", H, " heads", strided ? " (non-contiguous)" : "");
            const Var split = exercises::split_heads(x, H);
            check_close(cat("split_heads, ", in), nn::split_heads(x, H).data(), split.data(), 0, 0);
            const Var h(randn({B, H, T, dh}, 0, 1, DType::Float32, gen));
            check_close(cat("merge_heads, x ", shape_str(h.shape())), nn::merge_heads(h).data(),
                        exercises::merge_heads(h).data(), 0, 0);
            check_close(cat("merge_heads(split_heads(x)) == x, ", in), x.data(), exercises::merge_heads(split).data(), 0, 0);
        }
        // Bad input is refused with a qkv::Error, not a crash or a silent wrong shape.
        const Var x(randn({2, 3, 10}, 0, 1, DType::Float32, gen));
        using exercise::check_that, exercise::throws_error;
        const Var flat(randn({2, 10}, 0, 1, DType::Float32, gen));
        const char* use_fail = "check the input first and `fail(\"split_heads\", ...)` (a qkv::Error naming the shapes)";
        check_that(throws_error([&] { exercises::split_heads(x, 4); }),
                   "split_heads of x (2, 3, 10) into 4 heads must throw qkv::Error", use_fail);
        check_that(throws_error([&] { exercises::split_heads(flat, 2); }),
                   "split_heads of a 2-d x (2, 10) must throw qkv::Error", use_fail);
        check_that(throws_error([&] { exercises::merge_heads(x); }),
                   "merge_heads of a 3-d x (2, 3, 10) must throw qkv::Error", use_fail);
        // Gradients flow back through both (float64 central differences).
        Generator g64(2);
        const GradcheckResult r = gradcheck(
            [](const std::vector<Var>& v) {
                const Var s = exercises::split_heads(v[0], 3);  // (2, 3, 4, 2)
                return exercises::merge_heads(s * s.select(3, 0).unsqueeze(3));  // mixes features within a head
            },
            {strided3(2, 4, 6, DType::Float64, g64)});
        INFO("gradcheck of merge_heads(split_heads(x) * ...) (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 05.2: The sinusoidal positional encoding") {
    exercise::run("05.2", [] {
        INFO("hint: columns 2i and 2i+1 share w_i = 10000^(-2i/d): for column j use 2i = j - j % 2; even columns "
             "are sin, odd ones cos; compute in double and convert once at the end.");
        for (const auto& [L, d] : std::vector<std::pair<std::int64_t, std::int64_t>>{{48, 32}, {7, 5}, {1, 1}, {3, 2}, {50, 9}})
            check_close(cat("sinusoidal_table(", L, ", ", d, ") float32"), nn::sinusoidal_table(L, d),
                        exercises::sinusoidal_table(L, d), 1e-6, 1e-7);
        const Tensor t64 = exercises::sinusoidal_table(64, 16, DType::Float64);
        CHECK_MESSAGE(t64.dtype() == DType::Float64, "sinusoidal_table(64, 16, Float64) must return float64");
        check_close("sinusoidal_table(64, 16) float64", nn::sinusoidal_table(64, 16, DType::Float64), t64, 1e-12, 1e-13);
        exercise::check_that(exercise::throws_error([] { exercises::sinusoidal_table(0, 4); }),
                             "sinusoidal_table(0, 4) must throw qkv::Error", "fail(\"sinusoidal_table\", ...) when max_len < 1");
        exercise::check_that(exercise::throws_error([] { exercises::sinusoidal_table(4, 0); }),
                             "sinusoidal_table(4, 0) must throw qkv::Error", "fail(\"sinusoidal_table\", ...) when d_model < 1");
    });
}

TEST_CASE("exercise 05.3: Multi-head attention with both masks") {
    exercise::run("05.3", [] {
        Generator gen(3);
        compare_mha("no mask", 2, 4, 5, 3, 2, {}, 10);
        compare_mha("one head", 1, 3, 3, 1, 5, {}, 11);
        compare_mha("causal (Tq, Tk)", 2, 5, 5, 2, 3, {Tensor(), nn::causal_mask(5)}, 12);
        // Padding with B == H, where lining key_padding up with the heads goes unnoticed by shape.
        const Tensor kp = nn::padding_mask(from_vector(std::vector<std::int64_t>{4, 2}), 4).squeeze(1);  // (B, Tk)
        compare_mha("key padding, lengths 4 and 2, B = H = 2", 2, 3, 4, 2, 3, {kp, Tensor()}, 13);
        compare_mha("key padding and causal", 2, 4, 4, 2, 2, {kp, nn::causal_mask(4)}, 14);
        compare_mha("per-sequence attn (B, Tq, Tk)", 3, 2, 5, 2, 2, {Tensor(), random_mask({3, 2, 5}, 0.4, gen)}, 15);
        compare_mha("per-head attn (B, H, Tq, Tk)", 2, 3, 4, 3, 2, {Tensor(), random_mask({2, 3, 3, 4}, 0.4, gen)}, 16);
        // A sequence of length 0: every key masked, so zero weights and zero output, not NaN.
        const Tensor empty = nn::padding_mask(from_vector(std::vector<std::int64_t>{0, 3}), 3).squeeze(1);
        compare_mha("fully masked rows (lengths 0 and 3)", 2, 2, 3, 2, 2, {empty, nn::causal_mask(3).narrow(0, 0, 2)}, 17);

        Generator g64(4);
        const Tensor kp64 = nn::padding_mask(from_vector(std::vector<std::int64_t>{3, 2}), 3).squeeze(1);
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Var>& x) {
                return exercises::multi_head_attention(x[0], x[1], x[2], 2, {kp64, nn::causal_mask(3)}).output;
            },
            {randn({2, 3, 4}, 0, 1, DType::Float64, g64), strided3(2, 3, 4, DType::Float64, g64),
             randn({2, 3, 4}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of multi_head_attention over q, k, v with key padding and a causal mask (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

namespace {

// What `lesson05 --steps 200` prints for one of its models: the held-out accuracy (seed 0).
double lesson_accuracy(lesson05::Positions p) {
    const lesson05::TaskConfig task;
    lesson05::TrainConfig config;
    config.seed = 0, config.steps = 200;
    lesson05::ModelConfig mc;
    mc.positions = p;
    Generator init(0);  // as the lesson: the same initial weights for all three models
    lesson05::PairModel model(task, mc, init);
    return lesson05::train(model, task, config).accuracy;
}

}  // namespace

TEST_CASE("exercise 05.4: Train without positions") {
    exercise::run("05.4", [] {
        const double answer = exercise::answer("05.4");
        const double truth = lesson_accuracy(lesson05::Positions::None);
        INFO("exercise 05.4: your answer ", answer, ", the held-out accuracy of the model without positions after 200 "
             "steps is ", truth, ". hint: run `lesson05 --steps 200` and copy the line \"positions none held-out accuracy\".");
        CHECK(std::abs(answer - truth) <= 0.00011);
    });
}

TEST_CASE("exercise 05.5: Sinusoidal or learned: which learns faster") {
    exercise::run("05.5", [] {
        const double answer = exercise::answer("05.5");
        const double truth = lesson_accuracy(lesson05::Positions::Learned);
        INFO("exercise 05.5: your answer ", answer, ", the held-out accuracy of the model with learned positions after 200 "
             "steps is ", truth, ". hint: run `lesson05 --steps 200` and copy the line \"positions learned held-out accuracy\".");
        CHECK(std::abs(answer - truth) <= 0.00011);
    });
}
