// Checkers of lesson 07's exercises (lessons/07_tiny_bert/EXERCISES.md). The masking is random,
// so 07.1 checks what must hold for every draw (how many chosen per row, specials never chosen,
// labels and inputs consistent, replacements ordinary) and the 80/10/10 shares over many rows
// against binomial bounds, also with non-default MaskingOptions; 07.2 and 07.3 compare with
// nn::masked_lm_loss and nn::BertEmbeddings::forward on random and edge inputs (07.3 also in
// training mode with dropout), with the float64 gradcheck; the experiment's number (the add-one
// unigram cross-entropy of the --quick held-out targets) is recomputed from the lesson's data.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.hpp"
#include "lessons/07_tiny_bert/exercises/embeddings.hpp"
#include "lessons/07_tiny_bert/exercises/masking.hpp"
#include "lessons/07_tiny_bert/exercises/mlm_loss.hpp"
#include "lessons/07_tiny_bert/settings.hpp"
#include "nn/bert/pretraining.hpp"
#include "exercises/exercise_check.hpp"

using namespace qkv;
using qkv::exercise::check_close;

namespace {

// BERT's specials (ids 0-4) and 15 ordinary words (ids 5-19).
nn::Vocab small_vocab() {
    std::vector<std::string> tokens = nn::special::bert;
    for (int i = 0; i < 15; ++i) tokens.push_back(cat("w", i));
    return nn::Vocab(tokens);
}

// Rows "[CLS] w.. [SEP] w.. [SEP] [PAD]..", of random lengths, as a (B, T) batch.
Tensor random_batch(const nn::Vocab& v, std::int64_t B, std::int64_t T, Generator& gen) {
    std::vector<std::int64_t> flat;
    for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t len = 3 + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(T - 2)));  // 3 .. T
        const std::int64_t sep = 1 + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(len - 2)));
        for (std::int64_t t = 0; t < T; ++t) {
            if (t == 0) flat.push_back(v.id("[CLS]"));
            else if (t == sep || t == len - 1) flat.push_back(v.id("[SEP]"));
            else if (t >= len) flat.push_back(v.pad_id());
            else flat.push_back(5 + static_cast<std::int64_t>(gen.below(15)));
        }
    }
    return from_vector(flat, {B, T});
}

nn::BertConfig small_bert(std::int64_t V) {
    nn::BertConfig c;
    c.vocab_size = V, c.hidden_size = 8, c.num_hidden_layers = 1, c.num_attention_heads = 2;
    c.intermediate_size = 16, c.max_position_embeddings = 12, c.hidden_dropout_prob = 0.0;
    c.attention_probs_dropout_prob = 0.0;
    return c;
}

}  // namespace

