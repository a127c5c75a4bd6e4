// nn/seq2seq: the bidirectional GRU encoder and the Bahdanau decoder. One decoder step against
// its equations evaluated in plain loops, attention rows and padding, teacher forcing against
// greedy decoding, the model without attention, the key projection done once, and bad input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "nn/seq2seq/bahdanau.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using qkv::test::f64;
using qkv::test::sigmoid_d;
using namespace qkv::nn;
using qkv::test::check_close;

namespace {

Seq2SeqConfig tiny_config(bool attention = true) {
    Seq2SeqConfig c;
    c.src_vocab = 9, c.tgt_vocab = 7;
    c.embed_size = 3, c.hidden_size = 4, c.attention_size = 5;
    c.use_attention = attention;
    return c;
}

Tensor ids(const std::vector<std::vector<std::int64_t>>& rows) {
    std::vector<std::int64_t> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return from_vector(flat, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(rows[0].size())});
}
Tensor lengths(const std::vector<std::int64_t>& v) { return from_vector(v); }

// w (out, in) times x (in) plus b, in plain doubles.
std::vector<double> affine(const Tensor& w, const std::vector<double>& x, const Tensor& b = Tensor()) {
    std::vector<double> y(static_cast<std::size_t>(w.size(0)));
    for (std::int64_t o = 0; o < w.size(0); ++o) {
        double s = b.defined() ? b.at({o}) : 0.0;
        for (std::int64_t i = 0; i < w.size(1); ++i) s += w.at({o, i}) * x[static_cast<std::size_t>(i)];
        y[static_cast<std::size_t>(o)] = s;
    }
    return y;
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("Bahdanau decoder step matches its equations computed in plain loops") {
    Generator gen(3);
    Seq2Seq model(tiny_config(), gen);
    model.to(f64);
    const std::int64_t B = 2, S = 4, H = 4, E = 3;
    const Tensor src = ids({{4, 5, 6, 7}, {8, 4, 0, 0}});
    const EncoderOutput enc = model.encoder(src, lengths({4, 2}));
    DecoderMemory mem = model.decoder.prepare(enc);
    const Var e(randn({B, E}, 0, 1, f64, gen));
    const Var s_prev(randn({B, H}, 0, 1, f64, gen));
    const DecoderStep d = model.decoder.step(e, s_prev, mem);

    AdditiveAttention& at = *model.decoder.attention;
    const GRUCell& cell = model.decoder.cell;
    const std::vector<std::int64_t> len = {4, 2};
    for (std::int64_t b = 0; b < B; ++b) {
        INFO("sequence ", b);
        const std::vector<double> s = s_prev.data().select(0, b).to_vector<double>();
        // e_j = w_v . tanh(W_q s_{i-1} + W_k h_j) over the real positions j < len[b]
        const std::vector<double> q = affine(at.W_q.weight.data(), s);
        std::vector<double> score;
        for (std::int64_t j = 0; j < len[static_cast<std::size_t>(b)]; ++j) {
            const std::vector<double> k = affine(at.W_k.weight.data(), enc.states.data().select(0, b).select(0, j).to_vector<double>());
            std::vector<double> f(q.size());
            for (std::size_t a = 0; a < q.size(); ++a) f[a] = std::tanh(q[a] + k[a]);
            score.push_back(affine(at.w_v.weight.data(), f)[0]);
        }
        double z = 0;
        for (double v : score) z += std::exp(v);
        std::vector<double> c(2 * H, 0.0);
        for (std::int64_t j = 0; j < S; ++j) {
            const double a = j < len[static_cast<std::size_t>(b)] ? std::exp(score[static_cast<std::size_t>(j)]) / z : 0.0;
            CHECK(d.weights.data().at({b, j}) == doctest::Approx(a).epsilon(1e-12));
            for (std::int64_t k = 0; k < 2 * H; ++k)
                c[static_cast<std::size_t>(k)] += a * enc.states.data().at({b, j, k});
        }
        check_close(cat("context of sequence ", b), c, d.context.data().select(0, b), 1e-12, 1e-12);
        // s_i = GRU([e ; c], s_{i-1}), gates r, z, n as in PyTorch
        std::vector<double> x = e.data().select(0, b).to_vector<double>();
        x.insert(x.end(), c.begin(), c.end());
        const std::vector<double> gi = affine(cell.weight_ih.data(), x, cell.bias_ih.data());
        const std::vector<double> gh = affine(cell.weight_hh.data(), s, cell.bias_hh.data());
        for (std::int64_t u = 0; u < H; ++u) {
            const auto r = static_cast<std::size_t>(u), zi = static_cast<std::size_t>(H + u), n = static_cast<std::size_t>(2 * H + u);
            const double rg = sigmoid_d(gi[r] + gh[r]), zg = sigmoid_d(gi[zi] + gh[zi]);
            const double cand = std::tanh(gi[n] + rg * gh[n]);
            const double expected = (1 - zg) * cand + zg * s[r];
            CHECK(d.state.data().at({b, u}) == doctest::Approx(expected).epsilon(1e-12));
        }
    }
}

TEST_CASE("Seq2Seq attention rows sum to 1 and give padded source positions exactly 0") {
    Generator gen(5);
    Seq2Seq model(tiny_config(), gen);
    const Tensor src = ids({{4, 5, 6, 7, 8}, {8, 4, 0, 0, 0}, {5, 5, 5, 0, 0}});
    const Tensor tgt_in = ids({{2, 4, 5, 6}, {2, 6, 0, 0}, {2, 4, 4, 0}});
    const Seq2SeqOutput out = model(src, lengths({5, 2, 3}), tgt_in);
    CHECK(out.logits.shape() == Shape{3, 4, 7});
    REQUIRE(out.attention.shape() == Shape{3, 4, 5});
    const std::vector<std::int64_t> len = {5, 2, 3};
    for (std::int64_t b = 0; b < 3; ++b)
        for (std::int64_t i = 0; i < 4; ++i) {
            double total = 0;
            for (std::int64_t j = 0; j < 5; ++j) {
                const double w = out.attention.data().at({b, i, j});
                total += w;
                if (j >= len[static_cast<std::size_t>(b)]) CHECK(w == 0.0);
                else CHECK(w > 0.0);
            }
            CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
        }
}

TEST_CASE("Seq2Seq ignores what padding holds and which batch a sequence is in") {
    Generator gen(7);
    Seq2Seq model(tiny_config(), gen);
    const Tensor tgt_in = ids({{2, 4, 5}, {2, 6, 4}});
    const Seq2SeqOutput a = model(ids({{4, 5, 6, 7}, {8, 4, 0, 0}}), lengths({4, 2}), tgt_in);
    const Seq2SeqOutput b = model(ids({{4, 5, 6, 7}, {8, 4, 7, 3}}), lengths({4, 2}), tgt_in);  // other pad content
    check_close("logits with other padding", b.logits.data(), a.logits.data(), 0, 0);
    // Sequence 1 alone, unpadded, gives the same numbers as inside the padded batch.
    const Seq2SeqOutput alone = model(ids({{8, 4}}), lengths({2}), ids({{2, 6, 4}}));
    check_close("logits alone", a.logits.data().select(0, 1), alone.logits.data().select(0, 0), 1e-5, 1e-5);
    check_close("attention alone", a.attention.data().select(0, 1).narrow(1, 0, 2), alone.attention.data().select(0, 0),
                1e-5, 1e-5);
}

TEST_CASE("greedy decoding agrees with teacher forcing fed its own tokens") {
    Generator gen(11);
    Seq2SeqConfig c = tiny_config();
    Seq2Seq model(c, gen);
    const Tensor src = ids({{4, 5, 6, 7}, {8, 4, 5, 0}});
    const Tensor len = lengths({4, 3});
    const std::int64_t bos = 2, eos = 3, max_len = 6;
    const GreedyOutput g = model.greedy_decode(src, len, max_len, bos, eos);
    REQUIRE(g.tokens.size() == 2);
    for (std::int64_t b = 0; b < 2; ++b) {
        INFO("sequence ", b);
        const std::vector<std::int64_t>& toks = g.tokens[static_cast<std::size_t>(b)];
        CHECK(static_cast<std::int64_t>(toks.size()) <= max_len);
        for (std::int64_t t : toks) CHECK(t != eos);
        // Feed [BOS] + its own tokens: each step's argmax must be the token greedy chose next.
        std::vector<std::int64_t> in{bos};
        in.insert(in.end(), toks.begin(), toks.end());
        const Seq2SeqOutput tf = model(src.narrow(0, b, 1), len.narrow(0, b, 1), ids({in}));
        const Tensor choice = argmax(tf.logits.data().select(0, 0), 1);
        for (std::size_t i = 0; i < toks.size(); ++i) CHECK(static_cast<std::int64_t>(choice.at({static_cast<std::int64_t>(i)})) == toks[i]);
        if (static_cast<std::int64_t>(toks.size()) < max_len)
            CHECK(static_cast<std::int64_t>(choice.at({static_cast<std::int64_t>(toks.size())})) == eos);
        // Its attention rows too (greedy made max_len steps at most: no row for a token after them).
        const std::int64_t rows = std::min(static_cast<std::int64_t>(in.size()), g.attention.size(1));
        check_close("attention rows", g.attention.select(0, b).narrow(0, 0, rows),
                    tf.attention.data().select(0, 0).narrow(0, 0, rows), 1e-5, 1e-5);
    }
}

TEST_CASE("Seq2Seq without attention feeds the encoder's final states at every step") {
    Generator gen(13);
    Seq2Seq model(tiny_config(false), gen);
    for (const auto& [name, p] : model.named_parameters()) CHECK(name.find("attention") == std::string::npos);
    Seq2Seq with(tiny_config(true), gen);
    bool has_attention = false;
    for (const auto& [name, p] : with.named_parameters()) has_attention |= name == "decoder.attention.W_q.weight";
    CHECK(has_attention);

    const Tensor src = ids({{4, 5, 6, 7}, {8, 4, 0, 0}});
    const EncoderOutput enc = model.encoder(src, lengths({4, 2}));
    const DecoderMemory mem = model.decoder.prepare(enc);
    const DecoderStep d = model.decoder.step(Var(randn({2, 3}, 0, 1, DType::Float32, gen)), Var(zeros({2, 4})), mem);
    CHECK_FALSE(d.weights.defined());
    check_close("context", enc.final.data(), d.context.data(), 0, 0);
    const Seq2SeqOutput out = model(src, lengths({4, 2}), ids({{2, 4}, {2, 5}}));
    CHECK_FALSE(out.attention.defined());
    CHECK(model.greedy_decode(src, lengths({4, 2}), 3, 2, 3).attention.shape()[2] == 4);
}

TEST_CASE("BiGRUEncoder's final states are the forward state at the last token and the backward at the first") {
    Generator gen(17);
    BiGRUEncoder enc(9, 3, 4, gen);
    const EncoderOutput out = enc(ids({{4, 5, 6, 7}, {8, 4, 5, 0}}), lengths({4, 3}));
    CHECK(out.states.shape() == Shape{2, 4, 8});
    const std::vector<std::int64_t> last = {3, 2};
    for (std::int64_t b = 0; b < 2; ++b) {
        const Tensor final_state = out.final.data().select(0, b);  // (8): forward half, then backward half
        const Tensor states = out.states.data().select(0, b);      // (T, 8)
        check_close("forward half", states.select(0, last[static_cast<std::size_t>(b)]).narrow(0, 0, 4),
                    final_state.narrow(0, 0, 4), 0, 0);
        check_close("backward half", states.select(0, 0).narrow(0, 4, 4), final_state.narrow(0, 4, 4), 0, 0);
    }
    CHECK(out.padding_mask.at({1, 3}) == 1.0);
    CHECK(out.padding_mask.at({1, 2}) == 0.0);
    for (std::int64_t k = 0; k < 8; ++k) CHECK(out.states.data().at({1, 3, k}) == 0.0);
}

TEST_CASE("AdditiveAttention with keys projected once equals forward") {
    Generator gen(19);
    AdditiveAttention attn(3, 4, 5, gen);
    attn.to(f64);
    const Var q(randn({2, 3, 3}, 0, 1, f64, gen)), k(randn({2, 6, 4}, 0, 1, f64, gen)), v(randn({2, 6, 2}, 0, 1, f64, gen));
    Tensor mask = zeros({2, 1, 6}, DType::Bool);
    mask.set({1, 0, 5}, 1), mask.set({1, 0, 4}, 1);
    const AttentionOutput a = attn.forward(q, k, v, mask);
    const AttentionOutput b = attn.forward_projected(q, attn.project_keys(k), v, mask);
    check_close("output", b.output.data(), a.output.data(), 1e-14, 1e-14);
    check_close("weights", b.weights.data(), a.weights.data(), 1e-14, 1e-14);
    CHECK_THROWS_WITH_AS(attn.project_keys(Var(zeros({2, 6, 3}, f64))),
                         "AdditiveAttention: k (2, 6, 3) should be (B, Tk, 4): (batch, keys, key_size)", Error);
    CHECK_THROWS_AS(attn.forward_projected(q, Var(zeros({2, 6, 4}, f64)), v), Error);  // projected keys have size 5
}

TEST_CASE("Seq2Seq rejects bad configurations, lengths, ids and shapes with clear errors") {
    Seq2SeqConfig c = tiny_config();
    c.hidden_size = 0;
    CHECK_THROWS_AS(Seq2Seq{c}, Error);
    c = tiny_config();
    c.pad_id = 7;  // not a target id (tgt_vocab = 7)
    CHECK_THROWS_WITH_AS(Seq2Seq{c}, "Seq2Seq: pad_id 7 is not an id of both vocabularies (9 and 7)", Error);
    Seq2Seq model(tiny_config());
    const Tensor src = ids({{4, 5, 6}, {8, 4, 0}});
    CHECK_THROWS_WITH_AS(model(src, lengths({3, 0}), ids({{2}, {2}})),
                         "BiGRUEncoder: source length 0 outside [1, 3] for src (2, 3)", Error);
    CHECK_THROWS_WITH_AS(model(src, lengths({3, 4}), ids({{2}, {2}})),
                         "BiGRUEncoder: source length 4 outside [1, 3] for src (2, 3)", Error);
    CHECK_THROWS_AS(model(src, lengths({3}), ids({{2}, {2}})), Error);
    CHECK_THROWS_WITH_AS(model(src, lengths({3, 2}), ids({{2}})),
                         "Seq2Seq: tgt_in should be (B, T) int64 with B = 2 as src (2, 3), got (1, 1)", Error);
    CHECK_THROWS_AS(model(ids({{4, 9, 6}, {8, 4, 0}}), lengths({3, 2}), ids({{2}, {2}})), Error);  // source id 9 >= 9
    CHECK_THROWS_AS(model(src, lengths({3, 2}), ids({{2}, {7}})), Error);                          // target id 7 >= 7
    CHECK_THROWS_WITH_AS(model.greedy_decode(src, lengths({3, 2}), 0, 2, 3),
                         "Seq2Seq::greedy_decode: max_len must be >= 1, got 0", Error);
    // An [EOS] id the decoder can never produce would make it run to max_len silently.
    CHECK_THROWS_WITH_AS(model.greedy_decode(src, lengths({3, 2}), 5, 2, 7),
                         "Seq2Seq::greedy_decode: bos_id 2 and eos_id 7 must be target ids in [0, 7)", Error);
    CHECK_THROWS_AS(model.greedy_decode(src, lengths({3, 2}), 5, -1, 3), Error);
    // An undefined source is reported as such, before tgt_in is compared with it.
    CHECK_THROWS_WITH_AS(model(Tensor(), lengths({3, 2}), ids({{2}, {2}})),
                         "BiGRUEncoder: src should be (B, S) int64 ids, got undefined ", Error);
}

}  // TEST_SUITE
