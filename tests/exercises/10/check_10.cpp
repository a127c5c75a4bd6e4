// Checkers for lesson 10's exercises (lessons/10_tiny_gpt/EXERCISES.md): the student's causal
// mask and next-token shift, top-p filter and cached attention step against the library's
// (nn/attention/scaled_dot_product.hpp, nn/sampling.hpp, nn/transformer/kv_cache.hpp) and the
// shift the lesson's poem_batch makes, with T = 0 and 1, ties, p on a cumulative
// boundary, stale cache slots, and the full causal attention over the whole prefix; and the
// bigram baseline's held-out perplexity recomputed from the lesson's own split.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "exercises/exercise_check.hpp"
#include "lessons/10_tiny_gpt/char_tokens.hpp"
#include "lessons/10_tiny_gpt/corpus.hpp"
#include "lessons/10_tiny_gpt/exercises/gpt_pieces.hpp"
#include "lessons/10_tiny_gpt/ngram.hpp"
#include "lessons/10_tiny_gpt/poem_data.hpp"
#include "nn/sampling.hpp"
#include "nn/transformer/kv_cache.hpp"

using namespace qkv;
namespace ex = qkv::exercise;

namespace {

std::string ids_str(const std::vector<std::int64_t>& ids) {
    std::string s = "[";
    for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "]";
}

std::string probs_str(const std::vector<double>& p) {
    std::string s = "[";
    for (std::size_t i = 0; i < std::min<std::size_t>(p.size(), 8); ++i) s += (i ? ", " : "") + ex::detail::number(p[i]);
    return s + (p.size() > 8 ? ", ... (" + std::to_string(p.size()) + " tokens)]" : "]");
}

// A random distribution over V tokens: softmax of N(0, spread^2) logits.
std::vector<double> random_probs(std::int64_t V, double spread, Generator& gen) {
    return softmax(randn({V}, 0, spread, DType::Float64, gen), 0).to_vector<double>();
}

// The student's exercise source without its comments, to see which functions it calls.
std::string exercise_code_without_comments() {
    std::ifstream in(std::filesystem::path(QKV_SOURCE_DIR) / "lessons/10_tiny_gpt/exercises/gpt_pieces.cpp");
    std::string line, code;
    while (std::getline(in, line)) code += line.substr(0, line.find("//")) + "\n";
    return code;
}

}  // namespace

TEST_CASE("exercise 10.1: The causal mask and the shifted targets") {
    ex::run("10.1", [&] {
        for (std::int64_t T : {0, 1, 2, 3, 6}) {
            const Tensor got = qkv::exercises::causal_mask(T);
            const std::string what = "causal_mask(" + std::to_string(T) + ")";
            if (!ex::check_that(got.defined() && got.dtype() == DType::Bool, what + " should be a bool tensor",
                                "make it with Tensor({T, T}, DType::Bool) and write 1 (true) where a key is hidden"))
                return;
            if (!ex::check_close(what + " (true = query i may NOT see key j)", nn::causal_mask(T), got, 0, 0,
                                 "true strictly ABOVE the diagonal, j > i: position i sees itself and the positions "
                                 "before it, never i + 1 (the token it is trained to predict)"))
                return;
        }
        if (!ex::check_that(ex::throws_error([] { (void)qkv::exercises::causal_mask(-1); }),
                            "causal_mask(-1) did not throw", "a negative T is an error: qkv::fail(\"causal_mask\", ...)"))
            return;

        // The shift, as the lesson's poem_batch makes it for one poem: every token but the last
        // is an input, every token but the first a target.
        const std::vector<std::vector<std::int64_t>> windows = {{2, 17, 5, 9, 3}, {2, 3}, {7, 7, 8, 7}};
        for (const auto& w : windows) {
            const auto n = static_cast<std::int64_t>(w.size());
            const Tensor want_inputs = from_vector(std::vector<std::int64_t>(w.begin(), w.end() - 1), {1, n - 1});
            const Tensor want_targets = from_vector(std::vector<std::int64_t>(w.begin() + 1, w.end()), {1, n - 1});
            const qkv::exercises::LMExample got = qkv::exercises::next_token_example(w);
            const std::string what = "next_token_example(" + ids_str(w) + ")";
            for (const auto& [name, t] : {std::pair<std::string, Tensor>{"inputs", got.inputs}, {"targets", got.targets}})
                if (!ex::check_that(t.defined() && t.dtype() == DType::Int64,
                                    what + ": " + name + " should be an int64 tensor" +
                                        (t.defined() ? std::string(", got ") + dtype_name(t.dtype()) : std::string(", got an undefined Tensor")),
                                    "token ids are int64: from_vector(std::vector<std::int64_t>, {1, n - 1})"))
                    return;
            if (!ex::check_close(what + ": inputs", want_inputs, got.inputs, 0, 0,
                                 "inputs are the window without its LAST token, shape (1, n - 1): the last token has "
                                 "no next token to predict"))
                return;
            if (!ex::check_close(what + ": targets", want_targets, got.targets, 0, 0,
                                 "targets are the window without its FIRST token, (1, n - 1): targets[t] = window[t + 1], "
                                 "the token after inputs[t]"))
                return;
        }
        for (const std::vector<std::int64_t>& w : {std::vector<std::int64_t>{5}, std::vector<std::int64_t>{}})
            if (!ex::check_that(ex::throws_error([&] { (void)qkv::exercises::next_token_example(w); }),
                                "next_token_example(" + ids_str(w) + ") did not throw",
                                "a window of fewer than 2 tokens has nothing to predict: "
                                "qkv::fail(\"next_token_example\", ...)"))
                return;
    });
}

