// The task that needs two kinds of look: "previous token and marked token".
//
// A sequence of T symbols from an alphabet of V (shown as a, b, c, ...); exactly one position
// carries a marked copy of its symbol (shown as C*). At every position t >= 1 the model must
// name the pair
//
//   target(t) = (symbol at t-1, marked symbol)   as one class  prev * V + marked,  V*V classes
//
// so each output needs one look at a fixed offset (the previous token: a question about ORDER)
// and one look at a token found by its content (the mark: a question about WHAT, wherever it
// is). Position 0 has no previous token and is not scored (target = ignore_index).
//
// The first look is impossible without positional information: self-attention on its own
// treats the sequence as a set (permute the tokens and the outputs permute the same way), so
// nothing tells it which token came just before t.
//
// Token ids: symbol s unmarked is id s, marked is id V + s; 2V ids in all.
// Shapes: N = sequences, T = positions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::lesson05 {

inline constexpr std::int64_t kIgnore = -100;  // cross_entropy's default ignore_index

struct TaskConfig {
    std::int64_t vocab = 6;    // V symbols
    std::int64_t length = 12;  // T positions
    std::int64_t num_ids() const { return 2 * vocab; }
    std::int64_t num_classes() const { return vocab * vocab; }
};

struct TaskBatch {
    Tensor ids;      // (N, T) int64 in [0, 2V)
    Tensor targets;  // (N, T) int64: prev * V + marked, kIgnore at t = 0
    Tensor marked;   // (N) int64: the marked position of each sequence
};

// N sequences: symbols uniform over V, the marked position uniform over [0, T).
TaskBatch make_batch(const TaskConfig& config, std::int64_t n, Generator& gen);

// Sequences as rows of ids, to keep the held-out ones out of training.
using SequenceSet = std::set<std::vector<std::int64_t>>;
SequenceSet sequence_set(const Tensor& ids);  // ids (N, T)

// make_batch, except that a sequence found in `excluded` is replaced by a fresh draw (until it is
// not in it). With 12 * 6^12 (about 2.6e10) possible sequences a clash is rare (about 0.002
// expected over lesson 05's 51200 training sequences against 1000 held-out ones), so the stream is
// almost always make_batch's own; the exclusion makes "never trained on a held-out sequence" a
// guarantee instead of a likelihood.
TaskBatch make_batch(const TaskConfig& config, std::int64_t n, Generator& gen, const SequenceSet& excluded);

// The best accuracy any order-blind model can expect on `batch`. Without positions, what a
// position t sees is its own token and the SET of tokens, not their order; given those, the
// token at t-1 is equally likely to be any of the other T-1 tokens, so the best guess is the
// most common symbol among them, right with probability (its count) / (T-1). The mean of that
// over the scored positions.
double order_blind_ceiling(const TaskConfig& config, const TaskBatch& batch);

// The symbol (0..V-1) of a token id, and whether the id is a marked one.
std::int64_t symbol_of(std::int64_t id, std::int64_t vocab);
bool is_marked(std::int64_t id, std::int64_t vocab);

// "c" or "C*": the label of a token id in pictures and printouts.
std::string token_label(std::int64_t id, std::int64_t vocab);
// "(b, C)": the label of a target class.
std::string class_label(std::int64_t cls, std::int64_t vocab);

}  // namespace qkv::lesson05
