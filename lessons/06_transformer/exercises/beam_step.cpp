#include "lessons/06_transformer/exercises/beam_step.hpp"

#include <algorithm>
#include <cmath>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

BeamStep beam_step(const std::vector<Beam>& beams, const std::vector<float>& log_probs, std::int64_t V,
                   std::int64_t beam_size, std::int64_t eos_id, double length_alpha) {
    // SOLUTION BEGIN 06.2
    struct Candidate {
        double log_prob;
        std::size_t beam;
        std::int64_t token;
    };
    std::vector<Candidate> candidates;  // every beam extended by every token
    for (std::size_t b = 0; b < beams.size(); ++b) {
        const float* row = log_probs.data() + b * static_cast<std::size_t>(V);  // log p(. | beam b)
        for (std::int64_t v = 0; v < V; ++v) candidates.push_back({beams[b].log_prob + row[v], b, v});
    }
    const std::size_t keep = std::min(candidates.size(), static_cast<std::size_t>(beam_size));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(keep), candidates.end(),
                      [](const Candidate& a, const Candidate& b) {
                          if (a.log_prob != b.log_prob) return a.log_prob > b.log_prob;  // best first
                          // ties: the earlier beam, then the smaller token
                          return a.beam != b.beam ? a.beam < b.beam : a.token < b.token;
                      });
    BeamStep out;
    for (std::size_t c = 0; c < keep; ++c) {
        const Candidate& cand = candidates[c];
        const Beam& parent = beams[cand.beam];
        if (cand.token == eos_id) {
            if (c == 0) out.stop = true;  // the most likely continuation is "stop here"
            nn::Hypothesis h;
            h.tokens.assign(parent.prefix.begin() + 1, parent.prefix.end());  // without [BOS]
            h.log_prob = cand.log_prob;
            h.score = cand.log_prob / std::pow(static_cast<double>(h.tokens.size() + 1), length_alpha);  // [EOS] counts
            h.finished = true;
            out.finished.push_back(std::move(h));
        } else {
            Beam next{parent.prefix, cand.log_prob};
            next.prefix.push_back(cand.token);
            out.beams.push_back(std::move(next));
        }
    }
    return out;
    // SOLUTION END 06.2
}

std::vector<nn::Hypothesis> beam_search_mine(nn::Transformer& model, const Tensor& src_ids,
                                             const Tensor& src_key_padding, const nn::BeamOptions& o) {
    if (src_ids.dim() != 2 || src_ids.size(0) < 1 || o.beam_size < 1 || o.max_len < 1 ||
        o.max_len + 1 > model.config().max_len)
        fail("beam_search_mine", "src_ids (B, Ts) with B >= 1, beam_size >= 1 and max_len in [1, ",
             model.config().max_len - 1, "], got ", shape_str(src_ids.shape()), ", ", o.beam_size, ", ", o.max_len);
    nn::EvalGuard eval(model);  // back in its mode on return, also when a check below throws
    NoGradGuard no_grad;
    const std::int64_t B = src_ids.size(0), V = model.config().tgt_vocab_size;
    const Var memory = model.encode(src_ids, src_key_padding);  // (B, Ts, D)
    // Every live beam of every example is one row of the decoder's batch, as in nn::beam_search.
    std::vector<std::vector<Beam>> beams(static_cast<std::size_t>(B), {Beam{{o.bos_id}, 0.0}});
    std::vector<std::vector<nn::Hypothesis>> finished(static_cast<std::size_t>(B));
    std::vector<bool> stopped(static_cast<std::size_t>(B), false);
    for (std::int64_t step = 0; step < o.max_len; ++step) {
        std::vector<std::int64_t> flat, row_example;
        std::int64_t t = 0;
        for (std::size_t e = 0; e < beams.size(); ++e)
            if (!stopped[e])
                for (const Beam& b : beams[e]) {
                    flat.insert(flat.end(), b.prefix.begin(), b.prefix.end());
                    row_example.push_back(static_cast<std::int64_t>(e));
                    t = static_cast<std::int64_t>(b.prefix.size());
                }
        if (row_example.empty()) break;
        const Tensor rows = from_vector(row_example);  // (R)
        const Var hidden = model.decode(from_vector(flat, {static_cast<std::int64_t>(row_example.size()), t}),
                                        index_select(memory, 0, rows),
                                        src_key_padding.defined() ? index_select(src_key_padding, 0, rows) : Tensor());
        const std::vector<float> logp =  // (R, V)
            log_softmax(model.project(hidden.select(1, t - 1)).data(), -1).to(DType::Float32).to_vector<float>();
        std::size_t r = 0;  // the first row of the current example
        for (std::size_t e = 0; e < beams.size(); ++e) {
            if (stopped[e] || beams[e].empty()) continue;
            const auto row = [&](std::size_t i) {  // where row i of (R, V) starts
                return logp.begin() + static_cast<std::ptrdiff_t>(i * static_cast<std::size_t>(V));
            };
            const std::vector<float> mine(row(r), row(r + beams[e].size()));  // this example's rows (beams, V)
            r += beams[e].size();
            BeamStep s = beam_step(beams[e], mine, V, o.beam_size, o.eos_id, o.length_alpha);
            finished[e].insert(finished[e].end(), s.finished.begin(), s.finished.end());
            beams[e] = std::move(s.beams);
            stopped[e] = s.stop;
        }
    }
    std::vector<nn::Hypothesis> best(static_cast<std::size_t>(B));
    for (std::size_t e = 0; e < beams.size(); ++e) {
        if (!stopped[e])  // prefixes still open at max_len compete by the same score
            for (const Beam& b : beams[e]) {
                nn::Hypothesis h;
                h.tokens.assign(b.prefix.begin() + 1, b.prefix.end());
                h.log_prob = b.log_prob;
                h.score = b.log_prob / std::pow(static_cast<double>(h.tokens.size()), o.length_alpha);
                finished[e].push_back(std::move(h));
            }
        if (finished[e].empty())
            fail("beam_search_mine", "example ", e, " ended with no hypothesis: does beam_step keep any?");
        best[e] = *std::max_element(finished[e].begin(), finished[e].end(),
                                    [](const nn::Hypothesis& a, const nn::Hypothesis& b) { return a.score < b.score; });
    }
    return best;
}

}  // namespace qkv::exercises

namespace qkv::exercises {

void probe_mine() { beam_step({Beam{{0}, 0.0}}, {-0.1f, -2.0f}, 2, 1, 1, 0.6); }

}  // namespace qkv::exercises
