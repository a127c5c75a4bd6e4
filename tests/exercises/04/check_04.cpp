// Checkers of lesson 04's exercises (lessons/04_bahdanau_seq2seq/EXERCISES.md): the student's
// functions against the library's nn::AdditiveAttention, nn::GRUCell and BahdanauDecoder::step on
// random inputs and edge cases (one key, one query, odd sizes, padded sources with a fully masked
// row, non-contiguous views), and the float64 gradient checker.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.hpp"
#include "lessons/04_bahdanau_seq2seq/exercises/additive_score.hpp"
#include "lessons/04_bahdanau_seq2seq/exercises/decoder_step.hpp"
#include "lessons/04_bahdanau_seq2seq/exercises/gru_step.hpp"
#include "lessons/04_bahdanau_seq2seq/reversal.hpp"
#include "lessons/04_bahdanau_seq2seq/training.hpp"
#include "exercises/exercise_check.hpp"

using namespace qkv;
using qkv::exercise::check_close;

namespace {

// A (d0, d1, d2) tensor that is a transposed view, not contiguous memory: student code that
// assumes contiguity reads the wrong numbers.
Tensor strided3(std::int64_t d0, std::int64_t d1, std::int64_t d2, DType dtype, Generator& gen) {
    return randn({d0, d2, d1}, 0, 1, dtype, gen).transpose(1, 2);  // (d0, d1, d2), non-contiguous
}

// The library's additive score, from the module's own Linear layers.
Var library_scores(nn::AdditiveAttention& m, const Var& q, const Var& k) {
    return m.w_v(tanh(m.W_q(q).unsqueeze(2) + m.W_k(k).unsqueeze(1))).squeeze(-1);  // (B, Tq, Tk)
}

void check_scores_case(std::int64_t B, std::int64_t Tq, std::int64_t Tk, std::int64_t dq, std::int64_t dk,
                       std::int64_t A, bool strided, std::uint64_t seed) {
    Generator gen(seed);
    nn::AdditiveAttention m(dq, dk, A, gen);
    const Var q(strided ? strided3(B, Tq, dq, DType::Float32, gen) : randn({B, Tq, dq}, 0, 1, DType::Float32, gen));
    const Var k(strided ? strided3(B, Tk, dk, DType::Float32, gen) : randn({B, Tk, dk}, 0, 1, DType::Float32, gen));
    const std::string what = cat("additive_scores, q ", shape_str(q.shape()), ", k ", shape_str(k.shape()),
                                 ", attention size ", A, strided ? " (q and k non-contiguous views)" : "");
    const Var got = exercises::additive_scores(q, k, m.W_q.weight, m.W_k.weight, m.w_v.weight);
    INFO("hint: e_ij = w_v^T tanh(W_q q_i + W_k k_j); the weights are (out, in), so W_q q is q @ W_q^T. "
         "Pair every query with every key by broadcasting (B, Tq, 1, A) + (B, 1, Tk, A).");
    check_close(what, library_scores(m, q, k).data(), got.data(), 1e-5, 1e-5);
}

// Reversal's vocabulary and a padded batch of sources with their lengths.
struct Sources {
    Tensor src, lengths;
};
Sources padded_sources(const std::vector<std::vector<std::int64_t>>& rows, std::int64_t S) {
    std::vector<std::int64_t> flat, lengths;
    for (const auto& r : rows) {
        lengths.push_back(static_cast<std::int64_t>(r.size()));
        for (std::int64_t j = 0; j < S; ++j) flat.push_back(j < static_cast<std::int64_t>(r.size()) ? r[static_cast<std::size_t>(j)] : 0);
    }
    return {from_vector(flat, {static_cast<std::int64_t>(rows.size()), S}), from_vector(lengths)};
}

nn::Seq2SeqConfig small_config() {
    nn::Seq2SeqConfig c;
    c.src_vocab = 7, c.tgt_vocab = 6, c.embed_size = 3, c.hidden_size = 4, c.attention_size = 5;
    return c;
}

}  // namespace

