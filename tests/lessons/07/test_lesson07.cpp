// Lesson 07's invariants and quick runs: the corpus states its facts, next-sentence pairs come
// from where they say, batches have BERT's layout, the baseline is computed on the chosen
// positions, the held-out accuracies equal a naive loop, training is the same for any thread
// count, the saved checkpoint fine-tunes exactly like the model in memory, and --load-hf fills
// masks from a checkpoint under Hugging Face names and refuses an absurd config.json.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "lessons/07_tiny_bert/fill_mask.hpp"
#include "lessons/07_tiny_bert/finetune.hpp"
#include "lessons/07_tiny_bert/pretrain.hpp"
#include "lessons/07_tiny_bert/settings.hpp"
#include "nn/bert/hf_checkpoint.hpp"
#include "temp_dir.hpp"
#include "tensor/atomic_file.hpp"
#include "tensor/thread_pool.hpp"

using namespace qkv;
using namespace qkv::lesson07;

namespace {

bool has_word(const std::string& text, const std::string& word) {
    std::istringstream in(text);
    std::string w;
    while (in >> w)
        if (w == word) return true;
    return false;
}

// The word that carries `fact` for animal `i` (the enemy's name for Fear).
std::string fact_word(int i, Fact fact, bool plural, int wording) {
    const Animal& a = animals()[static_cast<std::size_t>(i)];
    switch (fact) {
        case Fact::Home: return a.home;
        case Fact::Food: return a.food;
        case Fact::Sound: return plural || wording == 2 ? a.sound_p : a.sound_s;
        case Fact::Fear: return animals()[static_cast<std::size_t>(a.fears)].singular;
    }
    return "";
}

const LessonData& small_data() {
    static const LessonData data = make_lesson_data(3, 60, 30, 200);
    return data;
}

}  // namespace

TEST_SUITE("lesson07") {

TEST_CASE("lesson07 documents state each of one animal's four facts once, truly") {
    Generator gen(1);
    for (const Document& d : make_documents(300, gen)) {
        REQUIRE(d.sentences.size() == 4);
        std::vector<int> facts;
        for (const Sentence& s : d.sentences) {
            facts.push_back(static_cast<int>(s.fact));
            CHECK(s.animal == d.animal);
            CHECK(s.plural == d.plural);
            const Animal& a = animals()[static_cast<std::size_t>(d.animal)];
            CHECK(has_word(s.text, d.plural ? a.plural : a.singular));
            CHECK(has_word(s.text, fact_word(d.animal, s.fact, s.plural, s.wording)));
        }
        std::sort(facts.begin(), facts.end());
        CHECK(facts == std::vector<int>{0, 1, 2, 3});
    }
}

TEST_CASE("lesson07 a false sentence states another animal's different value") {
    Generator gen(2);
    for (int i = 0; i < 300; ++i) {
        const Sentence s = make_false_sentence(gen);
        REQUIRE(s.value_of != s.animal);
        const std::string wrong = fact_word(s.value_of, s.fact, s.plural, s.wording);
        CHECK(wrong != fact_word(s.animal, s.fact, s.plural, s.wording));
        CHECK(has_word(s.text, wrong));
        CHECK_FALSE(has_word(s.text, fact_word(s.animal, s.fact, s.plural, s.wording)));
        const Sentence t = make_true_sentence(gen);
        CHECK(t.value_of == t.animal);
    }
    // Each animal is feared by exactly one other, so a masked subject of a fear sentence has one answer.
    std::vector<int> feared(animals().size(), 0);
    for (const Animal& a : animals()) ++feared[static_cast<std::size_t>(a.fears)];
    for (int n : feared) CHECK(n == 1);
}

TEST_CASE("lesson07 next-sentence pairs come from where their label says") {
    const LessonData& data = small_data();
    Generator gen(4);
    int random_next = 0;
    const int n = 4000;
    for (int i = 0; i < n; ++i) {
        const SentencePair p = sample_pair(data.train, gen);
        CHECK(p.a == data.train.sentences[p.doc_a][p.sentence_a]);
        CHECK(p.b == data.train.sentences[p.doc_b][p.sentence_b]);
        if (p.is_random_next) {
            ++random_next;
            CHECK(p.doc_b != p.doc_a);
        } else {
            CHECK(p.doc_b == p.doc_a);
            CHECK(p.sentence_b == p.sentence_a + 1);
        }
    }
    CHECK(std::abs(random_next / double(n) - 0.5) < 0.03);  // 4 standard errors
}

TEST_CASE("lesson07 pair batches are CLS a SEP b SEP with segments and padding") {
    const nn::Vocab& vocab = small_data().tokenizer.vocab();
    SentencePair p1{{10, 11}, {12}, 1}, p2{{13}, {14, 15, 16}, 0};
    const Batch b = make_pair_batch({p1, p2}, vocab);
    const std::int64_t cls = vocab.cls_id(), sep = vocab.sep_id(), pad = vocab.pad_id();
    CHECK(b.input_ids.to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{cls, 10, 11, sep, 12, sep, pad, cls, 13, sep, 14, 15, 16, sep});
    CHECK(b.token_type_ids.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1});
    CHECK(b.padding_mask.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0});
    CHECK(b.is_random_next.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 0});
}

