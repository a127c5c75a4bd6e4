// Lesson 10's parts, quick: parsing the fortune file (colour codes, malformed records), the
// generated stand-in, character tokens, the split, the n-gram baselines, the form of lines,
// poem batches, scoring long poems, and saving / loading a model for --sample-from.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "lessons/10_tiny_gpt/corpus.hpp"
#include "lessons/10_tiny_gpt/line_form.hpp"
#include "lessons/10_tiny_gpt/ngram.hpp"
#include "lessons/10_tiny_gpt/poem_data.hpp"
#include "lessons/10_tiny_gpt/tiny_gpt.hpp"
#include "nn/linear.hpp"
#include "nn/losses.hpp"
#include "nn/state_dict.hpp"
#include "temp_dir.hpp"

using namespace qkv;
using namespace qkv::lesson10;

namespace {

const std::string two_poems =
    "\x1b[32m《静夜》\x1b[m\n\x1b[33m作者：某人\x1b[m\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n"
    "\x1b[32m《春晓》\x1b[m\n\x1b[33m作者：某甲\x1b[m\n春眠不觉晓，处处闻啼鸟。\n%\n";

nn::GPTConfig tiny_config(std::int64_t vocab) {
    nn::GPTConfig c = tiny_gpt_config(vocab);
    c.d_model = 16, c.num_heads = 2, c.d_ff = 32, c.max_len = 10, c.dropout = 0.0;
    c.init_std = 0.3;
    return c;
}

}  // namespace