TEST_CASE("exercise 10.2: Top-p (nucleus) filtering") {
    ex::run("10.2", [&] {
        struct Case {
            std::string name;
            std::vector<double> probs;
            double p;
            std::string hint;
        };
        const std::string rule =
            "walk the tokens from most to least likely; keep token i while the mass of the tokens kept BEFORE it is "
            "< p; then divide the kept ones by their sum";
        std::vector<Case> cases = {
            {"p = 0.5", {0.1, 0.4, 0.2, 0.3}, 0.5, rule + " (here: 0.4, then 0.3, since 0.4 < 0.5)"},
            {"p = 0.9", {0.1, 0.4, 0.2, 0.3}, 0.9, rule},
            {"p = 1 keeps every token", {0.1, 0.4, 0.2, 0.3}, 1.0, "with p = 1 the filter changes nothing"},
            {"tiny p keeps only the most likely", {0.1, 0.4, 0.2, 0.3}, 1e-9,
             "the most likely token is always kept (the mass before it is 0 < p): tiny p is greedy"},
            {"p exactly on a cumulative boundary (0.5 + 0.25 = 0.75)", {0.125, 0.5, 0.125, 0.25}, 0.75,
             "stop as soon as the mass kept reaches p: 0.5 + 0.25 = 0.75 is not < 0.75, so the third token is out "
             "(compare with >=, not >)"},
            {"four-way tie, p on the boundary", {0.25, 0.25, 0.25, 0.25}, 0.5,
             "equal probabilities go in id order (ties to the smaller id): ids 0 and 1, then 0.5 is not < 0.5"},
            {"tie between the 2nd, 3rd and 4th", {0.1, 0.3, 0.3, 0.3}, 0.5,
             "of the tied tokens the smaller ids come first: ids 1 and 2, not 2 and 3 (std::stable_sort keeps id "
             "order among equals; std::sort may not)"},
            {"tie for the most likely, tiny p", {0.2, 0.4, 0.4}, 1e-9, "a tie for first place goes to the smaller id"},
            {"zeros in the distribution", {0.0, 0.6, 0.0, 0.4}, 0.99, rule},
            {"one token", {1.0}, 0.3, "a single token is always kept, with probability 1"},
        };
        Generator gen(1002);
        for (double p : {0.3, 0.8, 0.95, 1.0, 1e-6})
            cases.push_back({"random over 50 tokens, p = " + ex::detail::number(p), random_probs(50, 2.0, gen), p, rule});
        cases.push_back({"random, peaked, p = 0.9", random_probs(30, 5.0, gen), 0.9, rule});
        for (const Case& c : cases) {
            const std::vector<double> want = nn::top_p_filter(c.probs, c.p);
            const std::vector<double> got = qkv::exercises::top_p_filter(c.probs, c.p);
            const std::string what = "top_p_filter(" + probs_str(c.probs) + ", p = " + ex::detail::number(c.p) + "), " + c.name;
            if (!ex::check_that(got.size() == want.size(),
                                what + ": returned " + std::to_string(got.size()) + " numbers, expected " +
                                    std::to_string(want.size()),
                                "one number per token, 0 for the tokens left out"))
                return;
            if (!ex::check_close(what, from_vector(want), from_vector(got), 1e-12, 1e-15, c.hint)) return;
        }
    });
}

