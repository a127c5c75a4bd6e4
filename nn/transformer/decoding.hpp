// Turning a trained Transformer into output sequences: greedy decoding and beam search.
//
// Both encode the source once, then grow each target from [BOS] one token at a time: run the
// decoder on the prefix, take the log-probabilities log p(y_t | y_<t, x) at its last position,
// choose, append. A sequence stops when it emits [EOS] (or reaches max_len tokens).
//
// Greedy (贪心解码) takes the single most likely next token each step. It can commit early to a
// token that leads nowhere good; beam search (束搜索) keeps the `beam_size` best prefixes
// instead, extending each by every token and keeping the best beam_size of all the extensions.
//
// Length normalisation: a hypothesis's log-probability log P(y | x) = sum_t log p(y_t | ...)
// only falls as it grows, so comparing finished hypotheses by it favours short ones. We rank
// them by
//
//   score(y) = log P(y | x) / |y|^alpha          |y| counts the tokens including [EOS]
//
// alpha = 0 compares raw log-probabilities, alpha = 1 the mean log-probability per token; the
// default 0.6 is GNMT's (Wu et al. 2016) choice, between the two. Prefixes inside the beam all
// have the same length, so at each step they are ranked by log P alone.
//
// Each step ranks all extensions of the live prefixes and keeps the beam_size best; one that
// ends in [EOS] leaves the beam as a finished hypothesis, and the others are the next step's
// prefixes (which again offer beam_size extensions, so the beam refills). The search for one
// example stops when the best extension of a step is an [EOS] one (OpenNMT's rule: the most
// likely prefix is complete), or at max_len; the answer is the finished hypothesis (or, at
// max_len, the prefix) with the highest score. With beam_size = 1 this is exactly greedy
// decoding (ties go to the smaller token id in both).
//
// Why not stop after beam_size hypotheses have finished (as fairseq does)? With label
// smoothing every token keeps a little probability, so "the prefix so far, then [EOS]" is
// often among the beam_size best extensions of a step: several short hypotheses finish early,
// and the search would stop before the right, longer one is complete.
//
// What is not done: no logit is masked. [PAD] and [BOS] (and any other token) can be chosen
// if the model gives them the highest probability; a trained model gives them almost none,
// since no target contains them. And a hypothesis still open at max_len (no [EOS]) competes
// with the finished ones by the same score, its |y| = max_len counting no [EOS], and it can
// win: its tokens are returned with finished = false.
//
// The model is switched to eval() for the search (so dropout is off and two decodes agree)
// and back to its previous mode afterwards; no graph is recorded.
//
// With use_cache (the default), each step runs the decoder on the new position only, through
// a key/value cache (nn/transformer/kv_cache.hpp), instead of on the whole prefix again: the
// same tokens and scores (tests/nn/test_kv_cache.cpp checks it), in O(n) positions instead of
// O(n^2).
// Shapes: B = batch, Ts = source length.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/transformer/transformer.hpp"

namespace qkv::nn {

struct DecodeOptions {
    std::int64_t bos_id = 2;
    std::int64_t eos_id = 3;
    std::int64_t max_len = 32;  // most tokens generated per sequence, [EOS] included
    bool use_cache = true;      // decode through a KV cache (false: re-run the whole prefix each step)
};

// src_ids (B, Ts), src_key_padding (B, Ts) bool or undefined -> per example the generated
// tokens, without [BOS] and [EOS].
std::vector<std::vector<std::int64_t>> greedy_decode(Transformer& model, const Tensor& src_ids,
                                                     const Tensor& src_key_padding, const DecodeOptions& options);

struct BeamOptions : DecodeOptions {
    std::int64_t beam_size = 4;
    double length_alpha = 0.6;
};

struct Hypothesis {
    std::vector<std::int64_t> tokens;  // without [BOS] and [EOS]
    double log_prob = 0;               // log P(y | x), [EOS] included when finished
    double score = 0;                  // log_prob / |y|^alpha
    bool finished = false;             // ended in [EOS] (else it hit max_len)
};

// The best hypothesis per example (highest score).
std::vector<Hypothesis> beam_search(Transformer& model, const Tensor& src_ids, const Tensor& src_key_padding,
                                    const BeamOptions& options);

}  // namespace qkv::nn
