// Checkers of lesson 06's exercises (lessons/06_transformer/EXERCISES.md): the pre-norm encoder
// layer against TransformerEncoderLayer with norm_first (padding, odd sizes, dropout in training
// mode, float64 gradcheck); one beam-search step against a reference written here and, driven
// step by step, against nn::beam_search on a small random Transformer; the label-smoothed loss
// against nn::label_smoothed_cross_entropy (padding, all padding, non-contiguous logits,
// gradcheck); the experiment's number recomputed by training the lesson's model.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "autograd/gradcheck.hpp"
#include "lessons/06_transformer/exercises/beam_step.hpp"
#include "lessons/06_transformer/exercises/label_smoothing.hpp"
#include "lessons/06_transformer/exercises/pre_norm.hpp"
#include "lessons/06_transformer/training.hpp"
#include "nn/transformer/label_smoothing.hpp"
#include "exercises/exercise_check.hpp"

using namespace qkv;
using qkv::exercise::check_close;

namespace {

nn::LayerConfig layer_config(std::int64_t D, std::int64_t H, std::int64_t F, double dropout) {
    nn::LayerConfig c;
    c.d_model = D, c.num_heads = H, c.d_ff = F, c.dropout = dropout, c.norm_first = true;
    return c;
}

// Beam search's rule, written out independently: sort ALL candidates (stable, by log-prob
// descending; ties to the earlier beam then the smaller token, which the (b, v) order gives).
exercises::BeamStep reference_step(const std::vector<exercises::Beam>& beams, const std::vector<float>& lp,
                                   std::int64_t V, std::int64_t K, std::int64_t eos, double alpha) {
    struct C { double lp; std::size_t b; std::int64_t v; };
    std::vector<C> all;
    for (std::size_t b = 0; b < beams.size(); ++b)
        for (std::int64_t v = 0; v < V; ++v) all.push_back({beams[b].log_prob + lp[b * static_cast<std::size_t>(V) + static_cast<std::size_t>(v)], b, v});
    std::stable_sort(all.begin(), all.end(), [](const C& x, const C& y) { return x.lp > y.lp; });
    exercises::BeamStep out;
    for (std::size_t c = 0; c < std::min<std::size_t>(all.size(), static_cast<std::size_t>(K)); ++c) {
        std::vector<std::int64_t> p = beams[all[c].b].prefix;
        if (all[c].v == eos) {
            out.stop = out.stop || c == 0;
            nn::Hypothesis h;
            h.tokens.assign(p.begin() + 1, p.end());
            h.log_prob = all[c].lp;
            h.score = all[c].lp / std::pow(static_cast<double>(h.tokens.size() + 1), alpha);
            h.finished = true;
            out.finished.push_back(h);
        } else {
            p.push_back(all[c].v);
            out.beams.push_back({p, all[c].lp});
        }
    }
    return out;
}

std::string describe_step(const exercises::BeamStep& s) {
    std::string out = cat("stop = ", s.stop ? "true" : "false", "; beams:");
    for (const auto& b : s.beams) {
        out += " [";
        for (std::int64_t t : b.prefix) out += cat(" ", t);
        out += cat(" ] ", b.log_prob, ";");
    }
    out += " finished:";
    for (const auto& h : s.finished) {
        out += " [";
        for (std::int64_t t : h.tokens) out += cat(" ", t);
        out += cat(" ] log P ", h.log_prob, " score ", h.score, ";");
    }
    return out;
}

bool same_step(const exercises::BeamStep& a, const exercises::BeamStep& b) {
    if (a.stop != b.stop || a.beams.size() != b.beams.size() || a.finished.size() != b.finished.size()) return false;
    for (std::size_t i = 0; i < a.beams.size(); ++i)
        if (a.beams[i].prefix != b.beams[i].prefix || std::abs(a.beams[i].log_prob - b.beams[i].log_prob) > 1e-9) return false;
    for (std::size_t i = 0; i < a.finished.size(); ++i)
        if (a.finished[i].tokens != b.finished[i].tokens || std::abs(a.finished[i].log_prob - b.finished[i].log_prob) > 1e-9 ||
            std::abs(a.finished[i].score - b.finished[i].score) > 1e-9 || !b.finished[i].finished)
            return false;
    return true;
}

void check_step(const char* what, const std::vector<exercises::Beam>& beams, const std::vector<float>& lp, std::int64_t V,
                std::int64_t K, std::int64_t eos, double alpha) {
    const exercises::BeamStep want = reference_step(beams, lp, V, K, eos, alpha);
    const exercises::BeamStep got = exercises::beam_step(beams, lp, V, K, eos, alpha);
    INFO("exercise 06.2, ", std::string(what), " (", beams.size(), " beams, V = ", V, ", beam_size ", K, ", eos ", eos, ", alpha ", alpha, ")");
    INFO("expected: ", describe_step(want));
    INFO("got:      ", describe_step(got));
    INFO("hint: rank the candidates of ALL beams together by parent log P + log p(token), keep beam_size of them "
         "(ties: earlier beam, then smaller token); an [EOS] candidate becomes a finished hypothesis with score "
         "log P / (tokens + 1)^alpha (its [EOS] counts), finished = true, and stops the search only if it is the best one.");
    CHECK(same_step(want, got));
}

std::vector<float> log_probs(std::size_t rows, std::int64_t V, Generator& gen) {
    return log_softmax(randn({static_cast<std::int64_t>(rows), V}, 0, 2, DType::Float32, gen), -1).to_vector<float>();
}

}  // namespace

