// The Transformer (nn/transformer/): layer shapes and errors, parameter structure, gradients of
// both layer kinds in both norm placements (float64 finite differences, with masks), the
// decoder's causality, label smoothing's target distribution, the Noam schedule's peak, and
// the decoders (beam width 1 = greedy; beam scores = teacher-forced log-probabilities).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/helpers.hpp"
#include "nn/data/batch.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/transformer/decoding.hpp"
#include "nn/transformer/label_smoothing.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_gradients;
using qkv::test::f64;

namespace {

TransformerConfig small_config(bool norm_first = false, bool share = false) {
    TransformerConfig c;
    c.src_vocab_size = 11;
    c.tgt_vocab_size = share ? 11 : 9;
    c.d_model = 8;
    c.num_heads = 2;
    c.num_encoder_layers = 2;
    c.num_decoder_layers = 2;
    c.d_ff = 12;
    c.dropout = 0.0;
    c.max_len = 16;
    c.norm_first = norm_first;
    c.share_embeddings = share;
    return c;
}

// Random ids in [3, V) (no [PAD], [BOS], [EOS]), shape (B, T).
Tensor random_ids(std::int64_t B, std::int64_t T, std::int64_t V, Generator& gen) {
    return randint(3, V, {B, T}, gen);
}

std::int64_t count_params(Module& m) { return m.num_parameters(); }

bool has_param(Module& m, const std::string& name) {
    for (const auto& [n, p] : m.named_parameters())
        if (n == name) return true;
    return false;
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("transformer: encoder and decoder layers keep the (B, T, D) shape and record their weights") {
    Generator gen(1);
    const LayerConfig lc{8, 2, 12, 0.0, false, Activation::ReLU};
    TransformerEncoderLayer enc(lc, gen);
    TransformerDecoderLayer dec(lc, gen);
    const Var x(randn({3, 5, 8}, 0, 1, DType::Float32, gen));
    const Var y(randn({3, 4, 8}, 0, 1, DType::Float32, gen));
    CHECK(shape_str(enc.forward(x).shape()) == "(3, 5, 8)");
    CHECK(shape_str(enc.self_attn_weights.shape()) == "(3, 2, 5, 5)");
    AttentionMasks self_masks;
    self_masks.attn = causal_mask(4);
    CHECK(shape_str(dec.forward(y, x, self_masks).shape()) == "(3, 4, 8)");
    CHECK(shape_str(dec.self_attn_weights.shape()) == "(3, 2, 4, 4)");
    CHECK(shape_str(dec.cross_attn_weights.shape()) == "(3, 2, 4, 5)");
    // The causal mask leaves the weights above the diagonal at exactly 0.
    const Tensor w = dec.self_attn_weights;
    for (std::int64_t i = 0; i < 4; ++i)
        for (std::int64_t j = i + 1; j < 4; ++j) CHECK(max(abs(w.select(2, i).select(2, j))).item() == 0.0);
    // A wrong width is refused.
    CHECK_THROWS_AS(enc.forward(Var(zeros({3, 5, 6}))), Error);
}

TEST_CASE("transformer: parameter count and names follow the architecture") {
    // One hand-count per piece, D = 8, F = 12, Vs = 11, Vt = 9:
    const std::int64_t D = 8, F = 12, Vs = 11, Vt = 9;
    const std::int64_t mha = 4 * (D * D + D), ffn = D * F + F + F * D + D, ln = 2 * D;
    const std::int64_t enc_layer = mha + ffn + 2 * ln, dec_layer = 2 * mha + ffn + 3 * ln;
    Transformer post(small_config(false));
    CHECK(count_params(post) == Vs * D + Vt * D + 2 * enc_layer + 2 * dec_layer + (Vt * D + Vt));
    Transformer pre(small_config(true));
    CHECK(count_params(pre) == count_params(post) + 2 * ln);  // the final LayerNorm of each stack
    CHECK(has_param(post, "encoder.layers.1.self_attn.q_proj.weight"));
    CHECK(has_param(post, "decoder.layers.0.cross_attn.out_proj.bias"));
    CHECK(has_param(post, "decoder.layers.1.feed_forward.linear2.weight"));
    CHECK(has_param(post, "decoder.layers.1.norm3.weight"));
    CHECK_FALSE(has_param(post, "decoder.norm.weight"));
    CHECK(has_param(pre, "decoder.norm.weight"));
    CHECK(has_param(pre, "encoder.norm.bias"));

    // Shared: one (V, D) matrix serves both embeddings and the generator.
    Transformer shared(small_config(false, true));
    CHECK(count_params(shared) == 11 * D + 2 * enc_layer + 2 * dec_layer + 11);
    CHECK_FALSE(has_param(shared, "tgt_embed.weight"));
    CHECK_FALSE(has_param(shared, "generator.weight"));
    CHECK(has_param(shared, "generator.bias"));
}

TEST_CASE("transformer: shared embeddings tie the generator to the embedding table") {
    Transformer m(small_config(false, true));
    m.eval();
    const Var h(ones({1, 8}));
    const Tensor logits = m.project(h).data();  // (1, V)
    // logit v = h . E[v] + b[v] with h all ones: the row sums of the embedding table (bias 0 at init).
    const Tensor expected = sum(m.src_embed.weight.data(), {1}).reshape({1, 11}) + m.generator.bias.data();
    CHECK(allclose(logits, expected, 1e-5, 1e-6));
    // A gradient through the generator reaches the embedding table.
    sum(m.project(h)).backward();
    CHECK(m.src_embed.weight.grad().defined());
}

TEST_CASE("transformer: embeddings are scaled by sqrt(d_model) before the positions are added") {
    for (bool share : {false, true}) {
        Transformer m(small_config(false, share));
        m.eval();
        NoGradGuard no_grad;
        const Tensor ids = from_vector(std::vector<std::int64_t>{4, 7, 0, 5}, {1, 4});  // 0 = [PAD]
        const Tensor pe = sinusoidal_table(16, 8);
        const Tensor src = m.embed_source(ids).data().select(0, 0), tgt = m.embed_target(ids).data().select(0, 0);  // (4, D)
        for (std::int64_t t = 0; t < 4; ++t) {
            const auto id = static_cast<std::int64_t>(ids.select(1, t).item());
            INFO("position ", t, share ? ", shared" : "");
            const Tensor want_src = m.src_embed.weight.data().select(0, id) * std::sqrt(8.0) + pe.select(0, t);
            CHECK(allclose(src.select(0, t), want_src, 1e-6, 1e-6));
            const Tensor table = share ? m.src_embed.weight.data() : m.tgt_embed.weight.data();
            CHECK(allclose(tgt.select(0, t), table.select(0, id) * std::sqrt(8.0) + pe.select(0, t), 1e-6, 1e-6));
        }
        // [PAD]'s row is zero: only the position is left.
        CHECK(allclose(src.select(0, 2), pe.select(0, 2), 1e-6, 1e-7));
        // The scaled embeddings have entries of about unit variance (drawn from N(0, 1/D)).
        const Tensor scaled = m.src_embed.weight.data().narrow(0, 1, 10) * std::sqrt(8.0);
        CHECK(var(scaled).item() == doctest::Approx(1.0).epsilon(0.35));
    }
}

TEST_CASE("transformer: bad configurations and inputs are refused with clear errors") {
    TransformerConfig c = small_config();
    c.num_heads = 3;
    CHECK_THROWS_WITH_AS(Transformer{c}, doctest::Contains("multiple of num_heads"), Error);
    c = small_config();
    c.share_embeddings = true;  // 11 vs 9
    CHECK_THROWS_WITH_AS(Transformer{c}, doctest::Contains("share_embeddings"), Error);
    c = small_config();
    c.pad_id = 20;
    CHECK_THROWS_AS(Transformer{c}, Error);

    Transformer m(small_config());
    Generator gen(2);
    const Tensor src = random_ids(2, 4, 11, gen), tgt = random_ids(2, 3, 9, gen);
    CHECK(shape_str(m.forward(src, tgt).shape()) == "(2, 3, 9)");
    CHECK_THROWS_WITH_AS(m.forward(src, random_ids(3, 3, 9, gen)), doctest::Contains("share B"), Error);
    CHECK_THROWS_WITH_AS(m.forward(random_ids(2, 17, 11, gen), tgt), doctest::Contains("max_len"), Error);
    CHECK_THROWS_AS(m.forward(src, full({2, 3}, 9, DType::Int64)), Error);  // target id 9 >= V = 9
    CHECK_THROWS_AS(m.forward(src, tgt, zeros({2, 4})), Error);             // a float mask
}

TEST_CASE("transformer: encoder layer gradients match finite differences, post-norm and pre-norm, with padding") {
    for (bool norm_first : {false, true}) {
        Generator gen(3);
        TransformerEncoderLayer layer({6, 2, 10, 0.0, norm_first, Activation::GELU}, gen);
        layer.to(f64);
        const Tensor padding = tensor({{0, 0, 0, 1}, {0, 0, 0, 0}}).to(DType::Bool);  // (B, T): row 0 has 3 real tokens
        const Tensor x = randn({2, 4, 6}, 0, 1, f64, gen);
        const Tensor w1 = layer.feed_forward.linear1.weight.data().clone();
        check_gradients(norm_first ? "encoder layer, pre-norm" : "encoder layer, post-norm",
                        [&](const std::vector<Var>& in) {
                            layer.feed_forward.linear1.weight = in[1];  // also check a parameter's gradient
                            return layer.forward(in[0], padding);
                        },
                        {x, w1});
    }
}

TEST_CASE("transformer: decoder layer gradients match finite differences, post-norm and pre-norm, with masks") {
    for (bool norm_first : {false, true}) {
        Generator gen(4);
        TransformerDecoderLayer layer({6, 3, 8, 0.0, norm_first, Activation::ReLU}, gen);
        layer.to(f64);
        AttentionMasks self_masks;
        self_masks.attn = causal_mask(3);
        const Tensor memory_padding = tensor({{0, 0, 1, 1}, {0, 0, 0, 0}}).to(DType::Bool);  // (B, Ts)
        const Tensor x = randn({2, 3, 6}, 0, 1, f64, gen), memory = randn({2, 4, 6}, 0, 1, f64, gen);
        const Tensor wk = layer.cross_attn.k_proj.weight.data().clone();
        check_gradients(norm_first ? "decoder layer, pre-norm" : "decoder layer, post-norm",
                        [&](const std::vector<Var>& in) {
                            layer.cross_attn.k_proj.weight = in[2];
                            return layer.forward(in[0], in[1], self_masks, memory_padding);
                        },
                        {x, memory, wk});
    }
}

TEST_CASE("transformer: the decoder's outputs at step t do not depend on target tokens after t") {
    for (bool norm_first : {false, true}) {
        Transformer m(small_config(norm_first));
        m.eval();
        NoGradGuard no_grad;
        Generator gen(5);
        const Tensor src = random_ids(2, 5, 11, gen);
        const Tensor tgt = random_ids(2, 6, 9, gen);
        const Tensor logits = m.forward(src, tgt).data();  // (B, Tt, V)
        for (std::int64_t t = 0; t < 5; ++t) {
            // Replace every token after t by other random tokens.
            Tensor changed = tgt.clone();
            copy_(changed.narrow(1, t + 1, 6 - t - 1), random_ids(2, 6 - t - 1, 9, gen));
            const Tensor again = m.forward(src, changed).data();
            INFO("t = ", t, norm_first ? " pre-norm" : " post-norm");
            CHECK(allclose(again.narrow(1, 0, t + 1), logits.narrow(1, 0, t + 1), 1e-6, 1e-7));
        }
        // ... while a change at t itself does move position t (so the check above can fail).
        std::vector<std::int64_t> v = tgt.to_vector<std::int64_t>();
        v[2] = v[2] == 3 ? 4 : 3;
        v[6 + 2] = v[6 + 2] == 3 ? 4 : 3;
        const Tensor changed = from_vector(v, {2, 6});
        const Tensor again = m.forward(src, changed).data();
        CHECK_FALSE(allclose(again.narrow(1, 2, 1), logits.narrow(1, 2, 1), 1e-6, 1e-7));
    }
}

TEST_CASE("transformer: source padding is invisible to the output") {
    Transformer m(small_config());
    m.eval();
    NoGradGuard no_grad;
    Generator gen(6);
    const Tensor src = random_ids(1, 5, 11, gen), tgt = random_ids(1, 3, 9, gen);
    const Tensor padding = tensor({{0, 0, 0, 1, 1}}).to(DType::Bool);
    const Tensor a = m.forward(src, tgt, padding).data();
    Tensor other = src.clone();
    copy_(other.narrow(1, 3, 2), random_ids(1, 2, 11, gen));
    const Tensor b = m.forward(other, tgt, padding).data();
    CHECK(allclose(a, b, 1e-6, 1e-7));
    // Without the mask, the same change does show.
    CHECK_FALSE(allclose(m.forward(src, tgt).data(), m.forward(other, tgt).data(), 1e-6, 1e-7));
}

TEST_CASE("label smoothing: each target distribution sums to 1, with zero mass on padding") {
    const std::int64_t V = 7, pad = 0;
    const double eps = 0.1;
    const Tensor targets = tensor({{3, 0, 6}, {1, 2, 0}}, DType::Int64);  // (2, 3), two padding positions
    const Tensor q = smoothed_targets(targets, V, eps, pad);                  // (2, 3, V)
    CHECK(shape_str(q.shape()) == "(2, 3, 7)");
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    const std::vector<float> qv = q.to_vector<float>();
    for (std::size_t i = 0; i < t.size(); ++i) {
        double total = 0;
        for (std::int64_t c = 0; c < V; ++c) total += qv[i * V + static_cast<std::size_t>(c)];
        INFO("position ", i);
        if (t[i] == pad) {
            CHECK(total == 0.0);  // a padding position has no target at all
            continue;
        }
        CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
        CHECK(qv[i * V + pad] == 0.0f);
        CHECK(qv[i * V + static_cast<std::size_t>(t[i])] == doctest::Approx(0.9));
        for (std::int64_t c = 0; c < V; ++c)
            if (c != pad && c != t[i]) CHECK(qv[i * V + static_cast<std::size_t>(c)] == doctest::Approx(0.1 / 5));
    }
    CHECK_THROWS_AS(smoothed_targets(targets, V, 1.0, pad), Error);
    CHECK_THROWS_AS(smoothed_targets(full({1, 1}, 7, DType::Int64), V, eps, pad), Error);
}

TEST_CASE("label smoothing: the loss is the cross-entropy against q over non-padding positions") {
    Generator gen(7);
    const std::int64_t V = 5;
    const Tensor logits_t = randn({2, 3, V}, 0, 2, f64, gen);
    const Tensor targets = tensor({{1, 4, 0}, {2, 0, 0}}, DType::Int64);
    const Var logits(logits_t, true);
    const Var loss = label_smoothed_cross_entropy(logits, targets, 0.2, 0);
    // By hand: for each non-pad position, -(0.8 log p_t + 0.2/3 * sum over c not in {t, pad} log p_c).
    const std::vector<double> l = logits_t.to_vector<double>();
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    double total = 0;
    int counted = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == 0) continue;
        ++counted;
        double z = 0;
        for (std::int64_t c = 0; c < V; ++c) z += std::exp(l[i * V + static_cast<std::size_t>(c)]);
        for (std::int64_t c = 1; c < V; ++c) {
            const double logp = l[i * V + static_cast<std::size_t>(c)] - std::log(z);
            total -= (c == t[i] ? 0.8 : 0.2 / 3) * logp;
        }
    }
    CHECK(loss.item() == doctest::Approx(total / counted).epsilon(1e-12));
    // The gradient of a padding position is zero.
    loss.backward();
    CHECK(max(abs(logits.grad().select(0, 1).select(0, 2))).item() == 0.0);
    CHECK_THROWS_AS(label_smoothed_cross_entropy(logits, full({2, 3}, 5, DType::Int64), 0.2, 0), Error);  // 5 >= V
    check_gradients("label_smoothed_cross_entropy",
                    [&](const std::vector<Var>& in) { return label_smoothed_cross_entropy(in[0], targets, 0.2, 0); },
                    {logits_t});
}

