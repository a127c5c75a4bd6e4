// Training a Transformer on one of the lesson's tasks, and measuring it: the recipe of
// "Attention Is All You Need" section 5 at toy scale.
//
//   - teacher forcing: the decoder reads [BOS] y and predicts y [EOS], all positions at once;
//   - label smoothing eps = 0.1 (nn/transformer/label_smoothing.hpp);
//   - Adam with betas (0.9, 0.98), eps 1e-9, and the inverse-square-root ("Noam") schedule
//       lr(s) = factor * d_model^-0.5 * min(s^-0.5, s * warmup^-1.5)    (nn/optim/schedule.hpp)
//     which rises linearly for `warmup` steps to factor / sqrt(d_model * warmup), then decays;
//     update s (counting from 1, as the paper's step_num) uses lr(s), so the peak is update `warmup`;
//   - gradient clipping to a global norm of 1 (nn/optim/clip.hpp).
//
// Evaluation decodes the held-out sources greedily and with beam search
// (nn/transformer/decoding.hpp) and counts exact matches: a prediction counts only if every
// token and the length are right.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "lessons/06_transformer/tasks.hpp"
#include "lessons/common/resume.hpp"
#include "nn/transformer/decoding.hpp"

namespace qkv::lesson06 {

struct TrainConfig {
    // the model
    std::int64_t d_model = 32, num_heads = 4, num_layers = 2, d_ff = 64;  // num_layers encoder + as many decoder
    // Every step draws fresh items, so there is no small training set to overfit, and dropout
    // would only slow the learning down (try --dropout 0.1).
    double dropout = 0.0;
    bool norm_first = false;  // post-norm, as the paper
    bool share_embeddings = false;  // needs one vocabulary for source and target (not translate)
    // the optimisation
    std::int64_t steps = 400, batch_size = 128;
    std::int64_t warmup = 100;
    double lr_factor = 0.15;  // peak lr = factor / sqrt(d_model * warmup) = 0.00265
    double label_smoothing = 0.1;
    double clip_norm = 1.0;
    std::uint64_t seed = 0;
    // the measurements
    std::int64_t held_out = 1000;
    std::int64_t curve_items = 200;  // held-out items in the held-out loss curve
    std::int64_t curve_points = 10;  // held-out loss evaluations over the run
    std::int64_t beam_size = 4;
    double length_alpha = 0.6;
    // Beam search for evaluate(); empty means nn::beam_search. `--mine` puts the student's here
    // (exercises/beam_step.hpp).
    std::function<std::vector<nn::Hypothesis>(nn::Transformer&, const Tensor& src_ids, const Tensor& src_key_padding,
                                              const nn::BeamOptions&)>
        beam_search;
    // checkpoints every so many steps, and --resume (lessons/common/resume.hpp); off by default
    lesson::ResumeOptions checkpoint;
};

// --quick: copy trains long enough to learn (greedy exact match >= 0.9 on its held-out items,
// the milestone tests/lessons/06 checks) with a shorter warmup and a higher peak; the other tasks
// run only quick_other_steps, to show every part working. `c` holds the flags' values.
inline constexpr std::int64_t quick_copy_steps = 200, quick_other_steps = 20;
TrainConfig quick_config(Task task, TrainConfig c);

nn::TransformerConfig model_config(const TaskSpec& spec, const TrainConfig& config);

// One padded batch: src (B, Ts) with its padding mask, tgt_in = [BOS] y (B, Tt), tgt_out = y [EOS] (B, Tt).
struct Batch {
    Tensor src, src_padding, tgt_in, tgt_out;
};
Batch make_batch(const std::vector<Example>& examples);

struct TrainResult {
    std::shared_ptr<nn::Transformer> model;
    TaskData data;
    std::vector<double> steps, train_loss;       // the training loss at every step
    std::vector<double> curve_steps, held_loss;  // the held-out loss at curve_points steps
    std::vector<double> lr;                      // the learning rate of every step: lr[i] = lr(i + 1)
};

// The label-smoothed loss on `examples` in eval mode, no graph.
double evaluate_loss(nn::Transformer& model, const std::vector<Example>& examples, double label_smoothing);

// Trains on `spec`: builds the model from Generator(config.seed), the held-out set from its
// own seed, and calls on_step(step, loss, model) after each step (step counts from 1). With
// config.checkpoint set it saves a checkpoint at intervals and can resume from one, ending with
// the same numbers as a run never stopped (with dropout 0: the dropout layers' own generators
// are not saved).
TrainResult train(const TaskSpec& spec, const TrainConfig& config,
                  const std::function<void(std::int64_t, double, nn::Transformer&)>& on_step = {});

struct EvalResult {
    double greedy_exact = 0, beam_exact = 0;  // fractions of items exactly right
    std::vector<std::vector<std::int64_t>> greedy, beam;  // the predictions
};

EvalResult evaluate(nn::Transformer& model, const TaskSpec& spec, const std::vector<Example>& examples,
                    const TrainConfig& config);

}  // namespace qkv::lesson06