TEST_SUITE("lesson10") {

TEST_CASE("corpus: colour codes stripped, title, author and body kept apart") {
    const Corpus c = parse_fortune_poems(two_poems);
    REQUIRE(c.poems.size() == 2);
    CHECK(c.malformed == 0);
    CHECK(c.poems[0].title == "静夜");
    CHECK(c.poems[0].author == "某人");
    CHECK(c.poems[0].body == "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。");
    CHECK(c.poems[1].body == "春眠不觉晓，处处闻啼鸟。");
    const CorpusStats s = corpus_stats(c.poems);
    CHECK(s.poems == 2);
    CHECK(s.characters == 36);  // 24 + 12, line breaks not counted
    CHECK(s.distinct == 28);    // 17 + 9 characters (明 月 头 处 repeat), ， and 。
}

TEST_CASE("corpus: Windows line ends and a last record without its % read the same") {
    std::string crlf;
    for (char c : two_poems) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    const Corpus a = parse_fortune_poems(crlf), b = parse_fortune_poems(two_poems.substr(0, two_poems.size() - 2));
    REQUIRE(a.poems.size() == 2);
    REQUIRE(b.poems.size() == 2);
    CHECK(a.poems[0].body == "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。");
    CHECK(b.poems[1].body == "春眠不觉晓，处处闻啼鸟。");
    CHECK_THROWS_WITH_AS(read_corpus("/tmp"), doctest::Contains("folder"), Error);
}

TEST_CASE("corpus: malformed records are counted with the first reason, not a crash") {
    const std::string text = two_poems +
                             "《无作者》\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n%\n"  // no 作者： line
                             "\x1b[32m《空》\x1b[m\n作者：甲\n%\n"            // no body
                             "《坏》\n作者：乙\n\xff\xfe，。\n%\n"           // invalid UTF-8
                             "《英文》\n作者：丙\nhello, world.\n%\n"       // no Chinese character
                             "%\n%\n";                                       // empty records: not counted
    const Corpus c = parse_fortune_poems(text);
    CHECK(c.poems.size() == 2);
    CHECK(c.malformed == 4);
    CHECK(c.first_problem == "record 3: the second line does not start with 作者：");
    CHECK(parse_fortune_poems("").poems.empty());
    CHECK_THROWS_WITH_AS(read_corpus("/nonexistent/tang300"), doctest::Contains("/nonexistent/tang300"), Error);
}

TEST_CASE("corpus: the generated stand-in has the corpus's shape, and a seed fixes it") {
    const std::string text = generated_fortune_text(40, 3);
    CHECK(text == generated_fortune_text(40, 3));
    CHECK(text != generated_fortune_text(40, 4));
    const Corpus c = parse_fortune_poems(text);
    CHECK(c.poems.size() == 40);
    CHECK(c.malformed == 0);
    LineForm f;
    for (const Poem& p : c.poems) f.add(line_form(p.body));
    CHECK(f.share() == 1.0);
    CHECK(f.lengths.count(5) == 1);
    CHECK(f.lengths.count(7) == 1);
}

TEST_CASE("corpus: the real tang300, when installed, reads as 313 poems with none malformed") {
    if (!std::filesystem::exists(default_corpus_path)) {
        MESSAGE("fortunes-zh is not installed; skipped");
        return;
    }
    const Corpus c = read_corpus(default_corpus_path);
    CHECK(c.poems.size() == 313);
    CHECK(c.malformed == 0);
    CHECK(corpus_stats(c.poems).distinct > 2000);
}

TEST_CASE("split: 10% held out by a seed, disjoint, the same for the same seed") {
    const Corpus c = parse_fortune_poems(generated_fortune_text(50, 1));
    const Split a = split_poems(c.poems, 7), b = split_poems(c.poems, 7), d = split_poems(c.poems, 8);
    CHECK(a.validation.size() == 5);
    CHECK(a.train.size() == 45);
    for (std::size_t i = 0; i < a.validation.size(); ++i) CHECK(a.validation[i].body == b.validation[i].body);
    bool differs = false;
    for (std::size_t i = 0; i < a.validation.size(); ++i) differs |= a.validation[i].body != d.validation[i].body;
    CHECK(differs);
    for (const Poem& v : a.validation)  // the generated titles and bodies are all distinct
        for (const Poem& t : a.train) CHECK((v.title != t.title || v.body != t.body));
    std::set<std::string> all;
    for (const Poem& p : a.train) all.insert(p.title + p.body);
    for (const Poem& p : a.validation) all.insert(p.title + p.body);
    CHECK(all.size() == 50);
    CHECK_THROWS_AS(split_poems({c.poems[0]}, 0), Error);
}

TEST_CASE("character tokens: specials, line break, rare characters as [UNK], round trips") {
    const Corpus c = parse_fortune_poems(two_poems);
    const CharTokens t = CharTokens::build(c.poems);  // min_count 2: 明 月 头 ， 。 (and 头) are kept
    CHECK(t.vocab().token(t.bos_id()) == "[BOS]");
    CHECK(t.vocab().token(t.newline_id()) == line_break);
    const Ids ids = t.encode(c.poems[0]);
    CHECK(ids.front() == t.bos_id());
    CHECK(ids.back() == t.eos_id());
    CHECK(ids.size() == 2 + 25);  // 24 characters and one line break
    CHECK(t.decode(ids) == "□□明月□，□□□□□。\n□头□明月，□头□□□。");
    CHECK(t.decode(t.encode_text("明月\n")) == "明月\n");
    CHECK(t.encode_text(line_break) == Ids{t.unk_id()});  // a literal ↵ in a text is no line break
    const CharTokens again = CharTokens::from_characters(t.characters());
    CHECK(again.vocab().all_tokens() == t.vocab().all_tokens());
    CHECK_THROWS_WITH_AS(CharTokens::from_characters("明明"), doctest::Contains("repeat"), Error);
    CHECK_THROWS_WITH_AS(CharTokens::from_characters("明\n"), doctest::Contains("line break"), Error);
    CHECK_THROWS_AS(CharTokens::from_characters("\xff"), Error);
    CHECK(unknown_share(ids, t) == doctest::Approx(14.0 / 27.0));
}

TEST_CASE("n-gram baselines: normalised, by-hand cross-entropy, the best k chosen") {
    // Vocabulary 4; training poems 0 1 2 / 0 1 1: bigram counts 0->1 x2, 1->2, 1->1.
    const std::vector<Ids> train{{0, 1, 2}, {0, 1, 1}};
    NGramModel bi(2, 4, 0.5), uni(1, 4, 0.5);
    bi.fit(train), uni.fit(train);
    for (std::int64_t prev = 0; prev < 4; ++prev) {
        double total = 0;
        for (double logp : bi.next_log_probs(prev)) total += std::exp(logp);
        CHECK(total == doctest::Approx(1.0));
    }
    CHECK(std::exp(bi.log_prob(0, 1)) == doctest::Approx((2 + 0.5) / (2 + 2.0)));
    CHECK(std::exp(bi.log_prob(3, 2)) == doctest::Approx(0.25));  // never seen as a context: uniform
    CHECK(std::exp(uni.log_prob(0, 1)) == doctest::Approx((3 + 0.5) / (4 + 2.0)));
    double uni_total = 0;
    for (std::int64_t next = 0; next < 4; ++next) {
        CHECK(uni.log_prob(0, next) == uni.log_prob(3, next));  // the unigram ignores what came before
        uni_total += std::exp(uni.log_prob(2, next));
    }
    CHECK(uni_total == doctest::Approx(1.0));
    CHECK_THROWS_AS(bi.log_prob(4, 0), Error);
    CHECK_THROWS_AS(bi.log_prob(0, -1), Error);
    std::int64_t n = 0;
    const double ce = bi.cross_entropy({{0, 1, 2}}, &n);
    CHECK(n == 2);
    CHECK(ce == doctest::Approx(-(bi.log_prob(0, 1) + bi.log_prob(1, 2)) / 2));
    const std::vector<Ids> heldout{{0, 1, 3}};
    const NGramModel best = choose_k(2, 4, train, heldout, {0.01, 0.1, 1.0});
    for (double k : {0.01, 0.1, 1.0}) {
        NGramModel m(2, 4, k);
        m.fit(train);
        CHECK(best.cross_entropy(heldout) <= m.cross_entropy(heldout));
    }
    CHECK_THROWS_AS(NGramModel(3, 4, 0.1), Error);
    CHECK_THROWS_AS(NGramModel(2, 4, 0.0), Error);
}

TEST_CASE("line form: clauses end at ，。？！； or a line break, and 5 or 7 characters count") {
    LineForm f = line_form("床前明月光，疑是地上霜。\n举头望明月，低头思故乡明月光。");
    CHECK(f.clauses == 4);
    CHECK(f.regular == 3);  // the last has 8
    CHECK(f.lengths[8] == 1);
    f = line_form("一二三四五六七\n一二三，，。");  // an unmarked line end; empty clauses are not counted
    CHECK(f.clauses == 2);
    CHECK(f.regular == 1);
    CHECK(line_form("").clauses == 0);
    CHECK(line_form("").share() == 0.0);
}

TEST_CASE("poem batches: targets are the inputs shifted by one, padding ignored, long poems cut") {
    const std::vector<Ids> poems{{2, 5, 6, 3}, {2, 7, 3}, {2, 8, 8, 8, 8, 8, 3}};
    const LMBatch b = poem_batch(poems, {0, 1}, 10, 0);
    CHECK(b.inputs.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 5, 6, 2, 7, 0});
    CHECK(b.targets.to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 6, 3, 7, 3, -100});
    const LMBatch cut = poem_batch(poems, {2}, 4, 0);  // max_len 4: the first 4 predictions
    CHECK(cut.inputs.to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 8, 8, 8});
    CHECK(cut.targets.to_vector<std::int64_t>() == std::vector<std::int64_t>{8, 8, 8, 8});
    CHECK_THROWS_AS(poem_batch(poems, {3}, 4, 0), Error);
    CHECK_THROWS_AS(poem_batch({{2}}, {0}, 4, 0), Error);
}