TEST_CASE("exercise 07.1: BERT's 80/10/10 masking") {
    exercise::run("07.1", [] {
        const nn::Vocab v = small_vocab();
        Generator data(71), draws(72);
        const Tensor ids = random_batch(v, 2000, 16, data);
        const nn::MaskedTokens m = exercises::mask_tokens(ids, v, draws);
        for (const auto& [field, t] : {std::pair<const char*, const Tensor*>{"input_ids", &m.input_ids}, {"targets", &m.targets},
                                       {"chosen", &m.chosen}, {"labels", &m.labels}}) {
            const char* name = field;  // Clang 14 cannot capture a structured binding, as INFO does
            INFO("mask_tokens on ids (2000, 16): ", std::string(name), " must be defined and (2000, 16)");
            REQUIRE(t->defined());
            REQUIRE(t->shape() == ids.shape());
        }
        REQUIRE_MESSAGE(m.chosen.dtype() == DType::Bool, "chosen must be a bool tensor");
        check_close("targets == the ids given", ids, m.targets, 0, 0);
        const auto id = ids.to_vector<std::int64_t>(), in = m.input_ids.to_vector<std::int64_t>(),
                   lab = m.labels.to_vector<std::int64_t>();
        const auto ch = m.chosen.to_vector<std::uint8_t>();
        std::int64_t n_mask = 0, n_random = 0, n_kept = 0, n_chosen = 0;
        for (std::int64_t b = 0; b < 2000; ++b) {
            std::int64_t candidates = 0, chosen = 0;
            for (std::int64_t t = 0; t < 16; ++t) {
                const auto i = static_cast<std::size_t>(b * 16 + t);
                const bool special = v.is_special(id[i]);
                candidates += !special;
                if (!ch[i]) {
                    if (in[i] != id[i] || lab[i] != -100) {
                        FAIL_CHECK("exercise 07.1: row ", b, " position ", t, " is not chosen, so its input must stay ", id[i],
                                   " and its label -100; got input ", in[i], ", label ", lab[i]);
                        return;
                    }
                    continue;
                }
                ++chosen;
                if (special) {
                    FAIL_CHECK("exercise 07.1: row ", b, " position ", t, " holds the special token ", v.token(id[i]),
                               " and was chosen. hint: only ordinary tokens are candidates.");
                    return;
                }
                if (lab[i] != id[i]) {
                    FAIL_CHECK("exercise 07.1: row ", b, " position ", t, " is chosen: its label must be the original token ", id[i],
                               ", got ", lab[i]);
                    return;
                }
                if (in[i] == v.mask_id()) ++n_mask;
                else if (in[i] == id[i]) ++n_kept;
                else if (v.is_special(in[i])) {
                    FAIL_CHECK("exercise 07.1: row ", b, " position ", t, " was replaced by the special token ", v.token(in[i]),
                               ". hint: a random replacement is drawn from the ordinary tokens only.");
                    return;
                } else ++n_random;
            }
            const std::int64_t k =  // none when the row has no ordinary token
                candidates ? std::max<std::int64_t>(1, std::llround(0.15 * static_cast<double>(candidates))) : 0;
            if (chosen != k) {
                FAIL_CHECK("exercise 07.1: row ", b, " has ", candidates, " ordinary tokens, so max(1, round(0.15 * ", candidates, ")) = ", k,
                           " must be chosen; got ", chosen, ". hint: draw exactly k distinct positions (a partial shuffle), "
                           "not a coin flip per token.");
                return;
            }
            n_chosen += chosen;
        }
        // The shares among the chosen, within 5 standard deviations of 80/10/10 (a random token
        // equal to the original counts as kept: p(random) is 0.1 * 14/15 here, p(kept) 0.1 + 0.1/15).
        const double n = static_cast<double>(n_chosen);
        const auto within = [&](const char* what, std::int64_t count, double p) {
            const double sd = std::sqrt(n * p * (1 - p));
            INFO("exercise 07.1: of ", n_chosen, " chosen positions, ", std::string(what), ": ", count, " (", count / n,
                 "), expected about ", p * n, " (", p, "). hint: ONE uniform u per chosen token: u < 0.8 -> [MASK], "
                 "u < 0.9 -> a random ordinary token, else unchanged.");
            CHECK(std::abs(static_cast<double>(count) - p * n) <= 5 * sd);
        };
        within("[MASK]", n_mask, 0.8);
        within("a random other token", n_random, 0.1 * 14.0 / 15.0);
        within("unchanged", n_kept, 0.1 + 0.1 / 15.0);

        // Every chosen slot equally likely: position counts over rows of one fixed layout.
        Generator g2(73);
        const Tensor same = from_vector(std::vector<std::int64_t>{2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 3}, {1, 12}).expand({3000, 12}).contiguous();
        const auto c2 = exercises::mask_tokens(same, v, g2).chosen.to_vector<std::uint8_t>();
        for (std::int64_t t = 1; t <= 10; ++t) {  // 10 candidates, k = 2 (round(1.5) = 2): p = 0.2 each
            std::int64_t hits = 0;
            for (std::int64_t b = 0; b < 3000; ++b) hits += c2[static_cast<std::size_t>(b * 12 + t)];
            INFO("exercise 07.1: rows [CLS] w0..w9 [SEP]: position ", t, " chosen ", hits, " times of 3000, expected about 600 "
                 "(2 of 10 candidates). hint: choose uniformly among the candidates, without replacement.");
            CHECK(std::abs(static_cast<double>(hits) - 600.0) <= 5 * std::sqrt(3000 * 0.2 * 0.8));
        }
        // The options are used, not the defaults written in: 40% chosen, split 50/30/20.
        {
            nn::MaskingOptions o;
            o.mlm_probability = 0.4, o.mask_fraction = 0.5, o.random_fraction = 0.3;
            Generator g4(75);
            const std::int64_t rows = 1000;  // [CLS] w0..w9 [SEP]: 10 candidates, k = round(4.0) = 4
            const nn::MaskedTokens mo = exercises::mask_tokens(same.narrow(0, 0, rows), v, g4, o);
            const auto ino = mo.input_ids.to_vector<std::int64_t>(), ido = same.narrow(0, 0, rows).contiguous().to_vector<std::int64_t>();
            const auto cho = mo.chosen.to_vector<std::uint8_t>();
            std::int64_t chosen = 0, masked = 0, kept = 0;
            for (std::size_t i = 0; i < cho.size(); ++i)
                if (cho[i]) ++chosen, masked += ino[i] == v.mask_id(), kept += ino[i] == ido[i];
            INFO("exercise 07.1 with MaskingOptions{mlm_probability 0.4, mask_fraction 0.5, random_fraction 0.3} on ",
                 rows, " rows of 10 candidates: chosen ", chosen, " (expected ", 4 * rows, "), [MASK] ", masked,
                 ", unchanged ", kept, ". hint: use options.mlm_probability, options.mask_fraction and "
                 "options.random_fraction, not the default numbers 0.15, 0.8 and 0.1.");
            CHECK(chosen == 4 * rows);
            const double n = static_cast<double>(chosen), p_mask = 0.5, p_kept = 0.2 + 0.3 / 15.0;
            CHECK(std::abs(static_cast<double>(masked) - p_mask * n) <= 5 * std::sqrt(n * p_mask * (1 - p_mask)));
            CHECK(std::abs(static_cast<double>(kept) - p_kept * n) <= 5 * std::sqrt(n * p_kept * (1 - p_kept)));
        }
        // A row of specials only: nothing to choose, nothing changes.
        Generator g3(74);
        const Tensor specials = from_vector(std::vector<std::int64_t>{2, 3, 0, 0}, {1, 4});
        const nn::MaskedTokens e = exercises::mask_tokens(specials, v, g3);
        check_close("mask_tokens on a row of specials only: input unchanged", specials, e.input_ids, 0, 0);
        CHECK_MESSAGE(sum(e.chosen.to(DType::Int64)).item() == 0, "a row of specials only has nothing to choose");
    });
}