TEST_CASE("exercise 06.1: A pre-norm encoder layer") {
    exercise::run("06.1", [] {
        INFO("hint: the LayerNorm goes INSIDE each residual branch: y = x + Dropout(SelfAttention(LN_1(x))), "
             "out = y + Dropout(FFN(LN_2(y))); the residual adds x (and y) un-normalised; pass key_padding as "
             "AttentionMasks{key_padding}.");
        for (const auto& [B, T, D, H, F] : std::vector<std::array<std::int64_t, 5>>{{2, 5, 6, 2, 10}, {1, 1, 4, 4, 3}, {3, 4, 9, 3, 7}}) {
            Generator g1(31), g2(31);
            nn::TransformerEncoderLayer mine(layer_config(D, H, F, 0.0), g1), lib(layer_config(D, H, F, 0.0), g2);
            mine.eval(), lib.eval();
            // LayerNorm's weight and bias start at 1 and 0; random ones catch a swapped norm1 / norm2.
            Generator gw(32);
            for (nn::TransformerEncoderLayer* l : {&mine, &lib}) {
                Generator same(33);
                l->norm1.weight = nn::parameter(randn({D}, 1, 0.3, DType::Float32, same));
                l->norm1.bias = nn::parameter(randn({D}, 0, 0.3, DType::Float32, same));
                l->norm2.weight = nn::parameter(randn({D}, 1, 0.3, DType::Float32, same));
                l->norm2.bias = nn::parameter(randn({D}, 0, 0.3, DType::Float32, same));
            }
            const Var x(randn({B, D, T}, 0, 1, DType::Float32, gw).transpose(1, 2));  // (B, T, D), non-contiguous
            std::vector<std::int64_t> lengths;
            for (std::int64_t b = 0; b < B; ++b) lengths.push_back(std::max<std::int64_t>(1, T - b));
            const Tensor kp = nn::padding_mask(from_vector(lengths), T).squeeze(1);  // (B, T)
            check_close(cat("pre_norm_encoder_layer, x ", shape_str(x.shape()), " (a transposed view), ", H, " heads, d_ff ", F),
                        lib.forward(x).data(), exercises::pre_norm_encoder_layer(mine, x).data(), 1e-5, 1e-5);
            check_close(cat("pre_norm_encoder_layer, x ", shape_str(x.shape()), ", key padding of lengths ", shape_str(Shape(lengths))),
                        lib.forward(x, kp).data(), exercises::pre_norm_encoder_layer(mine, x, kp).data(), 1e-5, 1e-5);
        }
        // Training mode with dropout: each Dropout module draws from its own generator, so two
        // identically built layers agree when each dropout is applied once, where it belongs.
        Generator g1(41), g2(41), gx(42);
        nn::TransformerEncoderLayer mine(layer_config(8, 2, 12, 0.3), g1), lib(layer_config(8, 2, 12, 0.3), g2);
        mine.train(), lib.train();
        const Var x(randn({2, 4, 8}, 0, 1, DType::Float32, gx));
        check_close("pre_norm_encoder_layer in training mode with dropout 0.3 (dropout1 on the attention output, "
                    "dropout2 on the FFN output)",
                    lib.forward(x).data(), exercises::pre_norm_encoder_layer(mine, x).data(), 1e-5, 1e-5);

        Generator g64(43);
        nn::TransformerEncoderLayer l64(layer_config(4, 2, 6, 0.0), g64);
        l64.to(DType::Float64);
        const Tensor kp = nn::padding_mask(from_vector(std::vector<std::int64_t>{3, 2}), 3).squeeze(1);
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Var>& v) { return exercises::pre_norm_encoder_layer(l64, v[0], kp); },
            {randn({2, 3, 4}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of pre_norm_encoder_layer over x with key padding (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 06.2: One step of beam search") {
    exercise::run("06.2", [] {
        // By hand: beam 0 (log P -0.1) and beam 1 (log P -1.0) over V = 4, [EOS] = 3.
        const std::vector<exercises::Beam> two = {{{2, 5}, -0.1}, {{2, 6}, -1.0}};
        const std::vector<float> lp = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f),
                                       std::log(0.1f), std::log(0.1f), std::log(0.1f), std::log(0.7f)};
        check_step("by hand, no [EOS] kept", two, lp, 4, 2, 3, 0.6);
        check_step("by hand, [EOS] of beam 1 kept in third place", two, lp, 4, 3, 3, 0.6);
        const std::vector<float> eos_first = {std::log(0.1f), std::log(0.1f), std::log(0.1f), std::log(0.7f),
                                              std::log(0.25f), std::log(0.25f), std::log(0.25f), std::log(0.25f)};
        check_step("by hand, [EOS] is the best candidate: stop", two, eos_first, 4, 3, 3, 0.6);
        const std::vector<float> ties(8, std::log(0.25f));
        check_step("ties everywhere: earlier beam, then smaller token", {{{2}, 0.0}, {{2}, 0.0}}, ties, 4, 3, 3, 1.0);
        check_step("beam_size larger than all candidates", two, lp, 4, 20, 3, 0.0);

        Generator gen(51);
        for (int trial = 0; trial < 20; ++trial) {
            const std::size_t nb = 1 + gen.below(4);
            const std::int64_t V = 2 + static_cast<std::int64_t>(gen.below(7));
            std::vector<exercises::Beam> beams;
            const std::size_t len = 1 + gen.below(4);
            for (std::size_t b = 0; b < nb; ++b) {
                exercises::Beam beam{{0}, -3.0 * gen.uniform()};
                for (std::size_t t = 1; t < len; ++t) beam.prefix.push_back(static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(V))));
                beams.push_back(beam);
            }
            check_step(cat("random trial ", trial).c_str(), beams, log_probs(nb, V, gen), V,
                       1 + static_cast<std::int64_t>(gen.below(6)), static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(V))),
                       gen.uniform());
        }

        // Driven step by step on a small random Transformer: the same hypotheses as nn::beam_search.
        nn::TransformerConfig c;
        c.src_vocab_size = 9, c.tgt_vocab_size = 9, c.d_model = 8, c.num_heads = 2, c.num_encoder_layers = 1;
        c.num_decoder_layers = 1, c.d_ff = 16, c.dropout = 0.0, c.max_len = 16;
        Generator gm(52);
        nn::Transformer model(c, gm);
        const Tensor src = randint(4, 9, {3, 5}, gm);
        const Tensor pad = nn::padding_mask(from_vector(std::vector<std::int64_t>{5, 3, 4}), 5).squeeze(1);
        for (std::int64_t k : {1, 2, 4}) {
            nn::BeamOptions o;
            o.bos_id = 2, o.eos_id = 3, o.max_len = 6, o.beam_size = k;
            const std::vector<nn::Hypothesis> want = nn::beam_search(model, src, pad, o);
            const std::vector<nn::Hypothesis> got = exercises::beam_search_mine(model, src, pad, o);
            for (std::size_t e = 0; e < want.size(); ++e) {
                INFO("beam search with your beam_step on a random Transformer, beam_size ", k, ", example ", e);
                CHECK_MESSAGE(got[e].tokens == want[e].tokens, "the best hypothesis' tokens differ");
                CHECK(got[e].log_prob == doctest::Approx(want[e].log_prob).epsilon(1e-6));
                CHECK(got[e].finished == want[e].finished);
            }
        }
    });
}

