// The Transformer (nn/transformer/): layer shapes and errors, parameter structure, gradients of
// both layer kinds in both norm placements (float64 finite differences, with masks), the
// decoder's causality, label smoothing's target distribution, the Noam schedule's peak, and
// the decoders (beam width 1 = greedy; beam scores = teacher-forced log-probabilities; a very
// wide beam against enumeration; eval mode while decoding; padded batches), and every layer's
// output against Add & Norm rebuilt by hand, in both placements.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/helpers.hpp"
#include "nn/attention/recording.hpp"
#include "nn/data/batch.hpp"
#include "nn/init.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/state_dict.hpp"
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

// LayerNorm over the last dimension by hand (PyTorch's: biased variance, eps inside the root):
//   y = (x - mean) / sqrt(var + eps) * weight + bias
Tensor layer_norm_ref(const Tensor& x, const LayerNorm& ln) {
    const auto D = static_cast<std::size_t>(x.size(x.dim() - 1));
    const std::vector<double> v = x.to(f64).contiguous().to_vector<double>();
    const std::vector<double> w = ln.weight.data().to(f64).to_vector<double>();
    const std::vector<double> b = ln.bias.data().to(f64).to_vector<double>();
    std::vector<double> out(v.size());
    for (std::size_t r = 0; r < v.size(); r += D) {
        double mean = 0, var = 0;
        for (std::size_t i = 0; i < D; ++i) mean += v[r + i];
        mean /= static_cast<double>(D);
        for (std::size_t i = 0; i < D; ++i) var += (v[r + i] - mean) * (v[r + i] - mean);
        var /= static_cast<double>(D);
        for (std::size_t i = 0; i < D; ++i) out[r + i] = (v[r + i] - mean) / std::sqrt(var + ln.eps()) * w[i] + b[i];
    }
    return from_vector(out, x.shape());
}

