// Exercise 06.2: one step of beam search (束搜索), as nn::beam_search takes it
// (nn/transformer/decoding.hpp).
//
// Every live prefix (beam) b with log-probability L_b is extended by every token v of the
// vocabulary: candidate (b, v) has log-probability L_b + log p(v | prefix_b). The beam_size best
// candidates of ALL beams together are kept (best first; a tie goes to the earlier beam, then to
// the smaller token). A kept candidate ending in eos_id leaves the beam as a finished
// hypothesis, scored
//
//   score = log P / |y|^alpha,     |y| = its tokens without [BOS], [EOS] included
//
// and if it is the very best candidate of the step, the search stops (stop = true). The other
// kept candidates are the next step's beams, in the order they were kept.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/transformer/decoding.hpp"

namespace qkv::exercises {

struct Beam {
    std::vector<std::int64_t> prefix;  // [BOS] y_1 .. y_t
    double log_prob = 0;               // log P(y_1 .. y_t | x)
};

struct BeamStep {
    std::vector<Beam> beams;                 // the next step's prefixes, best first
    std::vector<nn::Hypothesis> finished;    // hypotheses that ended with [EOS] this step, best first
    bool stop = false;                       // the best candidate of this step was an [EOS] one
};

// log_probs: beams.size() rows of V numbers, row-major: log_probs[b * V + v] = log p(v | beam b).
BeamStep beam_step(const std::vector<Beam>& beams, const std::vector<float>& log_probs, std::int64_t V,
                   std::int64_t beam_size, std::int64_t eos_id, double length_alpha);

// nn::beam_search with beam_step in place of the library's step: what `lesson06 --mine` decodes
// with. Not an exercise: it runs the decoder and hands each step's log-probabilities to you.
std::vector<nn::Hypothesis> beam_search_mine(nn::Transformer& model, const Tensor& src_ids,
                                             const Tensor& src_key_padding, const nn::BeamOptions& options);

}  // namespace qkv::exercises

namespace qkv::exercises {

// Calls 06.2 once on a tiny input, so `--mine` can say which exercise to do first: throws
// qkv::NotImplemented while it is unsolved.
void probe_mine();

}  // namespace qkv::exercises