TEST_CASE("gpt_cross_entropy: a short poem as the plain loss; a long one in half-overlapping windows") {
    Generator gen(1);
    nn::GPT model(tiny_config(9), gen);  // max_len 10
    const Ids short_poem{2, 5, 6, 7, 8, 3};
    double direct = 0;
    {
        NoGradGuard no_grad;
        model.eval();
        const Tensor x = from_vector(Ids(short_poem.begin(), short_poem.end() - 1), {1, 5});
        const Tensor y = from_vector(Ids(short_poem.begin() + 1, short_poem.end()), {1, 5});
        direct = cross_entropy(model(x), y).item();
        model.train();
    }
    CHECK(gpt_cross_entropy(model, {short_poem}) == doctest::Approx(direct).epsilon(1e-6));
    CHECK(model.is_training());
    // 25 tokens (targets 1..24) with max_len 10: inputs 0..9 score targets 1..10; then windows
    // of 10 inputs moving on by 5: inputs 5..14 score 11..15, 10..19 score 16..20, and 14..23
    // score 21..24 (each target with at least 5 tokens before it).
    Ids long_poem{2};
    for (int i = 0; i < 23; ++i) long_poem.push_back(4 + i % 5);
    long_poem.push_back(3);
    double expected = 0;
    {
        NoGradGuard no_grad;
        nn::EvalGuard eval(model);
        const auto logp_at = [&](std::int64_t start, std::int64_t i) {  // ln p(poem[i]) from inputs start..start+9
            const Ids w(long_poem.begin() + start, long_poem.begin() + start + 10);
            return log_softmax(model(from_vector(w, {1, 10})).data(), -1).at({0, i - 1 - start, long_poem[static_cast<std::size_t>(i)]});
        };
        for (std::int64_t i = 1; i <= 10; ++i) expected -= logp_at(0, i);
        for (std::int64_t i = 11; i <= 15; ++i) expected -= logp_at(5, i);
        for (std::int64_t i = 16; i <= 20; ++i) expected -= logp_at(10, i);
        for (std::int64_t i = 21; i <= 24; ++i) expected -= logp_at(14, i);
    }
    CHECK(gpt_cross_entropy(model, {long_poem}) == doctest::Approx(expected / 24).epsilon(1e-6));
    // A poem of max_len + 1 tokens is one window, as in training; max_len 1 still ends.
    const Ids eleven(long_poem.begin(), long_poem.begin() + 11);
    double one_window = 0;
    {
        NoGradGuard no_grad;
        nn::EvalGuard eval(model);
        const Tensor logp = log_softmax(model(from_vector(Ids(eleven.begin(), eleven.end() - 1), {1, 10})).data(), -1);
        for (std::int64_t i = 1; i <= 10; ++i) one_window -= logp.at({0, i - 1, eleven[static_cast<std::size_t>(i)]});
    }
    CHECK(gpt_cross_entropy(model, {eleven}) == doctest::Approx(one_window / 10).epsilon(1e-6));
    nn::GPTConfig c1 = tiny_config(9);
    c1.max_len = 1;
    Generator gen1(2);
    nn::GPT one(c1, gen1);
    CHECK(std::isfinite(gpt_cross_entropy(one, {short_poem})));
}