TEST_CASE("label smoothing: the loss floor is the entropy of the smoothed targets") {
    // -sum q log q over one row of smoothed_targets, V = 13, eps = 0.1: 0.9 on the target,
    // 0.1 / 11 on eleven others, 0 on padding.
    const Tensor q = smoothed_targets(full({1}, 5, DType::Int64), 13, 0.1, 0, f64);
    double h = 0;
    for (double p : q.to_vector<double>())
        if (p > 0) h -= p * std::log(p);
    CHECK(smoothed_entropy(13, 0.1) == doctest::Approx(h).epsilon(1e-12));
    CHECK(smoothed_entropy(13, 0.1) == doctest::Approx(0.5649).epsilon(1e-4));  // 0.09482 + 0.47005
    // Logits equal to log q (padding at a very low logit) reach the floor.
    const std::vector<double> qv = q.to_vector<double>();
    std::vector<double> logits = {-30.0};  // p(pad) = e^-30 / (1 + e^-30): 1e-13, negligible
    for (std::size_t c = 1; c < qv.size(); ++c) logits.push_back(std::log(qv[c]));
    const Var loss = label_smoothed_cross_entropy(Var(from_vector(logits, {1, 13})), full({1}, 5, DType::Int64), 0.1, 0);
    CHECK(loss.item() == doctest::Approx(h).epsilon(1e-9));
}