TEST_CASE("lesson07 the baseline is the most frequent training token's share of the chosen positions") {
    const LessonData& data = small_data();
    // The most frequent token, counted here from the documents' texts.
    std::map<std::int64_t, int> counts;
    for (const Document& d : data.train.docs)
        for (const Sentence& s : d.sentences)
            for (std::int64_t id : data.tokenizer.encode(s.text)) ++counts[id];
    const auto best = std::max_element(counts.begin(), counts.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    CHECK(most_frequent_token(data.train) == best->first);

    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 5);
    const HeldoutPairs h = make_heldout_pairs(data, 300, 6);
    const PretrainMetrics m = evaluate_pretraining(model, data, h);
    const auto targets = h.masked.targets.to_vector<std::int64_t>();
    const auto chosen = h.masked.chosen.to_vector<std::uint8_t>();
    int n_chosen = 0, hits = 0;
    for (std::size_t i = 0; i < targets.size(); ++i)
        if (chosen[i]) ++n_chosen, hits += targets[i] == best->first;
    CHECK(m.chosen_positions == n_chosen);
    CHECK(m.baseline_accuracy == doctest::Approx(double(hits) / n_chosen));
    CHECK(m.baseline_token == data.tokenizer.vocab().token(best->first));
    CHECK(model.is_training());  // evaluation put the training mode back
}

TEST_CASE("lesson07 held-out accuracies and loss equal a naive loop over the pairs one at a time") {
    const LessonData& data = small_data();
    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 11);
    PretrainOptions o;
    o.steps = 40;  // enough that the accuracies are neither 0 nor 1, so a wrong count shows
    o.batch_size = 16;
    pretrain(model, data, o);
    const HeldoutPairs h = make_heldout_pairs(data, 300, 12);  // more than one chunk of 250
    const PretrainMetrics m = evaluate_pretraining(model, data, h);

    // Each pair alone, cut to its real length (no padding at all), through model.forward.
    model.eval();
    NoGradGuard no_grad;
    const std::int64_t N = h.batch.input_ids.size(0), T = h.batch.input_ids.size(1);
    const std::int64_t V = data.tokenizer.vocab().size();
    int chosen = 0, correct = 0, nsp_correct = 0;
    double loss = 0;
    for (std::int64_t b = 0; b < N; ++b) {
        std::int64_t len = 0;
        while (len < T && !h.batch.padding_mask.at({b, len})) ++len;
        const Tensor ids = h.masked.input_ids.select(0, b).narrow(0, 0, len).contiguous().reshape({1, len});
        const Tensor types = h.batch.token_type_ids.select(0, b).narrow(0, 0, len).contiguous().reshape({1, len});
        const nn::PreTrainingOutput out = model.forward(ids, types);
        for (std::int64_t t = 0; t < len; ++t) {
            if (!h.masked.chosen.at({b, t})) continue;
            const auto target = static_cast<std::int64_t>(h.masked.targets.at({b, t}));
            std::int64_t best = 0;
            double z = 0;
            for (std::int64_t v = 0; v < V; ++v) {
                const double s = out.mlm_logits.data().at({0, t, v});
                if (s > out.mlm_logits.data().at({0, t, best})) best = v;
                z += std::exp(s);
            }
            ++chosen;
            correct += best == target;
            loss += std::log(z) - out.mlm_logits.data().at({0, t, target});
        }
        const int nsp_pred = out.nsp_logits.data().at({0, 1}) > out.nsp_logits.data().at({0, 0}) ? 1 : 0;
        nsp_correct += nsp_pred == h.batch.is_random_next.at({b});
    }
    model.train();
    const double accuracy = double(correct) / chosen, nsp = double(nsp_correct) / N;
    INFO("naive MLM accuracy ", accuracy, ", NSP ", nsp);
    REQUIRE(accuracy > 0.05);
    REQUIRE(accuracy < 0.95);
    CHECK(m.chosen_positions == chosen);
    // Padded and unpadded sums differ in the last bits, which could flip a near tie: allow one.
    CHECK(std::abs(m.mlm_accuracy - accuracy) <= 1.0 / chosen + 1e-12);
    CHECK(std::abs(m.nsp_accuracy - nsp) <= 1.0 / N + 1e-12);
    CHECK(m.mlm_loss == doctest::Approx(loss / chosen).epsilon(1e-4));
}

TEST_CASE("lesson07 load-hf refuses an absurd config.json with an error, not a crash") {
    const LessonData& data = small_data();
    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 13);
    qkv::testing::TempDir dir;
    nn::save_hf_pretrained(dir.path().string(), model, data.tokenizer.vocab());
    Json config = model.config().to_json();
    config["hidden_size"] = std::int64_t{1099511627776};
    write_file_atomically(dir.path().string() + "/config.json", config.dump());
    std::ostringstream out;
    CHECK_THROWS_WITH_AS(run_load_hf(dir.path().string(), "the cat eats [MASK]", out),
                         doctest::Contains("hidden_size must be <="), Error);
}

