// Checkers for lesson 03's exercises (lessons/03_dot_product_attention/EXERCISES.md): masks and
// attention against nn/attention/scaled_dot_product.cpp, the softmax backward against the
// library's autograd softmax, with broadcast masks, head dims, odd sizes, fully masked queries,
// non-contiguous inputs and the float64 gradient checker.
#include <doctest/doctest.h>

#include <cmath>

#include "exercises/exercise_check.hpp"
#include "lessons/03_dot_product_attention/exercises/attention.hpp"
#include "lessons/03_dot_product_attention/kernel_regression.hpp"
#include "lessons/03_dot_product_attention/scaling.hpp"

using namespace qkv;
namespace ex = qkv::exercise;

namespace {

// One attention case: inputs, an optional mask, and a description for the messages.
struct AttentionCase {
    std::string name;
    Tensor q, k, v, mask;
};

std::string describe_case(const AttentionCase& c) {
    std::string s = c.name + ": q " + shape_str(c.q.shape()) + ", k " + shape_str(c.k.shape()) + ", v " +
                    shape_str(c.v.shape());
    if (c.mask.defined()) s += ", mask " + shape_str(c.mask.shape()) + " " + ex::brief("", c.mask).substr(1);
    return s;
}

std::vector<AttentionCase> attention_cases(DType dtype) {
    Generator gen(303);
    const auto r = [&](const Shape& s) { return randn(s, 0, 1, dtype, gen); };
    // A mask that hides every key of query 1 (a fully masked row) and one key of query 0.
    Tensor full_row = zeros({3, 4}, DType::Bool);
    full_row.set({0, 2}, 1);
    for (std::int64_t j = 0; j < 4; ++j) full_row.set({1, j}, 1);
    std::vector<AttentionCase> cases;
    cases.push_back({"no mask", r({2, 3, 5}), r({2, 4, 5}), r({2, 4, 6}), Tensor()});
    cases.push_back({"one query, seven keys, d = 1", r({1, 1, 1}), r({1, 7, 1}), r({1, 7, 3}), Tensor()});
    cases.push_back({"heads with a causal (T, T) mask broadcast over (B, H)", r({2, 2, 5, 4}), r({2, 2, 5, 4}),
                     r({2, 2, 5, 3}), nn::causal_mask(5)});
    cases.push_back({"heads with a (B, 1, 1, Tk) padding mask", r({2, 3, 4, 4}), r({2, 3, 6, 4}), r({2, 3, 6, 2}),
                     nn::padding_mask(tensor({6, 2}, DType::Int64).to(DType::Int64), 6).unsqueeze(1)});
    cases.push_back({"a fully masked query (row 1)", r({2, 3, 5}), r({2, 4, 5}), r({2, 4, 2}), full_row});
    cases.push_back({"transposed (non-contiguous) q and k", r({2, 5, 3}).transpose(1, 2), r({2, 5, 4}).transpose(1, 2),
                     r({2, 4, 5}), Tensor()});
    return cases;
}

}  // namespace

