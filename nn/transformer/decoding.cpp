#include "nn/transformer/decoding.hpp"

#include <algorithm>
#include <cmath>

#include "nn/transformer/kv_cache.hpp"

namespace qkv::nn {

namespace {

void check_inputs(const char* op, const Transformer& model, const Tensor& src_ids, const DecodeOptions& o) {
    const std::int64_t V = model.config().tgt_vocab_size;
    if (src_ids.dim() != 2 || src_ids.size(0) < 1)
        fail(op, "src_ids must be (B, Ts) with B >= 1, got ", shape_str(src_ids.shape()));
    if (o.bos_id < 0 || o.bos_id >= V || o.eos_id < 0 || o.eos_id >= V)
        fail(op, "bos_id ", o.bos_id, " and eos_id ", o.eos_id, " must lie in the target vocabulary [0, ", V, ")");
    if (o.max_len < 1 || o.max_len + 1 > model.config().max_len)
        fail(op, "max_len ", o.max_len, " must be in [1, ", model.config().max_len - 1,
             "] (the target, [BOS] included, must fit the positional table)");
}

// The rows of `prefixes` (all of one length t) as a (R, t) int64 tensor.
Tensor to_ids(const std::vector<std::vector<std::int64_t>>& prefixes) {
    const std::int64_t R = static_cast<std::int64_t>(prefixes.size()), t = static_cast<std::int64_t>(prefixes[0].size());
    std::vector<std::int64_t> flat;
    flat.reserve(static_cast<std::size_t>(R * t));
    for (const auto& p : prefixes) flat.insert(flat.end(), p.begin(), p.end());
    return from_vector(flat, {R, t});
}

// (R, D) hidden states -> log p(next token) for every row: (R, V) as floats, row-major.
std::vector<float> log_probs(Transformer& model, const Var& last) {
    return log_softmax(model.project(last).data(), -1).to(DType::Float32).to_vector<float>();  // (R, V)
}

// log p(next token | prefix, source) for every row, from the decoder run on the whole prefix:
// (R, V) as floats, row-major.
std::vector<float> next_log_probs(Transformer& model, const std::vector<std::vector<std::int64_t>>& prefixes,
                                  const Var& memory, const Tensor& memory_key_padding) {
    const Tensor ids = to_ids(prefixes);                                       // (R, t)
    const Var hidden = model.decode(ids, memory, memory_key_padding);          // (R, t, D)
    return log_probs(model, hidden.select(1, ids.size(1) - 1));               // (R, D) -> (R, V)
}

// The same through the KV cache: only each prefix's last token is run (the cache holds the rest).
std::vector<float> next_log_probs_cached(Transformer& model, const std::vector<std::vector<std::int64_t>>& prefixes,
                                         KVCache& cache) {
    std::vector<std::int64_t> last;
    for (const auto& p : prefixes) last.push_back(p.back());
    return log_probs(model, decode_next(model, from_vector(last), cache));    // (R, D) -> (R, V)
}

}  // namespace

std::vector<std::vector<std::int64_t>> greedy_decode(Transformer& model, const Tensor& src_ids,
                                                     const Tensor& src_key_padding, const DecodeOptions& o) {
    check_inputs("greedy_decode", model, src_ids, o);
    EvalGuard eval(model);
    NoGradGuard no_grad;
    const std::int64_t B = src_ids.size(0), V = model.config().tgt_vocab_size;
    const Var memory = model.encode(src_ids, src_key_padding);                 // (B, Ts, D)

    std::vector<std::vector<std::int64_t>> prefixes(static_cast<std::size_t>(B), {o.bos_id});
    std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(B));
    std::vector<bool> done(static_cast<std::size_t>(B), false);
    std::int64_t left = B;
    KVCache cache;
    if (o.use_cache) cache = start_kv_cache(model, memory, src_key_padding, o.max_len);
    for (std::int64_t step = 0; step < o.max_len && left > 0; ++step) {
        // Finished rows ride along (fed [EOS]) so the batch keeps one shape; their output is ignored.
        const std::vector<float> logp = o.use_cache ? next_log_probs_cached(model, prefixes, cache)
                                                    : next_log_probs(model, prefixes, memory, src_key_padding);
        for (std::size_t b = 0; b < static_cast<std::size_t>(B); ++b) {
            if (done[b]) {
                prefixes[b].push_back(o.eos_id);
                continue;
            }
            const float* row = logp.data() + b * static_cast<std::size_t>(V);
            const std::int64_t next = std::max_element(row, row + V) - row;    // the first of equal maxima
            prefixes[b].push_back(next);
            if (next == o.eos_id) {
                done[b] = true;
                --left;
            } else {
                out[b].push_back(next);
            }
        }
    }
    return out;
}

namespace {

struct Beam {
    std::vector<std::int64_t> prefix;  // [BOS] y1 ... yt
    double log_prob = 0;
    std::int64_t cache_row = 0;        // the KV cache's row holding this prefix's positions but the last
};

struct Candidate {
    double log_prob;
    std::int64_t beam, token;
};

double normalised(double log_prob, std::size_t length, double alpha) {
    return log_prob / std::pow(static_cast<double>(length), alpha);
}

}  // namespace

