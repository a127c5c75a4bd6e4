// Choosing the next token from a language model's logits (解码策略: 贪心 and 采样).
//
// The model gives logits z (V) for the next token; softmax(z) is its belief. Taking the argmax
// every step (greedy) is deterministic and tends to loop ("the the the", the same line
// again); drawing from the distribution gives variety but also the model's long tail of
// unlikely tokens, each rare but together likely to appear somewhere in 200 characters. Three
// knobs shape the distribution before the draw, applied in this order (as Hugging Face's
// generate applies them):
//
//   temperature tau:  p_i = softmax(z / tau)_i. tau < 1 sharpens (tau -> 0 is greedy),
//                     tau > 1 flattens toward uniform.
//   top-k:            keep the k most likely tokens, renormalise.
//   top-p (nucleus):  sort by probability, keep the smallest prefix whose mass reaches p
//                     (token i is kept when the mass before it is < p, so the most likely
//                     token always stays), renormalise (Holtzman et al. 2020). Unlike top-k
//                     it adapts: one token when the model is sure, many when it is not.
//
// Ties are broken toward the smaller id (in sorting for top-k and top-p, and in greedy).
// A draw uses one uniform number u from qkv's Generator and inverse-CDF sampling: the first
// id whose running sum exceeds u, so a seed fixes the sample on every machine.
//
// Shapes: V = vocabulary.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::nn {

struct SamplingOptions {
    double temperature = 1.0;  // 0: greedy (the argmax), else > 0
    std::int64_t top_k = 0;    // 0: off, else keep the k most likely
    double top_p = 1.0;        // 1: off, else in (0, 1]
};

// Throws for a negative temperature, a negative top_k, or top_p outside (0, 1], naming it.
void check_sampling_options(const SamplingOptions& options);

// The distribution a draw uses: logits (V) -> probabilities (V), after temperature, top-k and
// top-p, in double. Logits of -inf (banned tokens) get probability 0. With temperature 0 it is
// one-hot at the argmax.
std::vector<double> sampling_distribution(const Tensor& logits, const SamplingOptions& options);

// The nucleus of `probs` (summing to 1): the smallest set of most likely tokens whose mass
// reaches p, renormalised; the others 0.
std::vector<double> top_p_filter(const std::vector<double>& probs, double p);
// The k most likely tokens, renormalised; the others 0. k >= V keeps all.
std::vector<double> top_k_filter(const std::vector<double>& probs, std::int64_t k);

// One draw from `probs` (non-negative, summing to about 1) with one uniform number from gen.
std::int64_t draw_from(const std::vector<double>& probs, Generator& gen);

// sampling_distribution, then draw_from (greedy draws nothing from gen).
std::int64_t sample_token(const Tensor& logits, const SamplingOptions& options, Generator& gen);

}  // namespace qkv::nn