TEST_CASE("exercise 04.1: The additive attention score") {
    exercise::run("04.1", [] {
        check_scores_case(2, 3, 5, 4, 6, 7, false, 1);   // odd sizes, dq != dk
        check_scores_case(1, 1, 1, 1, 1, 1, false, 2);   // one query, one key, size 1 everywhere
        check_scores_case(3, 2, 4, 5, 3, 2, true, 3);    // non-contiguous q and k

        // Through the masked softmax: the weights of the library's module, padding included (the
        // second sequence has no valid key at all: its row must be zeros, not NaN).
        Generator gen(4);
        nn::AdditiveAttention m(4, 6, 5, gen);
        const Var q(randn({2, 3, 4}, 0, 1, DType::Float32, gen));
        const Var k(randn({2, 5, 6}, 0, 1, DType::Float32, gen));
        const Var v(randn({2, 5, 2}, 0, 1, DType::Float32, gen));
        const Tensor mask = nn::padding_mask(from_vector(std::vector<std::int64_t>{3, 0}), 5);  // (B, 1, Tk)
        const nn::AttentionOutput want = m.forward(q, k, v, mask);
        const nn::AttentionOutput got =
            nn::attend(exercises::additive_scores(q, k, m.W_q.weight, m.W_k.weight, m.w_v.weight), v, mask);
        check_close("attention weights from your scores (lengths 3 and 0 of 5 keys)", want.weights.data(),
                    got.weights.data(), 1e-5, 1e-6);
        check_close("attention output from your scores", want.output.data(), got.output.data(), 1e-5, 1e-6);

        // The gradient reaches q, k and all three weights, and is right (float64 central differences).
        Generator g64(5);
        const GradcheckResult r = gradcheck(
            [](const std::vector<Var>& x) { return exercises::additive_scores(x[0], x[1], x[2], x[3], x[4]); },
            {randn({2, 3, 4}, 0, 1, DType::Float64, g64), strided3(2, 4, 3, DType::Float64, g64),
             randn({5, 4}, 0, 0.5, DType::Float64, g64), randn({5, 3}, 0, 0.5, DType::Float64, g64),
             randn({1, 5}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of additive_scores over q, k, W_q, W_k, w_v (float64). hint: use Var ops only "
             "(matmul, tanh, unsqueeze, +): reading .data() cuts the graph.");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 04.2: One GRU step from its gate equations") {
    exercise::run("04.2", [] {
        const auto compare = [](std::int64_t B, std::int64_t I, std::int64_t H, bool strided, std::uint64_t seed) {
            Generator gen(seed);
            nn::GRUCell cell(I, H, gen);
            const Var x(strided ? randn({I, B}, 0, 1, DType::Float32, gen).transpose(0, 1)
                                : randn({B, I}, 0, 1, DType::Float32, gen));
            const Var h(randn({B, H}, 0, 1, DType::Float32, gen));
            const Var got = exercises::gru_step(x, h, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh);
            INFO("hint: the gates are stacked in the order r, z, n (rows [0, H), [H, 2H), [2H, 3H)); "
                 "r multiplies (W_hn h + b_hn), bias included; h' = (1 - z) * n + z * h, not z * n + (1 - z) * h.");
            check_close(cat("gru_step, x ", shape_str(x.shape()), ", h ", shape_str(h.shape()),
                            strided ? " (x a non-contiguous view)" : ""),
                        cell.forward(x, h).data(), got.data(), 1e-5, 1e-6);
        };
        compare(4, 5, 3, false, 11);   // odd sizes
        compare(1, 1, 1, false, 12);   // one of everything
        compare(3, 6, 7, true, 13);    // non-contiguous input

        // The update gate's job, seen directly: with z forced to 1 (a huge b_iz) the state is kept.
        Generator gen(14);
        nn::GRUCell cell(3, 2, gen);
        Tensor b_ih = cell.bias_ih.data().clone();
        for (std::int64_t j = 2; j < 4; ++j) b_ih.set({j}, 50.0);  // z = sigmoid(~50) = 1
        const Var h(randn({2, 2}, 0, 1, DType::Float32, gen));
        const Var kept = exercises::gru_step(Var(randn({2, 3}, 0, 1, DType::Float32, gen)), h, cell.weight_ih,
                                             cell.weight_hh, Var(b_ih), cell.bias_hh);
        INFO("hint: z is the UPDATE gate, rows [H, 2H): when z = 1 the new state IS the old one.");
        check_close("gru_step with the update gate z forced to 1: h' must equal h", h.data(), kept.data(), 1e-5, 1e-6);

        Generator g64(15);
        const GradcheckResult r = gradcheck(
            [](const std::vector<Var>& v) { return exercises::gru_step(v[0], v[1], v[2], v[3], v[4], v[5]); },
            {randn({3, 4}, 0, 1, DType::Float64, g64), randn({3, 2}, 0, 1, DType::Float64, g64),
             randn({6, 4}, 0, 0.5, DType::Float64, g64), randn({6, 2}, 0, 0.5, DType::Float64, g64),
             randn({6}, 0, 0.5, DType::Float64, g64), randn({6}, 0, 0.5, DType::Float64, g64)});
        INFO("gradcheck of gru_step over x, h and the four weights (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 04.3: One decoder step with attention") {
    exercise::run("04.3", [] {
        Generator gen(21);
        nn::Seq2Seq model(small_config(), gen);
        const Sources s = padded_sources({{1, 2, 3, 4, 5}, {6, 2}, {3, 3, 1}}, 5);
        const nn::DecoderMemory memory = model.decoder.prepare(model.encoder(s.src, s.lengths));
        const Var e(randn({3, 3}, 0, 1, DType::Float32, gen));  // emb(y_{i-1}) (B, E)
        const Var prev(randn({3, 4}, 0, 1, DType::Float32, gen));  // s_{i-1} (B, H)
        const nn::DecoderStep want = model.decoder.step(e, prev, memory);
        const nn::DecoderStep got = exercises::decoder_step(model.decoder, e, prev, memory);
        INFO("hint: the query is prev_state, s_{i-1}; the keys and values are memory.values (the annotations), "
             "the mask memory.mask; the GRU's input is concat({prev_embedded, context}, 1), in that order.");
        check_close("decoder_step weights a_i (sources of lengths 5, 2, 3)", want.weights.data(), got.weights.data(),
                    1e-5, 1e-6);
        check_close("decoder_step context c_i", want.context.data(), got.context.data(), 1e-5, 1e-6);
        check_close("decoder_step state s_i", want.state.data(), got.state.data(), 1e-5, 1e-6);

        // The whole teacher-forced pass, as `lesson04 --mine` trains it.
        const Tensor tgt_in = from_vector(std::vector<std::int64_t>{1, 2, 3, 1, 4, 0, 1, 5, 5}, {3, 3});
        check_close("forward_mine logits (3 target steps) against Seq2Seq::forward",
                    model(s.src, s.lengths, tgt_in).logits.data(),
                    exercises::forward_mine(model, s.src, s.lengths, tgt_in).logits.data(), 1e-4, 1e-5);

        // float64 gradcheck through the step, over the previous embedding, state and annotations.
        Generator g64(22);
        nn::Seq2Seq m64(small_config(), g64);
        m64.to(DType::Float64);
        const Tensor mask = nn::padding_mask(from_vector(std::vector<std::int64_t>{4, 2}), 4);  // (B, 1, S)
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Var>& x) {
                nn::DecoderMemory mem;
                mem.values = x[2], mem.mask = mask, mem.keys = m64.decoder.attention->project_keys(x[2]);
                const nn::DecoderStep d = exercises::decoder_step(m64.decoder, x[0], x[1], mem);
                return concat({d.state, d.context}, 1);
            },
            {randn({2, 3}, 0, 1, DType::Float64, g64), randn({2, 4}, 0, 1, DType::Float64, g64),
             randn({2, 4, 8}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of decoder_step's state and context over emb(y_{i-1}), s_{i-1} and the annotations (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 04.4: How fast does attention learn the reversal") {
    exercise::run("04.4", [] {
        const double answer = exercise::answer("04.4");
        // What `lesson04 --task reversal --steps 100` prints in section 2 (seed 0, 1000 held-out sequences).
        const lesson04::Task task = lesson04::reversal_task(0);
        lesson04::Trained t = lesson04::train(task, lesson04::reversal_config(0, 100));
        const double truth = lesson04::evaluate(t.model, task).exact_match;
        INFO("exercise 04.4: your answer ", answer, ", the exact match of the attention model after 100 steps is ",
             truth, " (to 3 decimals). hint: run `lesson04 --task reversal --steps 100` and copy section 2's "
             "\"held-out exact match\".");
        CHECK(std::abs(answer - truth) <= 0.0011);
    });
}
