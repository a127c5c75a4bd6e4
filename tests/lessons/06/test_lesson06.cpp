// Lesson 06: the task generators against their rules written out here, the toy translation
// on a sentence translated by hand, held-out items kept out of training, the batches the
// decoder is taught with, and a short training run (schedule, determinism). The outcomes at
// the full budget are in test_lesson06_slow.cpp.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "lessons/06_transformer/flags.hpp"
#include "lessons/06_transformer/toy_translation.hpp"
#include "lessons/06_transformer/training.hpp"

using namespace qkv;
using namespace qkv::lesson06;

namespace {

std::int64_t id_of(const std::vector<std::string>& vocab, const std::string& word) {
    for (std::size_t i = 0; i < vocab.size(); ++i)
        if (vocab[i] == word) return static_cast<std::int64_t>(i);
    FAIL("no word " << word);
    return -1;
}

}  // namespace

TEST_SUITE("lesson06") {

TEST_CASE("sequence tasks: targets follow the rules, lengths and symbols stay in range") {
    Generator gen(1);
    for (Task task : {Task::Copy, Task::Reverse, Task::Sort}) {
        const TaskSpec spec = make_task(task, 0);
        CHECK(spec.src_words.size() == 13);  // 3 specials + 10 symbols
        for (int n = 0; n < 200; ++n) {
            const Example e = spec.sample(gen);
            const auto L = static_cast<std::int64_t>(e.src.size());
            REQUIRE(L >= 3);
            REQUIRE(L <= 8);
            REQUIRE(e.tgt.size() == e.src.size());
            for (std::int64_t i = 0; i < L; ++i) {
                const std::int64_t s = e.src[static_cast<std::size_t>(i)];
                CHECK((s >= kFirstWord && s < 13));
                if (task == Task::Copy) CHECK(e.tgt[static_cast<std::size_t>(i)] == s);
                if (task == Task::Reverse) CHECK(e.tgt[static_cast<std::size_t>(L - 1 - i)] == s);
            }
            if (task == Task::Sort) {
                // Sorted, and the same multiset: count each symbol on both sides.
                for (std::size_t i = 1; i < e.tgt.size(); ++i) CHECK(e.tgt[i - 1] <= e.tgt[i]);
                std::vector<int> count(13, 0);
                for (std::int64_t s : e.src) ++count[static_cast<std::size_t>(s)];
                for (std::int64_t s : e.tgt) --count[static_cast<std::size_t>(s)];
                for (int c : count) CHECK(c == 0);
            }
        }
    }
    CHECK_THROWS_AS(parse_task("shuffle"), Error);
    // The message lists every value --task accepts, `all` included.
    CHECK_THROWS_WITH(parse_task("shuffle"), doctest::Contains("copy, reverse, sort, translate or all"));
    CHECK(parse_task("sort") == Task::Sort);
}

TEST_CASE("toy translation: SVO becomes SOV, adjectives follow their nouns, particles mark the roles") {
    const ToyLanguages l = make_toy_languages(0);
    CHECK(l.nouns.size() == 8);
    CHECK(l.verbs.size() == 6);
    CHECK(l.adjectives.size() == 5);
    // Target words are distinct (the mapping is one to one).
    CHECK(std::set<std::string>(l.tgt_words.begin(), l.tgt_words.end()).size() == l.tgt_words.size());
    const auto src = [&](const std::string& w) { return id_of(l.src_words, w); };
    const auto tgt = [&](const std::string& w) { return l.to_target[static_cast<std::size_t>(src(w))]; };
    // "big cat chases small dog" -> cat' big' ga dog' small' wo chases'
    const std::vector<std::int64_t> sentence = {src("big"), src("cat"), src("chases"), src("small"), src("dog")};
    const std::vector<std::int64_t> expected = {tgt("cat"), tgt("big"), l.subject_particle, tgt("dog"), tgt("small"),
                                                l.object_particle, tgt("chases")};
    CHECK(translate(l, sentence) == expected);
    // "dog sees bird" -> dog' ga bird' wo sees'
    CHECK(translate(l, {src("dog"), src("sees"), src("bird")}) ==
          std::vector<std::int64_t>{tgt("dog"), l.subject_particle, tgt("bird"), l.object_particle, tgt("sees")});
    // Not sentences of the grammar.
    CHECK_THROWS_AS(translate(l, {src("dog"), src("sees")}), Error);
    CHECK_THROWS_AS(translate(l, {src("big"), src("sees"), src("dog")}), Error);
    CHECK_THROWS_AS(translate(l, {src("dog"), src("sees"), src("cat"), src("cat")}), Error);
    // A sampled sentence has 3 to 5 words and translates to its target.
    Generator gen(2);
    for (int n = 0; n < 100; ++n) {
        const Example e = sample_sentence(l, gen);
        CHECK(e.src.size() >= 3);
        CHECK(e.src.size() <= 5);
        CHECK(e.tgt.size() == e.src.size() + 2);
        // The last target word is the verb's translation, wherever the verb stood.
        std::int64_t verb = -1;
        for (std::int64_t w : e.src)
            for (std::int64_t v : l.verbs)
                if (w == v) verb = w;
        REQUIRE(verb >= 0);
        CHECK(e.tgt.back() == l.to_target[static_cast<std::size_t>(verb)]);
    }
}

TEST_CASE("held-out items have distinct sources and never appear in training") {
    for (Task task : {Task::Copy, Task::Translate}) {
        const TaskSpec spec = make_task(task, 0);
        const TaskData data = make_held_out(spec, 1000, 5);
        CHECK(data.held_out.size() == 1000);
        CHECK(data.held_out_sources.size() == 1000);
        Generator gen(6);
        for (int n = 0; n < 3000; ++n) CHECK_FALSE(data.held_out_sources.count(sample_training(spec, data, gen).src));
    }
}

TEST_CASE("batches: tgt_in is BOS then y, tgt_out is y then EOS, both padded, and the source padding is marked") {
    const Batch b = make_batch({{{3, 4, 5}, {5, 4, 3}}, {{6}, {6}}});
    CHECK(b.src.to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 4, 5, 6, kPad, kPad});
    CHECK(b.src_padding.to(DType::Int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0, 0, 1, 1});
    CHECK(b.tgt_in.to_vector<std::int64_t>() == std::vector<std::int64_t>{kBos, 5, 4, 3, kBos, 6, kPad, kPad});
    CHECK(b.tgt_out.to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 4, 3, kEos, 6, kEos, kPad, kPad});
}

