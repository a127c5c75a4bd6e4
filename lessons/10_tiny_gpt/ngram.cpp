#include "lessons/10_tiny_gpt/ngram.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace qkv::lesson10 {

NGramModel::NGramModel(int order, std::int64_t vocab, double k) : order_(order), vocab_(vocab), k_(k) {
    if (order != 1 && order != 2) fail("NGramModel", "order must be 1 or 2, got ", order);
    if (vocab < 1) fail("NGramModel", "vocab must be >= 1, got ", vocab);
    if (!(k > 0)) fail("NGramModel", "k must be > 0, got ", k);
    unigram_.assign(static_cast<std::size_t>(vocab), 0.0);
    context_.assign(static_cast<std::size_t>(vocab), 0.0);
    bigram_.resize(static_cast<std::size_t>(vocab));
}

void NGramModel::fit(const std::vector<Ids>& poems) {
    std::vector<std::map<std::int64_t, double>> pairs(static_cast<std::size_t>(vocab_));
    for (const Ids& p : poems)
        for (std::size_t i = 1; i < p.size(); ++i) {
            if (p[i] < 0 || p[i] >= vocab_ || p[i - 1] < 0 || p[i - 1] >= vocab_)
                fail("NGramModel::fit", "token id outside [0, ", vocab_, ")");
            unigram_[static_cast<std::size_t>(p[i])] += 1;
            context_[static_cast<std::size_t>(p[i - 1])] += 1;
            pairs[static_cast<std::size_t>(p[i - 1])][p[i]] += 1;
            total_ += 1;
        }
    for (std::size_t a = 0; a < pairs.size(); ++a) bigram_[a].assign(pairs[a].begin(), pairs[a].end());
}

double NGramModel::log_prob(std::int64_t prev, std::int64_t next) const {
    if (next < 0 || next >= vocab_ || (order_ == 2 && (prev < 0 || prev >= vocab_)))
        fail("NGramModel", "token id outside [0, ", vocab_, "): prev ", prev, ", next ", next);
    const double V = static_cast<double>(vocab_);
    if (order_ == 1) return std::log((unigram_[static_cast<std::size_t>(next)] + k_) / (total_ + k_ * V));
    const auto& row = bigram_[static_cast<std::size_t>(prev)];
    const auto it = std::lower_bound(row.begin(), row.end(), std::make_pair(next, -1.0));
    const double c = it != row.end() && it->first == next ? it->second : 0.0;
    return std::log((c + k_) / (context_[static_cast<std::size_t>(prev)] + k_ * V));
}

std::vector<double> NGramModel::next_log_probs(std::int64_t prev) const {
    std::vector<double> logp(static_cast<std::size_t>(vocab_));  // (V)
    for (std::int64_t v = 0; v < vocab_; ++v) logp[static_cast<std::size_t>(v)] = log_prob(prev, v);
    return logp;
}

double NGramModel::cross_entropy(const std::vector<Ids>& poems, std::int64_t* tokens) const {
    double nats = 0;
    std::int64_t n = 0;
    for (const Ids& p : poems)
        for (std::size_t i = 1; i < p.size(); ++i) nats -= log_prob(p[i - 1], p[i]), ++n;
    if (tokens) *tokens = n;
    if (n == 0) fail("NGramModel::cross_entropy", "no tokens to score");
    return nats / static_cast<double>(n);
}

NGramModel choose_k(int order, std::int64_t vocab, const std::vector<Ids>& train, const std::vector<Ids>& heldout,
                    const std::vector<double>& ks) {
    if (ks.empty()) fail("choose_k", "no k to try");
    NGramModel best(order, vocab, ks[0]);
    double best_nats = INFINITY;
    for (double k : ks) {
        NGramModel m(order, vocab, k);
        m.fit(train);
        const double nats = m.cross_entropy(heldout);
        if (nats < best_nats) best = m, best_nats = nats;
    }
    return best;
}

Ids ngram_generate(const NGramModel& model, const Ids& prompt, const nn::GenerateOptions& o, Generator& gen) {
    if (prompt.empty()) fail("ngram_generate", "the prompt must hold at least [BOS]");
    for (std::int64_t id : o.never)
        if (id < 0 || id >= model.vocab()) fail("ngram_generate", "banned id ", id, " is outside [0, ", model.vocab(), ")");
    Ids out;
    std::int64_t prev = prompt.back();
    for (std::int64_t step = 0; step < o.max_new_tokens; ++step) {
        std::vector<double> logp = model.next_log_probs(prev);  // (V): the logits of a softmax
        for (std::int64_t id : o.never) logp[static_cast<std::size_t>(id)] = -INFINITY;
        prev = nn::sample_token(from_vector(logp), o.sampling, gen);
        out.push_back(prev);
        if (prev == o.stop_id) break;
    }
    return out;
}

}  // namespace qkv::lesson10