TEST_CASE("exercise 06.3: Label-smoothed cross-entropy") {
    exercise::run("06.3", [] {
        INFO("hint: q(target) = 1 - eps, q(pad) = 0, every other token eps / (V - 2); positions whose target is "
             "pad_id are left out of the sum AND of the count; build q as a plain tensor and take -sum(q * log_softmax) / N.");
        Generator gen(61);
        const auto compare = [&](const char* what, const Var& logits, const Tensor& targets, double eps, std::int64_t pad) {
            check_close(cat("label_smoothed_cross_entropy, ", what, ", logits ", shape_str(logits.shape()), ", eps ", eps,
                            ", pad_id ", pad),
                        nn::label_smoothed_cross_entropy(logits, targets, eps, pad).data(),
                        exercises::label_smoothed_cross_entropy(logits, targets, eps, pad).data(), 1e-5, 1e-6);
        };
        compare("no padding", Var(randn({2, 3, 7}, 0, 1, DType::Float32, gen)), randint(1, 7, {2, 3}, gen), 0.1, 0);
        compare("some padding", Var(randn({3, 4, 5}, 0, 2, DType::Float32, gen)),
                from_vector(std::vector<std::int64_t>{1, 2, 0, 0, 4, 4, 3, 0, 2, 0, 0, 0}, {3, 4}), 0.2, 0);
        compare("pad_id in the middle of the vocabulary", Var(randn({6, 5}, 0, 1, DType::Float32, gen)),
                from_vector(std::vector<std::int64_t>{0, 2, 4, 1, 2, 3}), 0.1, 2);
        compare("eps = 0 (plain cross-entropy)", Var(randn({4, 3}, 0, 1, DType::Float32, gen)),
                from_vector(std::vector<std::int64_t>{1, 2, 1, 0}), 0.0, 0);
        compare("every target is padding (the loss is 0)", Var(randn({2, 2, 4}, 0, 1, DType::Float32, gen)),
                zeros({2, 2}, DType::Int64), 0.1, 0);
        compare("non-contiguous logits", Var(randn({6, 3}, 0, 1, DType::Float32, gen).transpose(0, 1)),
                from_vector(std::vector<std::int64_t>{1, 5, 0}), 0.1, 0);

        Generator g64(62);
        const Tensor t = from_vector(std::vector<std::int64_t>{1, 0, 3, 4, 2, 0}, {2, 3});
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Var>& v) { return exercises::label_smoothed_cross_entropy(v[0], t, 0.1, 0); },
            {randn({2, 3, 5}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of label_smoothed_cross_entropy over the logits (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 06.4: Pre-norm without warmup") {
    exercise::run("06.4", [] {
        const double answer = exercise::answer("06.4");
        // What `lesson06 --task copy --warmup 1 --steps 60 --norm pre` trains (seed 0).
        lesson06::TrainConfig config;
        config.seed = 0, config.steps = 60, config.warmup = 1, config.norm_first = true;
        const lesson06::TrainResult r = lesson06::train(lesson06::make_task(lesson06::Task::Copy, 0), config);
        const double truth = r.train_loss.back();
        INFO("exercise 06.4: your answer ", answer, ", the pre-norm model's final training loss is ", truth,
             ". hint: run `lesson06 --task copy --warmup 1 --steps 60 --norm pre` and copy \"final training loss\".");
        CHECK(std::abs(answer - truth) <= 0.00011);
    });
}