TEST_CASE("exercise 03.1: Causal and padding masks") {
    ex::run("03.1", [&] {
        for (std::int64_t T : {0, 1, 2, 5}) {
            const Tensor got = qkv::exercises::causal_mask(T);
            if (!ex::check_that(got.defined() && got.dtype() == DType::Bool,
                                "causal_mask(" + std::to_string(T) + ") should be a bool tensor",
                                "make it with Tensor({T, T}, DType::Bool) and write 1 (true) where a key is hidden"))
                return;
            if (!ex::check_close("causal_mask(" + std::to_string(T) + ")", nn::causal_mask(T), got, 0, 0,
                                 "true (1) ABOVE the diagonal, j > i: query i may see itself and earlier keys"))
                return;
        }
        if (!ex::check_that(ex::throws_error([] { (void)qkv::exercises::causal_mask(-1); }), "causal_mask(-1) did not throw",
                            "a negative T is an error: qkv::fail(\"causal_mask\", ...)"))
            return;
        const std::vector<std::pair<std::vector<std::int64_t>, std::int64_t>> cases = {
            {{0, 3, 5}, 5}, {{1}, 1}, {{2, 2}, 4}, {{0}, 0}};
        for (const auto& [lens, Tk] : cases) {
            const Tensor lengths = from_vector<std::int64_t>(lens);
            const std::string what = "padding_mask(" + ex::brief("lengths", lengths) + ", Tk = " + std::to_string(Tk) + ")";
            const Tensor got = qkv::exercises::padding_mask(lengths, Tk);
            if (!ex::check_close(what, nn::padding_mask(lengths, Tk), got, 0, 0,
                                 "shape (B, 1, Tk): true at key positions j >= lengths[b]; the 1 lets it broadcast over the queries"))
                return;
        }
        ex::check_that(ex::throws_error([] { (void)qkv::exercises::padding_mask(from_vector<std::int64_t>({2, 6}), 5); }),
                       "padding_mask(lengths [2, 6], Tk = 5) did not throw", "a length outside [0, Tk] is an error");
    });
}

TEST_CASE("exercise 03.2: Scaled dot-product attention with masks") {
    ex::run("03.2", [&] {
        for (const AttentionCase& c : attention_cases(DType::Float32)) {
            const nn::AttentionOutput want = nn::scaled_dot_product_attention(Var(c.q), Var(c.k), Var(c.v), c.mask);
            const nn::AttentionOutput got =
                qkv::exercises::scaled_dot_product_attention(Var(c.q), Var(c.k), Var(c.v), c.mask);
            const std::string where = describe_case(c) + "; " + ex::brief("q", c.q);
            if (!got.weights.defined() || !got.output.defined()) {
                ex::check_that(false, where + "\n  the result's weights or output is undefined (return both)");
                return;
            }
            if (!ex::check_close("weights for " + where, want.weights.data(), got.weights.data(), 1e-5, 1e-6,
                                 c.name == "a fully masked query (row 1)"
                                     ? "fill masked scores with -infinity (not -1e9): qkv's softmax then gives a zero row"
                                     : "scores = q @ k.transpose(-2, -1) / sqrt(d), masked_fill(mask, -inf), softmax over the LAST dim (the keys)"))
                return;
            if (!ex::check_close("output for " + where, want.output.data(), got.output.data(), 1e-5, 1e-6,
                                 "output = weights @ v"))
                return;
        }
        // Gradients, in float64, through every case (the masked ones too).
        for (const AttentionCase& c : attention_cases(DType::Float64)) {
            const Tensor mask = c.mask;
            if (!ex::check_gradient("attention output for " + describe_case(c),
                                    [mask](const std::vector<Var>& x) {
                                        return qkv::exercises::scaled_dot_product_attention(x[0], x[1], x[2], mask).output;
                                    },
                                    {c.q, c.k, c.v},
                                    "build the function from Var ops (matmul, transpose, /, masked_fill, softmax) so that autograd records it"))
                return;
        }
        const Var q(zeros({2, 3, 5})), k(zeros({2, 4, 4})), v(zeros({2, 4, 6})), v_short(zeros({2, 3, 6}));
        if (!ex::check_that(ex::throws_error([&] { (void)qkv::exercises::scaled_dot_product_attention(q, k, v); }),
                            "q (2, 3, 5) with k (2, 4, 4) (d differs: 5 vs 4) did not throw",
                            "check that q and k have the same last size d and throw qkv::Error naming the shapes"))
            return;
        ex::check_that(ex::throws_error([&] { (void)qkv::exercises::scaled_dot_product_attention(q, Var(zeros({2, 4, 5})), v_short); }),
                       "k (2, 4, 5) with v (2, 3, 6) (Tk differs: 4 vs 3) did not throw",
                       "every key needs a value: check k.size(-2) == v.size(-2)");
    });
}

