// The baselines a language model must beat: count-based unigram and bigram models with add-k
// smoothing, fitted on the same training poems and scored on the same held-out ones.
//
//   unigram:  p(x_i)            = (c(x_i) + k) / (N + k V)
//   bigram:   p(x_i | x_{i-1})  = (c(x_{i-1} x_i) + k) / (c(x_{i-1}) + k V)
//
// c counts tokens (or adjacent pairs) in the training poems, N is the number of tokens
// counted and V the vocabulary; adding k to every count keeps a pair never seen in training
// from getting probability 0 (which would make the held-out cross-entropy infinite).
// k = 1 is Laplace smoothing; with 1,600 characters and only 22k training tokens it gives
// unseen pairs far too much mass, so smaller k do better. choose_k tries several and keeps the
// one with the lowest held-out cross-entropy: tuning on the held-out poems flatters the
// baselines, so the GPT's margin over them is if anything understated.
//
// Scores are per poem: every token after [BOS] (the body, line breaks and [EOS]) is predicted
// from the tokens before it in the same poem, for the GPT too (tiny_gpt.hpp). Cross-entropy is
// the mean of -ln p over those tokens, in nats; perplexity is e^(cross-entropy), the size of
// a uniform choice that is as uncertain.
#pragma once

#include <vector>

#include "lessons/10_tiny_gpt/char_tokens.hpp"
#include "nn/gpt/generate.hpp"

namespace qkv::lesson10 {

class NGramModel {
public:
    // order 1 (unigram) or 2 (bigram), over ids 0..vocab-1, add-k with k > 0.
    NGramModel(int order, std::int64_t vocab, double k);

    // Counts the transitions inside each poem ([BOS] is context only, never a target).
    void fit(const std::vector<Ids>& poems);

    // ln p(next | prev); prev is ignored by the unigram.
    double log_prob(std::int64_t prev, std::int64_t next) const;
    // ln p(. | prev) over the vocabulary.
    std::vector<double> next_log_probs(std::int64_t prev) const;

    // Mean -ln p of every token after the first of each poem, and how many tokens that is.
    double cross_entropy(const std::vector<Ids>& poems, std::int64_t* tokens = nullptr) const;

    int order() const { return order_; }
    double k() const { return k_; }
    std::int64_t vocab() const { return vocab_; }

private:
    int order_;
    std::int64_t vocab_;
    double k_;
    std::vector<double> unigram_;                 // c(x)
    std::vector<std::vector<std::pair<std::int64_t, double>>> bigram_;  // per prev: (next, count), sorted by next
    std::vector<double> context_;                 // c(prev) as a context
    double total_ = 0;                            // N
};

// Fits order-`order` models with each k in `ks` on `train` and returns the one with the lowest
// cross-entropy on `heldout`.
NGramModel choose_k(int order, std::int64_t vocab, const std::vector<Ids>& train, const std::vector<Ids>& heldout,
                    const std::vector<double>& ks = {0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0});

// Writes with the model as the GPT writes (nn/gpt/generate.hpp's options: temperature, top-k,
// top-p, banned ids, a stop id): continues `prompt` by up to max_new_tokens tokens.
Ids ngram_generate(const NGramModel& model, const Ids& prompt, const nn::GenerateOptions& options, Generator& gen);

}  // namespace qkv::lesson10