TEST_CASE("save and load: the same logits back; a broken or foreign file is refused by name") {
    const Corpus c = parse_fortune_poems(generated_fortune_text(10, 2));
    const CharTokens tokens = CharTokens::build(c.poems);
    Generator gen(3);
    nn::GPT model(tiny_gpt_config(tokens.size()), gen);
    qkv::testing::TempDir dir;
    const std::string path = dir.file("tiny_gpt.safetensors");
    save_tiny_gpt(path, model, tokens, 0);
    LoadedGPT loaded = load_tiny_gpt(path);
    CHECK(loaded.tokens.vocab().all_tokens() == tokens.vocab().all_tokens());
    NoGradGuard no_grad;
    model.eval(), loaded.model.eval();
    const Tensor ids = from_vector(tokens.encode(c.poems[0]), {1, static_cast<std::int64_t>(tokens.encode(c.poems[0]).size())});
    CHECK(max(abs(model(ids).data() - loaded.model(ids).data())).item() == 0.0);
    // Truncated: the safetensors reader says so, naming the file.
    const std::string bytes = qkv::testing::read_bytes(path);
    qkv::testing::write_bytes(dir.file("cut.safetensors"), bytes.substr(0, bytes.size() / 2));
    CHECK_THROWS_WITH_AS(load_tiny_gpt(dir.file("cut.safetensors")), doctest::Contains("cut.safetensors"), Error);
    // A model file of another kind (no vocabulary in its metadata).
    nn::Linear other(3, 4);
    nn::save_state_dict(dir.file("linear.safetensors"), other);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(dir.file("linear.safetensors")), doctest::Contains("not a lesson 10 model"), Error);
    CHECK_THROWS_AS(load_tiny_gpt(dir.file("missing.safetensors")), Error);
    // Metadata that lies about the tensors is refused before a model of that size is built, naming
    // the file and what does not fit.
    const SafetensorsFile good = load_safetensors(path);
    const auto lie = [&](const std::string& key, const std::string& value) {
        std::map<std::string, std::string> m = good.metadata;
        m[key] = value;
        save_safetensors(dir.file("lie.safetensors"), good.tensors, m);
        return dir.file("lie.safetensors");
    };
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("max_len", "1000000")), doctest::Contains("positions.weight"), Error);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("d_model", "1000000")), doctest::Contains("lie.safetensors"), Error);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("num_layers", "3")), doctest::Contains("layers.2"), Error);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("num_layers", "1")), doctest::Contains("more layers"), Error);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("num_heads", "5")), doctest::Contains("lie.safetensors"), Error);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("vocab_size", "7")), doctest::Contains("vocab_size 7"), Error);
    CHECK_THROWS_WITH_AS(load_tiny_gpt(lie("d_ff", "x")), doctest::Contains("is not a size"), Error);
}

TEST_CASE("--quick: 70 steps already put the GPT's held-out perplexity below the bigram's") {
    const PoemData d = load_poem_data(default_corpus_path, 0);
    const double bigram = choose_k(2, d.tokens.size(), d.train, d.heldout).cross_entropy(d.heldout);
    Generator init(0);
    nn::GPT model(tiny_gpt_config(d.tokens.size()), init);
    TrainOptions o;
    o.steps = 70;  // main.cpp's --quick
    o.eval_every = 35;
    const TrainCurves curves = train_gpt(model, d.train, d.heldout, o);
    INFO("corpus " << d.corpus.source << ": GPT " << curves.val_loss.back() << " nats, bigram " << bigram);
    CHECK(curves.val_loss.back() < bigram);
    for (const auto& layer : model.layers) CHECK_FALSE(layer.self_attn.memory_efficient);  // the plain op is back
}

}  // TEST_SUITE
