// Training a Seq2Seq on a Task with teacher forcing, and measuring it on the held-out set with
// greedy decoding: exact match (overall and by source length) and how often the largest
// attention weight falls where the task says it should.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "lessons/04_bahdanau_seq2seq/task.hpp"
#include "nn/seq2seq/bahdanau.hpp"

namespace qkv::lesson04 {

// The lesson's budget: every model trains this many steps of 64 examples.
inline constexpr std::int64_t default_steps = 300;
// --quick: the reversal models train quick_steps steps on quick_reversal_options() (a milestone:
// the length-5 sequences come out right); the dates train quick_dates_steps, only to run the part.
inline constexpr std::int64_t quick_steps = 150, quick_dates_steps = 10;

struct TrainConfig {
    std::int64_t steps = default_steps;
    std::int64_t batch_size = 64;
    double lr = 3e-3;          // Adam; decayed linearly to lr/10 over the run
    double max_grad_norm = 1;  // clip_grad_norm_
    // Bucketing: draw `buckets` batches' worth of examples at once, sort them by source length
    // and cut them into batches, so each batch is padded only to lengths near its own.
    std::int64_t buckets = 4;
    std::int64_t embed_size = 32, hidden_size = 64, attention_size = 64;
    bool use_attention = true;
    std::uint64_t seed = 0;    // model initialisation and training draws
    // The teacher-forced forward pass; empty means the library's Seq2Seq::forward. `--mine`
    // puts the student's decoder step here (exercises/decoder_step.hpp).
    std::function<nn::Seq2SeqOutput(nn::Seq2Seq&, const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in)>
        forward;
};

// The lesson's settings, from its seed: reversal at lr 3e-3 (with or without attention), dates at
// lr 6e-3 (longer sources, more to learn in the same number of steps).
TrainConfig reversal_config(std::uint64_t seed, std::int64_t steps = default_steps, bool use_attention = true);
TrainConfig dates_config(std::uint64_t seed, std::int64_t steps = default_steps);

// A batch ready for teacher forcing.
struct Seq2SeqBatch {
    Tensor src;          // (B, S) int64, padded with [PAD]
    Tensor src_lengths;  // (B) int64
    Tensor tgt_in;       // (B, T) int64: [BOS] y_0 .. y_{n-1}, padded
    Tensor tgt_out;      // (B, T) int64: y_0 .. y_{n-1} [EOS], padded with [PAD] (ignored by the loss)
};
Seq2SeqBatch make_batch(const std::vector<Example>& examples, const nn::Vocab& tgt_vocab);

// The next `buckets` training batches: buckets * batch_size draws from task.sample, sorted by
// source length (stable), cut into batches, in an order shuffled by `gen`.
std::vector<std::vector<Example>> draw_bucketed(const Task& task, std::int64_t batch_size, std::int64_t buckets,
                                                Generator& gen);

struct Trained {
    nn::Seq2Seq model;
    std::vector<double> losses;  // per step
};

// Calls `on_step(step, loss)` after each step (1-based).
Trained train(const Task& task, const TrainConfig& config,
              const std::function<void(std::int64_t, double)>& on_step = {});

struct Evaluation {
    double exact_match = 0;                  // fraction of held-out examples decoded exactly
    std::vector<std::int64_t> total_by_len;  // index = source length
    std::vector<std::int64_t> correct_by_len;
    std::int64_t aligned = 0, counted = 0;   // counted target positions and those whose largest weight is on align[i]
    std::vector<std::int64_t> aligned_at, counted_at;  // the same, per target position i
    double alignment() const { return counted ? static_cast<double>(aligned) / static_cast<double>(counted) : 0; }
    // The alignment over target positions first .. last only (the year digits of a date, say).
    double alignment_over(std::int64_t first, std::int64_t last) const;
    std::int64_t counted_over(std::int64_t first, std::int64_t last) const;
    double accuracy_at(std::int64_t len) const;
    std::int64_t total_at(std::int64_t len) const;  // held-out examples of source length len
    std::vector<std::vector<std::int64_t>> decoded;  // per held-out example, without [EOS]
    std::vector<Tensor> attention;                   // per held-out example, (steps, source length) float32
};

// Greedy decoding of every held-out example, in batches of `batch_size`.
Evaluation evaluate(nn::Seq2Seq& model, const Task& task, std::int64_t batch_size = 500);

}  // namespace qkv::lesson04