std::vector<Hypothesis> beam_search(Transformer& model, const Tensor& src_ids, const Tensor& src_key_padding,
                                    const BeamOptions& o) {
    check_inputs("beam_search", model, src_ids, o);
    if (o.beam_size < 1) fail("beam_search", "beam_size must be >= 1, got ", o.beam_size);
    if (!(o.length_alpha >= 0)) fail("beam_search", "length_alpha must be >= 0, got ", o.length_alpha);
    EvalGuard eval(model);
    NoGradGuard no_grad;
    const std::int64_t B = src_ids.size(0), V = model.config().tgt_vocab_size, K = o.beam_size;
    const Var memory = model.encode(src_ids, src_key_padding);                 // (B, Ts, D)

    std::vector<std::vector<Beam>> beams(static_cast<std::size_t>(B));
    for (std::int64_t e = 0; e < B; ++e) beams[static_cast<std::size_t>(e)] = {Beam{{o.bos_id}, 0.0, e}};
    KVCache cache;  // starts with one row per example; each step's rows are that step's beams
    if (o.use_cache) cache = start_kv_cache(model, memory, src_key_padding, o.max_len);
    std::vector<std::vector<Hypothesis>> finished(static_cast<std::size_t>(B));
    std::vector<bool> stopped(static_cast<std::size_t>(B), false);
    const auto searching = [&](std::size_t e) { return !stopped[e] && !beams[e].empty(); };

    for (std::int64_t step = 0; step < o.max_len; ++step) {
        // Every live beam of every example is one row of the decoder's batch.
        std::vector<std::vector<std::int64_t>> prefixes;
        std::vector<std::int64_t> row_example, parent_rows;
        for (std::size_t e = 0; e < beams.size(); ++e)
            if (searching(e))
                for (const Beam& b : beams[e]) {
                    prefixes.push_back(b.prefix);
                    row_example.push_back(static_cast<std::int64_t>(e));
                    parent_rows.push_back(b.cache_row);
                }
        if (prefixes.empty()) break;
        std::vector<float> logp;  // (R, V)
        if (o.use_cache) {
            cache.select_rows(from_vector(parent_rows));  // each beam continues its parent's keys and values
            logp = next_log_probs_cached(model, prefixes, cache);
        } else {
            const Tensor rows = from_vector(row_example);                      // (R)
            const Var row_memory = index_select(memory, 0, rows);              // (R, Ts, D)
            const Tensor row_padding = src_key_padding.defined() ? index_select(src_key_padding, 0, rows) : Tensor();
            logp = next_log_probs(model, prefixes, row_memory, row_padding);
        }

        std::size_t r = 0;  // the first row of the current example
        for (std::size_t e = 0; e < beams.size(); ++e) {
            if (!searching(e)) continue;
            std::vector<Candidate> candidates;
            for (std::size_t i = 0; i < beams[e].size(); ++i) {
                const float* row = logp.data() + (r + i) * static_cast<std::size_t>(V);  // log p(. | beam i)
                for (std::int64_t v = 0; v < V; ++v)
                    candidates.push_back({beams[e][i].log_prob + row[v], static_cast<std::int64_t>(i), v});
            }
            // Best first; ties to the earlier beam, then the smaller token (as greedy's argmax).
            const std::size_t keep = std::min(candidates.size(), static_cast<std::size_t>(K));
            std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                              [](const Candidate& a, const Candidate& b) {
                                  if (a.log_prob != b.log_prob) return a.log_prob > b.log_prob;
                                  return a.beam != b.beam ? a.beam < b.beam : a.token < b.token;
                              });
            std::vector<Beam> next;
            for (std::size_t c = 0; c < keep; ++c) {
                const Candidate& cand = candidates[c];
                const Beam& parent = beams[e][static_cast<std::size_t>(cand.beam)];
                if (cand.token == o.eos_id) {
                    if (c == 0) stopped[e] = true;  // the best extension is complete
                    Hypothesis h;
                    h.tokens.assign(parent.prefix.begin() + 1, parent.prefix.end());
                    h.log_prob = cand.log_prob;
                    h.score = normalised(cand.log_prob, h.tokens.size() + 1, o.length_alpha);
                    h.finished = true;
                    finished[e].push_back(std::move(h));
                } else {
                    Beam b{parent.prefix, cand.log_prob, static_cast<std::int64_t>(r) + cand.beam};
                    b.prefix.push_back(cand.token);
                    next.push_back(std::move(b));
                }
            }
            r += beams[e].size();
            beams[e] = std::move(next);
        }
    }

    std::vector<Hypothesis> best(static_cast<std::size_t>(B));
    for (std::size_t e = 0; e < beams.size(); ++e) {
        // Prefixes still open at max_len compete too, by the same score.
        if (!stopped[e])
            for (const Beam& b : beams[e]) {
                Hypothesis h;
                h.tokens.assign(b.prefix.begin() + 1, b.prefix.end());
                h.log_prob = b.log_prob;
                h.score = normalised(b.log_prob, h.tokens.size(), o.length_alpha);
                finished[e].push_back(std::move(h));
            }
        const auto it = std::max_element(finished[e].begin(), finished[e].end(),
                                          [](const Hypothesis& a, const Hypothesis& b) { return a.score < b.score; });
        best[e] = *it;
    }
    return best;
}

}  // namespace qkv::nn
