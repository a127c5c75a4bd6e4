// Checkers for lesson 09's exercises (lessons/09_memory_efficient_attention/EXERCISES.md): the
// student's online-softmax update, one row's backward and the packing, against the library's
// (nn/attention/attention_row.hpp, nn/data/packing.hpp) and against the naive attention, with
// blocks of every size, hidden keys, a fully hidden row and empty sentences.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "exercises/exercise_check.hpp"
#include "lessons/09_memory_efficient_attention/exercises/row_attention.hpp"
#include "lessons/09_memory_efficient_attention/tiny_lm.hpp"
#include "nn/attention/scaled_dot_product.hpp"

using namespace qkv;
namespace ex = qkv::exercise;

TEST_CASE("exercise 09.1: The online-softmax update for one block") {
    ex::run("09.1", [&] {
        Generator gen(901);
        const Tensor s = randn({11}, 0, 3, DType::Float64, gen), v = randn({11, 3}, 0, 1, DType::Float64, gen);
        for (std::int64_t block : {1, 3, 4, 11}) {
            nn::OnlineSoftmaxRow mine = nn::online_softmax_start(3), ref = nn::online_softmax_start(3);
            for (std::int64_t j0 = 0; j0 < 11; j0 += block) {
                const std::int64_t n = std::min<std::int64_t>(block, 11 - j0);
                const Tensor sb = s.narrow(0, j0, n).contiguous(), vb = v.narrow(0, j0, n).contiguous();
                qkv::exercises::online_softmax_update(mine, sb, vb);
                nn::online_softmax_update(ref, sb, vb);
                const std::string what = "after keys 0.." + std::to_string(j0 + n - 1) + " in blocks of " +
                                         std::to_string(block) + " (scores " + ex::brief("s", s) + ")";
                if (!ex::check_that(mine.m == ref.m, what + ": running max m is " + ex::detail::number(mine.m) +
                                                         ", expected " + ex::detail::number(ref.m),
                                    "m' = max(m, the block's largest score)"))
                    return;
                if (!ex::check_number(what + ": running sum l", ref.l, mine.l, 1e-12,
                                      "rescale the old sum by e^(m - m') before adding the block's e^(s_j - m')"))
                    return;
                if (!ex::check_close(what + ": running output a", ref.a, mine.a, 1e-12, 1e-12,
                                     "a' = e^(m - m') a + sum_j e^(s_j - m') v_j"))
                    return;
            }
            const Tensor direct = matmul(softmax(s, 0).unsqueeze(0), v).squeeze(0);  // (3)
            if (!ex::check_close("a / l after the last block vs softmax(s) v", direct,
                                 nn::online_softmax_finish(mine).o, 1e-12, 1e-12, "the finished row is a / l"))
                return;
        }
        // A first block whose keys are all hidden (-inf) must leave the row empty, not NaN.
        nn::OnlineSoftmaxRow row = nn::online_softmax_start(3);
        qkv::exercises::online_softmax_update(row, full({2}, -INFINITY, DType::Float64), v.narrow(0, 0, 2).contiguous());
        qkv::exercises::online_softmax_update(row, s.narrow(0, 2, 3).contiguous(), v.narrow(0, 2, 3).contiguous());
        const Tensor direct = matmul(softmax(s.narrow(0, 2, 3).contiguous(), 0).unsqueeze(0), v.narrow(0, 2, 3)).squeeze(0);
        ex::check_close("a hidden block (all scores -inf), then keys 2..4", direct, nn::online_softmax_finish(row).o, 1e-12,
                        1e-12, "while m is -inf, e^(m - m') must not become e^(-inf + inf) = NaN: skip an all-hidden block");
    });
}