TEST_CASE("a short training run follows the Noam schedule, lowers the loss and repeats exactly") {
    TrainConfig c;
    c.steps = 30, c.held_out = 50, c.curve_items = 20, c.curve_points = 3, c.batch_size = 32;
    const TaskSpec spec = make_task(Task::Reverse, 0);
    const TrainResult a = train(spec, c), b = train(spec, c);
    REQUIRE(a.lr.size() == 30);
    // Update s = i + 1 (counting from 1) uses lr(s) = factor * d^-0.5 * min(s^-0.5, s * w^-1.5), by hand:
    for (std::size_t i = 0; i < a.lr.size(); ++i) {
        const double s = static_cast<double>(i + 1);
        const double want = c.lr_factor / std::sqrt(static_cast<double>(c.d_model)) *
                            std::min(1 / std::sqrt(s), s * std::pow(static_cast<double>(c.warmup), -1.5));
        CHECK(a.lr[i] == doctest::Approx(want).epsilon(1e-12));
    }
    CHECK(a.train_loss == b.train_loss);  // same seed, same numbers
    CHECK(a.held_loss.size() == 3);
    double first = 0, last = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        first += a.train_loss[i];
        last += a.train_loss[a.train_loss.size() - 1 - i];
    }
    CHECK(last < first);
    // Evaluation runs both decoders and scores them against the targets.
    const EvalResult e = evaluate(*a.model, spec, a.data.held_out, c);
    REQUIRE(e.greedy.size() == 50);
    REQUIRE(e.beam.size() == 50);
    // Count the exact matches here: the whole sequence, length included, must equal the target.
    const auto exact = [](const std::vector<std::vector<std::int64_t>>& got, const std::vector<Example>& examples) {
        int right = 0;
        for (std::size_t i = 0; i < examples.size(); ++i) {
            const std::vector<std::int64_t>& want = examples[i].tgt;
            bool same = got[i].size() == want.size();
            for (std::size_t t = 0; same && t < want.size(); ++t) same = got[i][t] == want[t];
            right += same;
        }
        return right;
    };
    CHECK(e.greedy_exact == doctest::Approx(exact(e.greedy, a.data.held_out) / 50.0).epsilon(1e-12));
    CHECK(e.beam_exact == doctest::Approx(exact(e.beam, a.data.held_out) / 50.0).epsilon(1e-12));
    // After 30 steps few items are right, so score again against targets that are, for every
    // other item, the model's own greedy output: at least those 25 must count.
    std::vector<Example> rigged = a.data.held_out;
    for (std::size_t i = 0; i < rigged.size(); i += 2) rigged[i].tgt = e.greedy[i];
    const EvalResult r = evaluate(*a.model, spec, rigged, c);
    CHECK(r.greedy == e.greedy);  // decoding is deterministic
    const int right = exact(r.greedy, rigged);
    MESSAGE("after 30 steps: greedy ", exact(e.greedy, a.data.held_out), "/50 right; against the rigged targets ",
            right, "/50");
    CHECK(right >= 25);
    CHECK(r.greedy_exact == doctest::Approx(right / 50.0).epsilon(1e-12));
}