TEST_CASE("exercise 03.3: The softmax backward") {
    ex::run("03.3", [&] {
        Generator gen(304);
        struct Case {
            std::string name;
            Tensor x;
            std::int64_t dim;
        };
        Tensor masked = randn({3, 4}, 0, 1, DType::Float64, gen);
        for (std::int64_t j = 0; j < 4; ++j) masked.set({1, j}, -INFINITY);  // row 1: every key masked
        const std::vector<Case> cases = {{"rows of (3, 5), dim -1", randn({3, 5}, 0, 2, DType::Float64, gen), -1},
                                         {"columns of (3, 5), dim 0", randn({3, 5}, 0, 2, DType::Float64, gen), 0},
                                         {"(2, 3, 4) along dim 1", randn({2, 3, 4}, 0, 2, DType::Float64, gen), 1},
                                         {"a transposed (5, 3), dim -1", randn({3, 5}, 0, 2, DType::Float64, gen).t(), -1},
                                         {"one element, (4, 1), dim -1", randn({4, 1}, 0, 2, DType::Float64, gen), -1},
                                         {"(3, 4) whose row 1 is all -inf (a fully masked query)", masked, -1}};
        for (const Case& c : cases) {
            const Tensor g = randn(c.x.shape(), 0, 1, DType::Float64, gen);
            const Var x(c.x, true);
            const Var y = softmax(x, c.dim);
            y.backward(g);
            const Tensor got = qkv::exercises::softmax_backward(y.data(), g, c.dim);
            if (!ex::check_close("softmax_backward for " + c.name + "; " + ex::brief("y", y.data()) + ", " + ex::brief("g", g),
                                 x.grad(), got, 1e-10, 1e-12,
                                 "dL/dx = y * (g - sum(g * y, dim, keepdim = true)): the sum runs along `dim` only"))
                return;
        }
        for (const Case& c : cases) {
            if (c.name.find("-inf") != std::string::npos) continue;  // finite differences cannot step off -inf
            if (!ex::check_gradient("softmax with your backward, " + c.name,
                                    [dim = c.dim](const std::vector<Var>& v) { return qkv::exercises::softmax_with_my_backward(v[0], dim); },
                                    {c.x}, "the Jacobian is diag(y) - y y^T along dim"))
                return;
        }
    });
}

TEST_CASE("exercise 03.4: More keys without the scale") {
    ex::run("03.4", [&] {
        // lesson03 --quick with keys = 64: 200 trials, seed 0; the d_k = 256 row of the table.
        // The generator is shared across the dims in order, so the dims before 256 are drawn too.
        const std::vector<lesson03::ScalingRow> rows = lesson03::scaling_study({4, 16, 64, 256}, 200, 64, 0);
        ex::check_number("mean max weight, unscaled, at d_k = 256 with 64 keys (lesson03 --quick, seed 0)",
                         rows[3].max_weight_raw, ex::answer("03.4"), 2e-3,
                         "in show_scaling (lessons/03_dot_product_attention/main.cpp) set keys = 64, run lesson03 --quick, "
                         "read the 'unscaled' mean max weight on the d_k = 256 line; then change it back");
    });
}

TEST_CASE("exercise 03.5: A cleaner signal and the kernel width") {
    ex::run("03.5", [&] {
        lesson03::KernelConfig config;
        config.noise = 0.1;  // the one change the exercise asks for
        const double width = lesson03::kernel_regression(config).learned.width;
        ex::check_number("the learned sigma with noise 0.1 (lesson03, seed 0, 200 steps)", width,
                         ex::answer("03.5"), 2e-3,
                         "set noise = 0.1 in KernelConfig (lessons/03_dot_product_attention/kernel_regression.hpp), run "
                         "lesson03 (not --quick: 200 steps), read 'learned sigma'; then change it back");
    });
}