TEST_CASE("lesson07 quick pre-training lowers the loss, identically for 1 and 2 threads") {
    const LessonData& data = small_data();
    PretrainOptions o;
    o.steps = 12;
    o.batch_size = 16;
    auto run = [&](int threads) {
        const ThreadCountGuard count(threads);
        nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 7);
        return pretrain(model, data, o);
    };
    const PretrainCurves one = run(1), two = run(2);
    CHECK(one.mlm_loss == two.mlm_loss);
    CHECK(one.nsp_loss == two.nsp_loss);
    REQUIRE(one.mlm_loss.size() == 12);
    const double first = (one.mlm_loss[0] + one.mlm_loss[1]) / 2, last = (one.mlm_loss[10] + one.mlm_loss[11]) / 2;
    CHECK(last < first);
}

TEST_CASE("lesson07 fine-tuning sets are balanced and label the facts") {
    const LessonData& data = small_data();
    Generator gen(8);
    const LabelledSentences set = make_consistency_set(data.tokenizer, 200, gen);
    CHECK(std::count(set.labels.begin(), set.labels.end(), 1) == 100);
    for (std::size_t i = 0; i < set.texts.size(); ++i) CHECK(set.ids[i] == data.tokenizer.encode(set.texts[i]));
}

TEST_CASE("lesson07 fine-tuning from the saved checkpoint equals fine-tuning the model in memory") {
    const LessonData& data = small_data();
    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 9);
    PretrainOptions o;
    o.steps = 3;
    o.batch_size = 8;
    pretrain(model, data, o);
    qkv::testing::TempDir dir;
    nn::save_hf_pretrained(dir.path().string(), model, data.tokenizer.vocab());
    nn::HfBert loaded = nn::load_hf_pretrained(dir.path().string());

    FinetuneOptions f;
    f.steps = 4, f.batch_size = 8, f.eval_examples = 60, f.eval_every = 2, f.seeds = 1;
    const FinetuneComparison a = compare_finetuning(model.config(), model, data.tokenizer, f, 0);
    const FinetuneComparison b = compare_finetuning(loaded.config, loaded.model, loaded.tokenizer, f, 0);
    REQUIRE(a.pretrained.size() == 1);
    CHECK(a.pretrained[0].train_loss == b.pretrained[0].train_loss);
    CHECK(a.pretrained[0].eval_accuracy == b.pretrained[0].eval_accuracy);
    CHECK(a.scratch[0].train_loss == b.scratch[0].train_loss);
    CHECK(a.pretrained[0].eval_steps == std::vector<double>{0, 2, 4});
    // The two arms start from different encoders, so their losses differ from the first step.
    CHECK(a.pretrained[0].train_loss[0] != a.scratch[0].train_loss[0]);
}

TEST_CASE("lesson07 load-hf fills masks from a checkpoint written under Hugging Face names") {
    const LessonData& data = small_data();
    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 10);
    qkv::testing::TempDir dir;
    // As transformers writes it: with the decoder's copies of the tied weights.
    nn::save_hf_pretrained(dir.path().string(), model, data.tokenizer.vocab(), /*include_decoder=*/true);
    std::ostringstream out;
    const FillResult r = run_load_hf(dir.path().string(), "the cat eats [MASK]", out);
    const FillResult expected = fill_masks(model, data.tokenizer, "the cat eats [MASK]", 5);
    CHECK(r.tokens == std::vector<std::string>{"[CLS]", "the", "cat", "eats", "[MASK]", "[SEP]"});
    REQUIRE(r.masks.size() == 1);
    CHECK(r.masks[0].position == 4);
    REQUIRE(r.masks[0].top.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(r.masks[0].top[i].first == expected.masks[0].top[i].first);
        CHECK(r.masks[0].top[i].second == doctest::Approx(expected.masks[0].top[i].second).epsilon(1e-6));
    }
    CHECK(out.str().find("[MASK] at 4: " + expected.masks[0].top[0].first) != std::string::npos);
    // Probabilities come sorted and form part of a distribution.
    double total = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        total += r.masks[0].top[i].second;
        if (i) CHECK(r.masks[0].top[i].second <= r.masks[0].top[i - 1].second);
    }
    CHECK(total <= 1.0 + 1e-9);
    CHECK_THROWS_AS(run_load_hf(dir.path().string(), "no mask here", out), Error);
}

TEST_CASE("lesson07 --quick pre-training beats the most-frequent-token baseline on held-out pairs") {
    // The milestone the README promises for `lesson07 --quick` (seed 0), with its own settings.
    const LessonSettings s = LessonSettings::quick();
    const LessonData data = make_lesson_data(0, s.train_docs, s.heldout_docs, s.vocab_size);
    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 0);
    pretrain(model, data, s.pretrain);
    const PretrainMetrics m = evaluate_pretraining(model, data, make_heldout_pairs(data, s.heldout_pairs, 0));
    INFO("MLM accuracy ", m.mlm_accuracy, ", baseline ", m.baseline_accuracy);
    CHECK(m.chosen_positions >= 500);
    CHECK(m.mlm_accuracy >= 1.5 * m.baseline_accuracy);
}

}  // TEST_SUITE