TEST_CASE("flags: values are applied, bad ones refused with the flag's name") {
    TrainConfig c;
    apply_flags({{"norm", "pre"}, {"d-model", "64"}, {"layers", "3"}, {"beam", "8"}, {"lr-factor", "0.5"}}, c);
    CHECK(c.norm_first);
    CHECK(c.d_model == 64);
    CHECK(c.d_ff == 128);
    CHECK(c.num_layers == 3);
    CHECK(c.beam_size == 8);
    CHECK(c.lr_factor == 0.5);
    CHECK(tasks_from_flags({}).size() == 4);
    CHECK(tasks_from_flags({{"task", "sort"}}) == std::vector<Task>{Task::Sort});
    TrainConfig d;
    CHECK_THROWS_WITH_AS(apply_flags({{"layers", "two"}}, d), doctest::Contains("--layers expects a number"), Error);
    CHECK_THROWS_WITH_AS(apply_flags({{"layers", "2.5"}}, d), doctest::Contains("--layers must be an integer"), Error);
    CHECK_THROWS_WITH_AS(apply_flags({{"beam", "0"}}, d), doctest::Contains("--beam"), Error);
    CHECK_THROWS_WITH_AS(apply_flags({{"d-model", "30"}}, d), doctest::Contains("multiple"), Error);
    CHECK_THROWS_WITH_AS(apply_flags({{"norm", "middle"}}, d), doctest::Contains("--norm"), Error);
    CHECK_THROWS_WITH_AS(apply_flags({{"dropout", "1.5"}}, d), doctest::Contains("--dropout"), Error);
    CHECK_THROWS_AS(tasks_from_flags({{"task", "shuffle"}}), Error);
}

TEST_CASE("--quick: copy reaches greedy exact match >= 0.9 on its held-out items") {
    // The milestone the README promises for `lesson06 --quick` (seed 0), with its own settings.
    const TrainConfig c = quick_config(Task::Copy, TrainConfig{});
    CHECK(c.steps == quick_copy_steps);
    CHECK(quick_config(Task::Sort, TrainConfig{}).steps == quick_other_steps);
    const TaskSpec spec = make_task(Task::Copy, c.seed);
    TrainResult r = train(spec, c);
    const EvalResult e = evaluate(*r.model, spec, r.data.held_out, c);
    INFO("greedy " << e.greedy_exact << ", beam " << e.beam_exact);
    CHECK(r.data.held_out.size() == 200);
    CHECK(e.greedy_exact >= 0.9);
}

}  // TEST_SUITE