TEST_CASE("noam schedule: linear warmup to its peak factor / sqrt(d_model * warmup) at step warmup") {
    // d_model 32, warmup 100, factor 0.15 (lesson 06's): the peak is 0.15 / sqrt(3200).
    const InverseSqrt s(32, 100, 0.15);
    const double peak = 0.15 / std::sqrt(3200.0);  // = 0.0026516504...
    CHECK(peak == doctest::Approx(0.00265165).epsilon(1e-6));
    std::int64_t argmax = 0;
    for (std::int64_t step = 0; step <= 2000; ++step)
        if (s.lr_at(step) > s.lr_at(argmax)) argmax = step;
    CHECK(argmax == 100);
    CHECK(s.lr_at(100) == doctest::Approx(peak).epsilon(1e-12));
    CHECK(s.lr_at(50) == doctest::Approx(peak / 2).epsilon(1e-12));   // linear on the way up
    CHECK(s.lr_at(400) == doctest::Approx(peak / 2).epsilon(1e-12));  // 1/sqrt(step) after: sqrt(100/400)
}

TEST_CASE("decoding: beam search of width 1 is greedy decoding") {
    for (bool norm_first : {false, true}) {
        manual_seed(8);
        Transformer m(small_config(norm_first));
        Generator gen(9);
        const Tensor src = random_ids(12, 6, 11, gen);
        const Tensor padding = key_padding_mask(tensor({6, 5, 4, 3, 6, 2, 1, 6, 5, 4, 3, 2}, DType::Int64), 6);
        BeamOptions o;
        o.bos_id = 1, o.eos_id = 2, o.max_len = 7;
        o.beam_size = 1;
        const auto greedy = greedy_decode(m, src, padding, o);
        const auto beam = beam_search(m, src, padding, o);
        REQUIRE(beam.size() == greedy.size());
        int stopped_at_eos = 0;
        for (std::size_t i = 0; i < greedy.size(); ++i) {
            CHECK(beam[i].tokens == greedy[i]);
            stopped_at_eos += beam[i].finished;
        }
        MESSAGE("untrained model: ", stopped_at_eos, " of 12 stopped at EOS before max_len");
        CHECK(m.is_training());  // decoding restored the mode
    }
}