TEST_CASE("exercise 09.2: The backward of one row from its log-sum-exp") {
    ex::run("09.2", [&] {
        Generator gen(902);
        const std::int64_t Tk = 7, d = 4, dv = 3;
        const Tensor q = randn({1, 1, d}, 0, 1, DType::Float64, gen), k = randn({1, Tk, d}, 0, 1, DType::Float64, gen);
        const Tensor v = randn({1, Tk, dv}, 0, 1, DType::Float64, gen), g = randn({1, 1, dv}, 0, 1, DType::Float64, gen);
        Tensor some = zeros({Tk}, DType::Bool);
        some.set({2}, 1), some.set({5}, 1);
        for (const Tensor& mask : {Tensor(), some, ones({Tk}, DType::Bool)}) {
            // The naive attention's gradients, from autograd, are what the row's backward must give.
            Var vq(q, true), vk(k, true), vv(v, true);
            const Tensor m = mask.defined() ? mask.reshape({1, 1, Tk}) : Tensor();
            const Var out = nn::scaled_dot_product_attention(vq, vk, vv, m).output;  // (1, 1, dv)
            out.backward(g);
            const Tensor scores = matmul(q, k.transpose(-2, -1)).reshape({Tk}) / std::sqrt(double(d));
            const Tensor visible = mask.defined() ? where(mask, full({Tk}, -INFINITY, DType::Float64), scores) : scores;
            const double top = max(visible).item();
            const double lse = top == -INFINITY ? -INFINITY : top + std::log(sum(exp(visible - top)).item());
            const nn::RowGrads got = qkv::exercises::attention_row_backward(
                q.reshape({d}), k.reshape({Tk, d}), v.reshape({Tk, dv}), mask, out.data().reshape({dv}), lse,
                g.reshape({dv}));
            const std::string which = !mask.defined() ? "no mask" : mask.at({0}) ? "every key hidden" : "keys 2 and 5 hidden";
            const std::string hint = "p_j = e^(s_j - lse); ds_j = p_j (do . v_j - do . o); dq = sum_j ds_j k_j / sqrt(d)";
            if (!ex::check_close("dq (" + which + ")", vq.grad().reshape({d}), got.dq, 1e-10, 1e-12, hint)) return;
            if (!ex::check_close("dk (" + which + ")", vk.grad().reshape({Tk, d}), got.dk, 1e-10, 1e-12,
                                 "dk_j = ds_j q / sqrt(d); a hidden key gets 0"))
                return;
            if (!ex::check_close("dv (" + which + ")", vv.grad().reshape({Tk, dv}), got.dv, 1e-10, 1e-12,
                                 "dv_j = p_j do"))
                return;
        }
    });
}

TEST_CASE("exercise 09.3: Packing a batch into cu_seqlens") {
    ex::run("09.3", [&] {
        const std::vector<std::vector<std::vector<std::int64_t>>> batches = {
            {{5, 6, 7}, {8}, {9, 4}}, {{1}}, {{}, {3, 3}, {}}, {}};
        for (const auto& b : batches) {
            const nn::PackedBatch want = nn::pack_sequences(b), got = qkv::exercises::pack_sequences(b);
            const std::string what = "pack_sequences of " + std::to_string(b.size()) + " sentences (" +
                                     ex::brief("cu_seqlens", want.cu_seqlens) + ")";
            if (!ex::check_close(what + ": ids", want.ids, got.ids, 0, 0, "the sentences end to end, nothing between")) return;
            if (!ex::check_close(what + ": cu_seqlens", want.cu_seqlens, got.cu_seqlens, 0, 0,
                                 "n + 1 entries: 0, then the running sum of the lengths (an empty sentence repeats one)"))
                return;
            if (!ex::check_close(what + ": positions", want.positions, got.positions, 0, 0,
                                 "each token's position inside its own sentence: 0, 1, ... restarting at each"))
                return;
        }
    });
}

TEST_CASE("exercise 09.4: Smaller batches waste less padding") {
    ex::run("09.4", [&] {
        // lesson09 section 5 with batches of 8: the same 1024 sentences (seed 0: data seed 3).
        Generator data(3);
        const auto sentences = lesson09::make_sentences(1024, 16, 160, data);
        double positions = 0;
        for (std::size_t first = 0; first < sentences.size(); first += 8) {
            const std::size_t last = std::min(sentences.size(), first + 8);
            std::size_t longest = 0;
            for (std::size_t i = first; i < last; ++i) longest = std::max(longest, sentences[i].size());
            positions += static_cast<double>(longest * (last - first));  // each batch padded to its longest
        }
        ex::check_number("padded positions with batches of 8 (lesson09, seed 0)", positions, ex::answer("09.4"), 0,
                         "in padding_vs_packing (lessons/09_memory_efficient_attention/main.cpp) set batch = 8, run "
                         "lesson09, read the 'padded: N positions' line of section 5; then change it back");
    });
}