// Gives every LayerNorm of `m` random weights and biases, so that a norm in the wrong place
// (or a missing one) changes the output.
void randomise_norms(Module& m, Generator& gen) {
    for (auto& [name, p] : m.named_parameters())
        if (name.find("norm") != std::string::npos) init::normal_(p.data(), 0.5, 0.5, gen);
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("transformer: attention weights are kept only while recording, and belong to the last forward") {
    Transformer m(small_config());
    m.eval();
    Generator gen(4);
    const Tensor src = random_ids(2, 5, 11, gen), tgt = random_ids(2, 3, 9, gen);
    const auto kept = [&] {
        const TransformerAttention a = m.attention_weights();
        return a.encoder_self[0].defined() && a.decoder_self[1].defined() && a.cross[1].defined();
    };
    m.forward(src, tgt);
    CHECK_FALSE(recording_attention());
    CHECK_FALSE(m.attention_weights().encoder_self[0].defined());  // training keeps none
    {
        RecordAttention record;
        CHECK(recording_attention());
        {
            RecordAttention nested;
        }
        CHECK(recording_attention());  // the inner guard put back what it found
        m.forward(src, tgt);
        CHECK(kept());
        CHECK(m.attention_weights().cross[0].shape() == Shape{2, 2, 3, 5});  // (B, H, Tt, Ts)
    }
    CHECK_FALSE(recording_attention());
    CHECK(kept());  // still the recorded forward's
    m.forward(src, tgt);
    CHECK_FALSE(kept());  // a forward without recording clears them
}

TEST_CASE("transformer: encoder and decoder layers keep the (B, T, D) shape and record their weights") {
    Generator gen(1);
    const LayerConfig lc{8, 2, 12, 0.0, false, Activation::ReLU};
    TransformerEncoderLayer enc(lc, gen);
    TransformerDecoderLayer dec(lc, gen);
    const Var x(randn({3, 5, 8}, 0, 1, DType::Float32, gen));
    const Var y(randn({3, 4, 8}, 0, 1, DType::Float32, gen));
    RecordAttention record;
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

TEST_CASE("transformer: named_generators lists every dropout's generator, and restoring them repeats the masks") {
    // 2 + 2 layers: the embedding dropout, 2 x (2 dropouts + FFN dropout + attention) in the
    // encoder, 2 x (3 dropouts + FFN dropout + 2 attentions) in the decoder.
    TransformerConfig c = small_config(false);
    c.dropout = 0.3;
    Transformer m(c);
    const auto gens = m.named_generators();
    CHECK(gens.size() == 1 + 2 * 4 + 2 * 6);
    const auto has = [&](const std::string& name) {
        return std::any_of(gens.begin(), gens.end(), [&](const auto& g) { return g.first == name; });
    };
    CHECK(has("dropout.generator"));
    CHECK(has("encoder.layers.1.dropout2.generator"));
    CHECK(has("encoder.layers.0.feed_forward.dropout.generator"));
    CHECK(has("decoder.layers.1.cross_attn.dropout_generator"));
    // The states taken now and set back make the next training forward draw the same masks.
    std::vector<Generator::State> states;
    for (const auto& g : gens) states.push_back(g.second->state());
    m.train();
    Generator gen(3);
    const Tensor src = randint(3, 11, {2, 5}, gen), tgt = randint(3, 9, {2, 4}, gen);
    const Tensor first = m.forward(src, tgt).data();
    CHECK_FALSE(equal(m.forward(src, tgt).data(), first));  // dropout on: another draw differs
    for (std::size_t i = 0; i < gens.size(); ++i) gens[i].second->set_state(states[i]);
    CHECK(equal(m.forward(src, tgt).data(), first));
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
    // One Var in three modules, and still one after converting the model in place.
    m.to(f64);
    CHECK(m.tgt_embed.weight.impl() == m.src_embed.weight.impl());
    CHECK(m.generator.weight.impl() == m.src_embed.weight.impl());
    CHECK(m.generator.weight.dtype() == DType::Float64);
    // The gradient of the table sums all three uses: source and target embeddings and the
    // generator. With the embedding scale sqrt(D) and an upstream gradient of ones on the
    // logits, token v's row gets sqrt(D) per look-up (source and target) plus h = ones.
    m.zero_grad();
    const Tensor ids = from_vector(std::vector<std::int64_t>{4}, {1, 1});
    sum(m.embed_source(ids)).backward();
    sum(m.embed_target(ids)).backward();
    sum(m.project(Var(ones({1, 8}, f64)))).backward();
    const Tensor grad = m.src_embed.weight.grad();  // (V, D)
    CHECK(allclose(grad.select(0, 4), full({8}, 2 * std::sqrt(8.0) + 1.0, f64), 1e-12, 1e-12));
    CHECK(allclose(grad.select(0, 5), ones({8}, f64), 1e-12, 1e-12));
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
        // The README's claim: a mix, so both ways a sequence ends are compared.
        INFO("untrained model: ", stopped_at_eos, " of 12 stopped at EOS before max_len");
        CHECK(stopped_at_eos > 0);
        CHECK(stopped_at_eos < 12);
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

TEST_CASE("transformer: encoder and decoder layers equal Add & Norm rebuilt from their sublayers, post-norm and pre-norm") {
    // The references call the layer's own attention and feed-forward submodules but do the
    // residual sums and the LayerNorms here:
    //   post-norm: y = LN1(x + MHA(x)),   out = LN2(y + FFN(y))          (decoder: three sublayers)
    //   pre-norm:  y = x + MHA(LN1(x)),   out = y + FFN(LN2(y))
    for (bool norm_first : {false, true}) {
        INFO((norm_first ? "pre-norm" : "post-norm"));
        Generator gen(20);
        const LayerConfig lc{8, 2, 12, 0.0, norm_first, Activation::ReLU};
        TransformerEncoderLayer enc(lc, gen);
        TransformerDecoderLayer dec(lc, gen);
        enc.to(f64);
        dec.to(f64);
        randomise_norms(enc, gen);
        randomise_norms(dec, gen);
        NoGradGuard no_grad;
        const Tensor x = randn({2, 5, 8}, 0, 1, f64, gen);   // the source, and the decoder's memory
        const Tensor y = randn({2, 4, 8}, 0, 1, f64, gen);   // the decoder's input
        const Tensor src_padding = tensor({{0, 0, 0, 1, 1}, {0, 0, 0, 0, 0}}).to(DType::Bool);  // (B, Ts)
        AttentionMasks enc_masks, self_masks, cross_masks;
        enc_masks.key_padding = src_padding;
        self_masks.attn = causal_mask(4);
        cross_masks.key_padding = src_padding;
        const auto mha = [](MultiHeadAttention& a, const Tensor& q, const Tensor& kv, const AttentionMasks& m) {
            return a.forward(Var(q), Var(kv), Var(kv), m).output.data();
        };
        const auto ffn = [](FeedForward& f, const Tensor& h) { return f.forward(Var(h)).data(); };

        Tensor want_enc, want_dec;
        if (norm_first) {
            const Tensor n = layer_norm_ref(x, enc.norm1);
            const Tensor h = x + mha(enc.self_attn, n, n, enc_masks);
            want_enc = h + ffn(enc.feed_forward, layer_norm_ref(h, enc.norm2));
            const Tensor n1 = layer_norm_ref(y, dec.norm1);
            const Tensor h1 = y + mha(dec.self_attn, n1, n1, self_masks);
            const Tensor h2 = h1 + mha(dec.cross_attn, layer_norm_ref(h1, dec.norm2), x, cross_masks);
            want_dec = h2 + ffn(dec.feed_forward, layer_norm_ref(h2, dec.norm3));
        } else {
            const Tensor h = layer_norm_ref(x + mha(enc.self_attn, x, x, enc_masks), enc.norm1);
            want_enc = layer_norm_ref(h + ffn(enc.feed_forward, h), enc.norm2);
            const Tensor h1 = layer_norm_ref(y + mha(dec.self_attn, y, y, self_masks), dec.norm1);
            const Tensor h2 = layer_norm_ref(h1 + mha(dec.cross_attn, h1, x, cross_masks), dec.norm2);
            want_dec = layer_norm_ref(h2 + ffn(dec.feed_forward, h2), dec.norm3);
        }
        CHECK(allclose(enc.forward(Var(x), src_padding).data(), want_enc, 1e-10, 1e-12));
        CHECK(allclose(dec.forward(Var(y), Var(x), self_masks, src_padding).data(), want_dec, 1e-10, 1e-12));
    }
}

TEST_CASE("transformer: a pre-norm stack ends with its final LayerNorm, a post-norm stack with its last layer") {
    for (bool norm_first : {false, true}) {
        INFO((norm_first ? "pre-norm" : "post-norm"));
        Generator gen(21);
        const LayerConfig lc{8, 2, 12, 0.0, norm_first, Activation::GELU};
        TransformerEncoder enc(lc, 2, gen);
        TransformerDecoder dec(lc, 2, gen);
        enc.to(f64);
        dec.to(f64);
        randomise_norms(enc, gen);
        randomise_norms(dec, gen);
        REQUIRE(enc.norm.has_value() == norm_first);
        REQUIRE(dec.norm.has_value() == norm_first);
        NoGradGuard no_grad;
        const Tensor x = randn({2, 5, 8}, 0, 1, f64, gen), y = randn({2, 3, 8}, 0, 1, f64, gen);
        AttentionMasks self_masks;
        self_masks.attn = causal_mask(3);
        Tensor want_enc = enc.layers[1].forward(enc.layers[0].forward(Var(x))).data();
        if (norm_first) want_enc = layer_norm_ref(want_enc, *enc.norm);
        const Var memory(x);
        const Var h = dec.layers[0].forward(Var(y), memory, self_masks);
        Tensor want_dec = dec.layers[1].forward(h, memory, self_masks).data();
        if (norm_first) want_dec = layer_norm_ref(want_dec, *dec.norm);
        CHECK(allclose(enc.forward(Var(x)).data(), want_enc, 1e-10, 1e-12));
        CHECK(allclose(dec.forward(Var(y), memory, self_masks).data(), want_dec, 1e-10, 1e-12));
    }
}

TEST_CASE("transformer: dropout acts in training mode only, and eval with p > 0 equals p = 0 on the same weights") {
    TransformerConfig c = small_config();
    c.dropout = 0.5;
    TransformerConfig c0 = c;
    c0.dropout = 0.0;
    Transformer with(c), without(c0);
    load_state_dict(without, state_dict(with));
    Generator gen(22);
    const Tensor src = random_ids(2, 5, 11, gen), tgt = random_ids(2, 4, 9, gen);
    NoGradGuard no_grad;
    with.train();
    const Tensor train_a = with.forward(src, tgt).data(), train_b = with.forward(src, tgt).data();
    with.eval();
    const Tensor eval = with.forward(src, tgt).data();
    without.eval();
    const Tensor reference = without.forward(src, tgt).data();
    CHECK(allclose(eval, reference, 1e-6, 1e-7));
    CHECK_FALSE(allclose(train_a, eval, 1e-3, 1e-4));
    CHECK_FALSE(allclose(train_a, train_b, 1e-3, 1e-4));  // a fresh mask each forward
    without.train();
    CHECK(allclose(without.forward(src, tgt).data(), reference, 1e-6, 1e-7));  // p = 0 drops nothing
}

TEST_CASE("transformer: target key padding hides the padded positions from every other target position") {
    Transformer m(small_config());
    m.eval();
    NoGradGuard no_grad;
    Generator gen(14);
    const Tensor src = random_ids(2, 5, 11, gen), tgt = random_ids(2, 6, 9, gen);
    const Tensor tgt_padding = tensor({{0, 0, 1, 0, 0, 0}, {0, 0, 0, 0, 0, 0}}).to(DType::Bool);  // row 0: position 2
    const Tensor a = m.forward(src, tgt, Tensor(), tgt_padding).data();                        // (B, Tt, V)
    std::vector<std::int64_t> v = tgt.to_vector<std::int64_t>();
    v[2] = v[2] == 3 ? 4 : 3;
    v[6 + 2] = v[6 + 2] == 3 ? 4 : 3;
    const Tensor b = m.forward(src, from_vector(v, {2, 6}), Tensor(), tgt_padding).data();
    // Row 0: a new token at the masked position moves only that position's own output (its
    // residual stream), never another position's.
    for (std::int64_t t = 0; t < 6; ++t) {
        INFO("position ", t);
        const Tensor at = a.select(0, 0).select(0, t), bt = b.select(0, 0).select(0, t);  // (V)
        const bool same = static_cast<bool>(allclose(at, bt, 1e-6, 1e-7));
        CHECK(same == (t != 2));
    }
    // Row 1 has no padding: the later positions see the change.
    CHECK_FALSE(allclose(a.select(0, 1).narrow(0, 3, 3), b.select(0, 1).narrow(0, 3, 3), 1e-6, 1e-7));
    // The mask's values are what count: without it row 0's later positions differ, row 1 (all
    // false) and the positions before 2 (which never saw position 2) do not.
    const Tensor none = m.forward(src, tgt).data();
    CHECK_FALSE(allclose(none.select(0, 0).narrow(0, 3, 3), a.select(0, 0).narrow(0, 3, 3), 1e-6, 1e-7));
    CHECK(allclose(none.select(0, 0).narrow(0, 0, 2), a.select(0, 0).narrow(0, 0, 2), 1e-6, 1e-7));
    CHECK(allclose(none.select(0, 1), a.select(0, 1), 1e-6, 1e-7));
}

TEST_CASE("transformer: empty sources and targets are refused") {
    Transformer m(small_config());
    Generator gen(23);
    const Tensor src = random_ids(2, 4, 11, gen), tgt = random_ids(2, 3, 9, gen);
    CHECK_THROWS_WITH_AS(m.forward(zeros({2, 0}, DType::Int64), tgt), doctest::Contains("T >= 1"), Error);
    CHECK_THROWS_WITH_AS(m.forward(src, zeros({2, 0}, DType::Int64)), doctest::Contains("T >= 1"), Error);
    BeamOptions o;
    o.bos_id = 1, o.eos_id = 2, o.max_len = 4;
    CHECK_THROWS_AS(greedy_decode(m, zeros({2, 0}, DType::Int64), Tensor(), o), Error);
    CHECK_THROWS_AS(beam_search(m, zeros({2, 0}, DType::Int64), Tensor(), o), Error);
}

TEST_CASE("decoding: dropout is switched off while decoding, so two decodes agree with an eval-mode forward") {
    TransformerConfig c = small_config();
    c.dropout = 0.5;
    manual_seed(12);
    Transformer m(c);
    m.train();
    Generator gen(13);
    const Tensor src = random_ids(6, 5, 11, gen);
    BeamOptions o;
    o.bos_id = 1, o.eos_id = 2, o.max_len = 6, o.beam_size = 3;
    const auto g1 = greedy_decode(m, src, Tensor(), o), g2 = greedy_decode(m, src, Tensor(), o);
    const auto b1 = beam_search(m, src, Tensor(), o), b2 = beam_search(m, src, Tensor(), o);
    CHECK(m.is_training());  // restored
    CHECK(g1 == g2);
    m.eval();
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < g1.size(); ++i) {
        INFO("item ", i);
        CHECK(b1[i].tokens == b2[i].tokens);
        CHECK(b1[i].log_prob == b2[i].log_prob);
        // Greedy's output teacher-forced through the eval-mode model: every position's argmax
        // is the token greedy chose there ([EOS] last, unless it ran to max_len).
        std::vector<std::int64_t> in = {1}, out = g1[i];
        in.insert(in.end(), g1[i].begin(), g1[i].end());
        if (static_cast<std::int64_t>(g1[i].size()) < o.max_len) out.push_back(2);
        else in.pop_back();
        const auto T = static_cast<std::int64_t>(out.size());
        const Tensor logits = m.forward(src.narrow(0, static_cast<std::int64_t>(i), 1), from_vector(in, {1, T})).data();
        const std::vector<float> l = logits.to_vector<float>();  // (1, T, V)
        for (std::int64_t t = 0; t < T; ++t) {
            const float* row = l.data() + t * 9;
            CHECK(std::max_element(row, row + 9) - row == out[static_cast<std::size_t>(t)]);
        }
    }
}

TEST_CASE("decoding: a padded batch decodes to what each source gives alone, greedy and beam") {
    for (bool norm_first : {false, true}) {
        INFO((norm_first ? "pre-norm" : "post-norm"));
        manual_seed(15);
        Transformer m(small_config(norm_first));
        Generator gen(16);
        const std::vector<std::int64_t> lengths = {5, 2, 4, 1, 3};
        std::vector<std::int64_t> ids = random_ids(5, 5, 11, gen).to_vector<std::int64_t>();
        for (std::size_t i = 0; i < 5; ++i)
            for (std::int64_t t = lengths[i]; t < 5; ++t) ids[i * 5 + static_cast<std::size_t>(t)] = 0;  // [PAD]
        const Tensor src = from_vector(ids, {5, 5});
        const Tensor padding = key_padding_mask(from_vector(lengths), 5);
        BeamOptions o;
        o.bos_id = 1, o.eos_id = 2, o.max_len = 6, o.beam_size = 3;
        const auto greedy = greedy_decode(m, src, padding, o);
        const auto beam = beam_search(m, src, padding, o);
        for (std::size_t i = 0; i < 5; ++i) {
            INFO("item ", i, ", length ", lengths[i]);
            const Tensor alone = src.narrow(0, static_cast<std::int64_t>(i), 1).narrow(1, 0, lengths[i]);  // (1, L)
            CHECK(greedy[i] == greedy_decode(m, alone, Tensor(), o)[0]);
            const Hypothesis h = beam_search(m, alone, Tensor(), o)[0];
            CHECK(beam[i].tokens == h.tokens);
            CHECK(beam[i].log_prob == doctest::Approx(h.log_prob).epsilon(1e-5));
        }
    }
}

TEST_CASE("decoding: a beam wider than every extension returns the best of all enumerated outputs") {
    // V = 9 target tokens ([BOS] 1, [EOS] 2), max_len 3. The outputs are y1..yk [EOS] with
    // k <= 2 tokens from the 8 that are not [EOS], or 3 such tokens left open at max_len:
    // 1 + 8 + 64 + 512 of them. One teacher-forced forward of [BOS] a b for all 64 pairs (a, b)
    // gives every log-probability they need. Beam width 600 > 8 * 8 * 9 keeps every prefix, so
    // the only pruning left is the stopping rule (stop after the step whose best extension is
    // [EOS]); we apply it here, then take the argmax of log P / |y|^alpha.
    const std::int64_t V = 9, bos = 1, eos = 2;
    std::vector<std::int64_t> tokens;  // the 8 non-[EOS] tokens ([PAD] and [BOS] included: nothing is masked)
    for (std::int64_t v = 0; v < V; ++v)
        if (v != eos) tokens.push_back(v);
    std::vector<std::int64_t> pairs;  // (64, 3): [BOS] a b
    for (std::int64_t a : tokens)
        for (std::int64_t b : tokens) pairs.insert(pairs.end(), {bos, a, b});
    const Tensor tgt_in = from_vector(pairs, {64, 3});

    struct Output {
        std::vector<std::int64_t> tokens;
        double log_prob;
        bool finished;
        std::int64_t step;  // the step (0, 1, 2) whose extension produces it
        bool complete;      // an output; else a prefix of 1 or 2 tokens, an extension that lives on
    };
    for (double alpha : {0.0, 0.6}) {
        manual_seed(17);
        Transformer m(small_config());
        Generator gen(18);
        const Tensor src = random_ids(6, 4, 11, gen);
        BeamOptions o;
        o.bos_id = bos, o.eos_id = eos, o.max_len = 3, o.beam_size = 600, o.length_alpha = alpha;
        const std::vector<Hypothesis> hyps = beam_search(m, src, Tensor(), o);
        m.eval();
        NoGradGuard no_grad;
        int lengths_seen[4] = {0, 0, 0, 0};
        for (std::int64_t e = 0; e < 6; ++e) {
            const Tensor srcs = index_select(src, 0, full({64}, static_cast<double>(e), DType::Int64));  // (64, Ts)
            const std::vector<double> lp =
                log_softmax(m.forward(srcs, tgt_in).data().to(f64), -1).to_vector<double>();  // (64, 3, V)
            const auto logp = [&](std::size_t row, std::size_t t, std::int64_t v) {
                return lp[(row * 3 + t) * V + static_cast<std::size_t>(v)];
            };
            // Every extension the search can make (outputs and the prefixes that live on), with
            // the teacher-forced log-probability of its tokens.
            std::vector<Output> all;
            all.push_back({{}, logp(0, 0, eos), true, 0, true});
            for (std::size_t ia = 0; ia < 8; ++ia) {
                const std::size_t row_a = ia * 8;  // any row starting [BOS] a
                const double pa = logp(row_a, 0, tokens[ia]);
                all.push_back({{tokens[ia]}, pa, false, 0, false});
                all.push_back({{tokens[ia]}, pa + logp(row_a, 1, eos), true, 1, true});
                for (std::size_t ib = 0; ib < 8; ++ib) {
                    const std::size_t row = ia * 8 + ib;
                    const double pab = pa + logp(row, 1, tokens[ib]);
                    all.push_back({{tokens[ia], tokens[ib]}, pab, false, 1, false});
                    all.push_back({{tokens[ia], tokens[ib]}, pab + logp(row, 2, eos), true, 2, true});
                    for (std::int64_t c : tokens)
                        all.push_back({{tokens[ia], tokens[ib], c}, pab + logp(row, 2, c), false, 2, true});
                }
            }
            // The stopping rule: the first step whose most likely extension is an [EOS] one.
            std::int64_t stop = 3;
            for (std::int64_t step = 0; step < 3 && stop == 3; ++step) {
                const Output* best = nullptr;
                for (const Output& out : all)
                    if (out.step == step && (best == nullptr || out.log_prob > best->log_prob)) best = &out;
                if (best->finished) stop = step;
            }
            const auto score = [&](const Output& out) {
                const double length = static_cast<double>(out.tokens.size() + (out.finished ? 1 : 0));
                return out.log_prob / std::pow(length, alpha);
            };
            const Output* want = nullptr;
            const Output* global = nullptr;  // ignoring the stopping rule
            for (const Output& out : all) {
                if (!out.complete) continue;
                if (global == nullptr || score(out) > score(*global)) global = &out;
                const bool reached = out.finished ? out.step <= stop : stop == 3;
                if (reached && (want == nullptr || score(out) > score(*want))) want = &out;
            }
            const Hypothesis& h = hyps[static_cast<std::size_t>(e)];
            INFO("alpha ", alpha, ", example ", e, ", search stopped after step ", stop);
            CHECK(h.tokens == want->tokens);
            CHECK(h.finished == want->finished);
            CHECK(h.log_prob == doctest::Approx(want->log_prob).epsilon(1e-5));
            CHECK(h.score == doctest::Approx(score(*want)).epsilon(1e-5));
            // With raw log-probabilities the rule loses nothing: an [EOS] extension that beats
            // every live prefix beats all their continuations too, which only lose probability.
            if (alpha == 0.0) CHECK(want == global);
            ++lengths_seen[want->tokens.size()];
        }
        MESSAGE("alpha ", alpha, ": best outputs of 0, 1, 2, 3 tokens: ", lengths_seen[0], ", ", lengths_seen[1], ", ",
                lengths_seen[2], ", ", lengths_seen[3]);
    }
}

}  // TEST_SUITE