TEST_CASE("exercise 07.2: The MLM loss over the chosen positions") {
    exercise::run("07.2", [] {
        INFO("hint: only the chosen positions count, in the sum AND in the mean; the targets elsewhere may be anything "
             "(even out of range): pick the chosen rows (index_select) or give the others cross_entropy's ignore_index.");
        Generator gen(81);
        const auto compare = [&](const char* what, const Var& logits, const Tensor& targets, const Tensor& chosen) {
            check_close(cat("masked_lm_loss, ", what, ", logits ", shape_str(logits.shape())),
                        nn::masked_lm_loss(logits, targets, chosen).data(),
                        exercises::masked_lm_loss(logits, targets, chosen).data(), 1e-5, 1e-6);
        };
        const Tensor chosen = from_vector(std::vector<std::uint8_t>{1, 0, 0, 1, 0, 1, 0, 0}, {2, 4}).to(DType::Bool);
        compare("3 of 8 chosen", Var(randn({2, 4, 7}, 0, 2, DType::Float32, gen)), randint(0, 7, {2, 4}, gen), chosen);
        // The unchosen targets are garbage: out of the vocabulary, negative. They must not matter.
        const Tensor garbage = from_vector(std::vector<std::int64_t>{3, 99, -7, 6, 1000, 2, -100, 5}, {2, 4});
        compare("3 of 8 chosen, the other targets out of range", Var(randn({2, 4, 7}, 0, 2, DType::Float32, gen)), garbage, chosen);
        compare("one position chosen", Var(randn({1, 5, 3}, 0, 1, DType::Float32, gen)),
                from_vector(std::vector<std::int64_t>{0, 0, 2, 0, 0}, {1, 5}),
                from_vector(std::vector<std::uint8_t>{0, 0, 1, 0, 0}, {1, 5}).to(DType::Bool));
        compare("non-contiguous logits", Var(randn({6, 2, 3}, 0, 1, DType::Float32, gen).permute({1, 2, 0})),
                randint(0, 6, {2, 3}, gen), lt(rand({2, 3}, 0, 1, DType::Float32, gen), full({2, 3}, 0.7)));
        const Var some(randn({2, 4, 7}, 0, 1, DType::Float32, gen));
        exercise::check_that(
            exercise::throws_error([&] { exercises::masked_lm_loss(some, garbage, zeros({2, 4}, DType::Bool)); }),
            "masked_lm_loss with no position chosen must throw qkv::Error", "a mean over zero positions is NaN: fail(...) instead");

        Generator g64(82);
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Var>& x) { return exercises::masked_lm_loss(x[0], garbage, chosen); },
            {randn({2, 4, 7}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of masked_lm_loss over the logits (float64); unchosen positions must get zero gradient");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 07.3: BERT's input embeddings") {
    exercise::run("07.3", [] {
        INFO("hint: word_embeddings(ids) + the first T rows of position_embeddings + token_type_embeddings(types) "
             "(segment 0 everywhere when types are undefined), then layer_norm, then dropout.");
        Generator gen(91);
        nn::BertEmbeddings emb(small_bert(20), gen);
        // Training values for the tables: BERT's N(0, 0.02) start would hide a missing term in the noise.
        for (Var* w : {&emb.word_embeddings.weight, &emb.position_embeddings.weight, &emb.token_type_embeddings.weight})
            *w = nn::parameter(randn(w->shape(), 0, 1, DType::Float32, gen));
        emb.eval();
        const Tensor ids = randint(0, 20, {3, 7}, gen), types = randint(0, 2, {3, 7}, gen);
        check_close("bert_embeddings, ids (3, 7) with token types", emb.forward(ids, types).data(),
                    exercises::bert_embeddings(emb, ids, types).data(), 1e-5, 1e-5);
        check_close("bert_embeddings, ids (3, 7), token types undefined (all 0)", emb.forward(ids).data(),
                    exercises::bert_embeddings(emb, ids).data(), 1e-5, 1e-5);
        const Tensor one = randint(0, 20, {1, 1}, gen);
        check_close("bert_embeddings, one token", emb.forward(one).data(), exercises::bert_embeddings(emb, one).data(), 1e-5, 1e-5);
        const Tensor full_len = randint(0, 20, {2, 12}, gen);
        check_close("bert_embeddings, T = max_position_embeddings = 12", emb.forward(full_len).data(),
                    exercises::bert_embeddings(emb, full_len).data(), 1e-5, 1e-5);

        // Training mode with dropout 0.3: each Dropout module draws from its own generator, so two
        // identically built modules agree when the dropout is applied once, after the LayerNorm.
        nn::BertConfig dc = small_bert(20);
        dc.hidden_dropout_prob = 0.3;
        Generator gm(93), gl(93), gt(94);
        nn::BertEmbeddings mine(dc, gm), lib(dc, gl);
        mine.train(), lib.train();
        const Tensor ids_t = randint(0, 20, {2, 6}, gt), types_t = randint(0, 2, {2, 6}, gt);
        check_close("bert_embeddings in training mode with dropout 0.3 (Dropout(LayerNorm(e)): dropout last, once)",
                    lib.forward(ids_t, types_t).data(), exercises::bert_embeddings(mine, ids_t, types_t).data(), 1e-5, 1e-5);

        Generator g64(92);
        nn::BertEmbeddings e64(small_bert(20), g64);
        e64.to(DType::Float64);
        e64.eval();
        const Tensor ids64 = randint(0, 20, {2, 3}, g64), types64 = randint(0, 2, {2, 3}, g64);
        const GradcheckResult r = gradcheck(
            [&](const std::vector<Var>& w) {
                e64.word_embeddings.weight = w[0], e64.position_embeddings.weight = w[1], e64.token_type_embeddings.weight = w[2];
                return exercises::bert_embeddings(e64, ids64, types64);
            },
            {randn({20, 8}, 0, 1, DType::Float64, g64), randn({12, 8}, 0, 1, DType::Float64, g64),
             randn({2, 8}, 0, 1, DType::Float64, g64)});
        INFO("gradcheck of bert_embeddings over the three tables (float64)");
        CHECK_MESSAGE(r.ok, r.message);
    });
}

TEST_CASE("exercise 07.4: The unigram floor") {
    exercise::run("07.4", [] {
        const double answer = exercise::answer("07.4");
        // The lesson's --quick data and held-out pairs (seed 0), as `lesson07 --quick` makes them.
        const lesson07::LessonSettings s = lesson07::LessonSettings::quick();
        const lesson07::LessonData data = lesson07::make_lesson_data(0, s.train_docs, s.heldout_docs, s.vocab_size);
        const lesson07::HeldoutPairs held = lesson07::make_heldout_pairs(data, s.heldout_pairs, 0);
        // Add-one unigram model of the training sentences: p(v) = (count(v) + 1) / (N + V).
        const std::int64_t V = data.tokenizer.vocab().size();
        std::vector<double> count(static_cast<std::size_t>(V), 0.0);
        double N = 0;
        for (const auto& doc : data.train.sentences)
            for (const auto& sentence : doc)
                for (std::int64_t id : sentence) count[static_cast<std::size_t>(id)] += 1, N += 1;
        const auto chosen = held.masked.chosen.to_vector<std::uint8_t>();
        const auto targets = held.masked.targets.to_vector<std::int64_t>();
        double loss = 0;
        std::int64_t n = 0;
        for (std::size_t i = 0; i < chosen.size(); ++i)
            if (chosen[i]) loss -= std::log((count[static_cast<std::size_t>(targets[i])] + 1) / (N + static_cast<double>(V))), ++n;
        const double truth = loss / static_cast<double>(n);
        INFO("exercise 07.4: your answer ", answer, ", the add-one unigram cross-entropy over the ", n,
             " held-out chosen positions of the --quick data is ", truth, ". hint: count every id of "
             "data.train.sentences, p(v) = (count(v) + 1) / (N + V), and average -ln p(target) over the positions "
             "where heldout.masked.chosen is true.");
        CHECK(std::abs(answer - truth) <= 0.0011);
    });
}