TEST_CASE("exercise 10.3: One step of the KV cache") {
    ex::run("10.3", [&] {
        NoGradGuard no_grad;  // decoding: no graph, as generate runs it
        struct Setup {
            std::int64_t R, D, H, max_len, steps;
            std::uint64_t seed;
        };
        for (const Setup& s : {Setup{3, 8, 2, 6, 5, 1003}, Setup{1, 6, 3, 5, 5, 1004}, Setup{2, 4, 1, 7, 5, 1005}}) {
            Generator gen(s.seed);
            nn::MultiHeadAttention attn(s.D, s.H, gen);
            attn.to(DType::Float64);
            attn.eval();
            const std::int64_t dh = s.D / s.H;
            const std::string setup = "R = " + std::to_string(s.R) + ", D = " + std::to_string(s.D) + ", H = " +
                                      std::to_string(s.H) + ", max_len = " + std::to_string(s.max_len);
            const Tensor X = randn({s.R, s.steps, s.D}, 0, 1, DType::Float64, gen);  // the inputs at positions 0..steps-1
            // The caches start with stale numbers (as after an earlier sequence): a step may read
            // positions 0..t only, and may write position t only.
            const Tensor stale_k = randn({s.R, s.H, s.max_len, dh}, 0, 3, DType::Float64, gen);
            const Tensor stale_v = randn({s.R, s.H, s.max_len, dh}, 0, 3, DType::Float64, gen);
            Tensor mine_k = stale_k.clone(), mine_v = stale_v.clone(), ref_k = stale_k.clone(), ref_v = stale_v.clone();
            for (std::int64_t t = 0; t < s.steps; ++t) {
                const Var x(X.narrow(1, t, 1));  // (R, 1, D), position t
                const Tensor got = qkv::exercises::cached_attention_step(attn, x, mine_k, mine_v, t).data();
                const Tensor want = nn::cached_self_attention(attn, x, ref_k, ref_v, t).data();
                const std::string at = setup + ", step t = " + std::to_string(t);
                if (!ex::check_shape("the step's output (" + at + ")", {s.R, 1, s.D}, got.shape(),
                                     "return attn.out_proj(merge_heads(heads)): (R, 1, D), one position per row"))
                    return;
                if (!ex::check_close("keys cache after the step (" + at + "), (R, H, max_len, dh)", ref_k, mine_k, 1e-12,
                                     1e-12,
                                     "write split_heads(attn.k_proj(x)) into keys.narrow(2, t, 1) with copy_, and "
                                     "nothing else: positions 0..t-1 are already there, slots after t are not yours"))
                    return;
                if (!ex::check_close("values cache after the step (" + at + "), (R, H, max_len, dh)", ref_v, mine_v,
                                     1e-12, 1e-12, "the same for values, with attn.v_proj"))
                    return;
                if (!ex::check_close("output of the step (" + at + ") vs nn::cached_self_attention", want, got, 1e-10,
                                     1e-12,
                                     "q = split_heads(attn.q_proj(x)); attend over keys.narrow(2, 0, t + 1) and "
                                     "values.narrow(2, 0, t + 1) only (the slots after t hold stale numbers); no "
                                     "mask; then attn.out_proj(merge_heads(output))"))
                    return;
                // The same number from the full causal attention over the whole prefix 0..t.
                const Var prefix(X.narrow(1, 0, t + 1));
                nn::AttentionMasks masks;
                masks.attn = nn::causal_mask(t + 1);
                const Tensor full = attn.forward(prefix, masks).output.data().narrow(1, t, 1);  // (R, 1, D)
                if (!ex::check_close("output of the step (" + at + ") vs attn.forward over positions 0..t with "
                                     "causal_mask(t + 1), its last position",
                                     full, got, 1e-10, 1e-12,
                                     "the cached step must give what the whole prefix gives at its last position: "
                                     "the keys and values of positions 0..t-1 did not change, so they are read from the "
                                     "cache, not recomputed"))
                    return;
            }
        }
        // Writing the step yourself is the exercise: calling the library's version would pass
        // the checks above without doing it.
        const std::string code = exercise_code_without_comments();
        ex::check_that(code.find("cached_self_attention") == std::string::npos,
                       "lessons/10_tiny_gpt/exercises/gpt_pieces.cpp calls nn::cached_self_attention",
                       "write the step from attn.q_proj, k_proj, v_proj, out_proj, nn::split_heads, nn::merge_heads "
                       "and nn::scaled_dot_product_attention");
    });
}

namespace {

// The bigram baseline as lesson10 fits it in its sections 1 and 2 (seed 0): the poems of the
// fortunes-zh file, or without it the generated stand-in (320 poems, seed + 7); the seeded
// split; the vocabulary of the training poems; add-k with the k that scores best on the
// held-out poems. Returns its held-out perplexity.
double bigram_perplexity(std::string* source) {
    const lesson10::PoemData d = lesson10::load_poem_data(lesson10::default_corpus_path, 0);
    *source = d.generated ? "the generated stand-in (fortunes-zh is not installed)" : d.corpus.source;
    const lesson10::NGramModel bigram = lesson10::choose_k(2, d.tokens.size(), d.train, d.heldout);
    return std::exp(bigram.cross_entropy(d.heldout));
}

}  // namespace

TEST_CASE("exercise 10.4: The bigram baseline's perplexity") {
    ex::run("10.4", [&] {
        const double answer = ex::answer("10.4");
        std::string source;
        const double truth = bigram_perplexity(&source);
        ex::check_that(std::abs(answer - truth) <= 0.5 + 1e-9,
                       "your answer " + ex::detail::number(answer) + " is not the bigram model's held-out perplexity " +
                           ex::detail::number(truth) + " rounded to a whole number (lesson10, seed 0, corpus: " +
                           source + ")",
                       "run `lesson10 --quick` and copy N from section 2's line `bigram (add-k, k = ...): ... "
                       "nats/token, perplexity N` as `10.4 = N`");
    });
}