TEST_CASE("decoding: a beam hypothesis's log-probability is the teacher-forced sum, its score divided by length^alpha") {
    manual_seed(10);
    Transformer m(small_config());
    Generator gen(11);
    const Tensor src = random_ids(4, 5, 11, gen);
    BeamOptions o;
    o.bos_id = 1, o.eos_id = 2, o.max_len = 6, o.beam_size = 3, o.length_alpha = 0.6;
    const auto hyps = beam_search(m, src, Tensor(), o);
    m.eval();
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < hyps.size(); ++i) {
        const Hypothesis& h = hyps[i];
        std::vector<std::int64_t> in = {1}, out = h.tokens;
        in.insert(in.end(), h.tokens.begin(), h.tokens.end());
        if (h.finished) out.push_back(2);
        else in.pop_back();  // unfinished: the tokens are all predictions, no [EOS]
        const auto T = static_cast<std::int64_t>(out.size());
        const Tensor logp = log_softmax(
            m.forward(src.narrow(0, static_cast<std::int64_t>(i), 1), from_vector(in, {1, T})).data().to(f64), -1);
        double total = 0;
        for (std::int64_t t = 0; t < T; ++t)
            total += logp.select(0, 0).select(0, t).select(0, out[static_cast<std::size_t>(t)]).item();
        INFO("hypothesis ", i, " with ", T, " tokens");
        CHECK(h.log_prob == doctest::Approx(total).epsilon(1e-5));
        CHECK(h.score == doctest::Approx(total / std::pow(static_cast<double>(T), 0.6)).epsilon(1e-5));
    }
    // Bad options are refused.
    o.beam_size = 0;
    CHECK_THROWS_AS(beam_search(m, src, Tensor(), o), Error);
    o.beam_size = 2, o.max_len = 16;  // + [BOS] exceeds max_len 16
    CHECK_THROWS_AS(beam_search(m, src, Tensor(), o), Error);
}

}  // TEST_SUITE
