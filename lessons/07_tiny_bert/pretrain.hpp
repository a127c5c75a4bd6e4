// Pre-training the tiny BERT on the corpus: masked language modelling plus next-sentence
// prediction, summed, as in BERT (Devlin et al. 2018, section 3.1 and appendix A.2), and the
// held-out measurements the lesson promises.
#pragma once

#include <functional>

#include "lessons/07_tiny_bert/data.hpp"
#include "lessons/common/resume.hpp"
#include "nn/bert/masking.hpp"
#include "nn/bert/pretraining.hpp"

namespace qkv::lesson07 {

struct PretrainOptions {
    std::int64_t steps = 800;
    std::int64_t batch_size = 64;   // sentence pairs per step
    double lr = 5e-3;               // AdamW peak; warmup then linear decay to 0 (BERT's schedule)
    double warmup_fraction = 0.1;
    double weight_decay = 0.01;
    double clip_norm = 1.0;         // global gradient-norm clipping, as BERT
    std::uint64_t seed = 0;         // pair sampling and masking
    // `--mine` (exercises/): the student's masking and MLM loss; empty means the library's
    // nn::mask_tokens and masked_lm_loss_at_chosen. A loss given here gets the full (B, T, V) logits.
    std::function<nn::MaskedTokens(const Tensor& ids, const nn::Vocab&, Generator&)> mask_tokens;
    std::function<Var(const Var& mlm_logits, const Tensor& targets, const Tensor& chosen)> mlm_loss;
    lesson::ResumeOptions checkpoint;  // checkpoints and --resume (lessons/common/resume.hpp); off by default
};

// The lesson's model: 2 layers, width 64, 4 heads of 16, FFN 256, inputs up to 32 tokens, and
// no dropout (BERT's 0.1 slows this small, noiseless task down more than it helps).
nn::BertConfig tiny_bert_config(std::int64_t vocab_size);

// That model with BERT's initialisation drawn from `seed`.
nn::BertForPreTraining make_tiny_bert(std::int64_t vocab_size, std::uint64_t seed);

struct PretrainCurves {
    std::vector<double> steps, mlm_loss, nsp_loss;  // the training loss of every step
};

// Trains `model` in place. `on_step(step, mlm, nsp)` is called after every step (1-based).
// With options.checkpoint set, saves at intervals and can resume, ending bit-identical to a
// run never stopped (the model has no dropout).
PretrainCurves pretrain(nn::BertForPreTraining& model, const LessonData& data, const PretrainOptions& options,
                        const std::function<void(std::int64_t, double, double)>& on_step = {});

// A fixed held-out set: `count` pairs from the held-out documents, masked once, from `seed`.
struct HeldoutPairs {
    Batch batch;
    nn::MaskedTokens masked;
};
HeldoutPairs make_heldout_pairs(const LessonData& data, std::int64_t count, std::uint64_t seed);

struct PretrainMetrics {
    double mlm_accuracy = 0;        // argmax at the chosen positions == the original token
    double mlm_loss = 0;            // mean cross-entropy over the chosen positions
    double baseline_accuracy = 0;   // always answering the training corpus's most frequent token
    std::string baseline_token;
    double nsp_accuracy = 0;
    std::int64_t chosen_positions = 0;
    // Accuracy split by what the input showed at the chosen position: [MASK], a random token,
    // or the original token itself.
    double accuracy_masked = 0, accuracy_random = 0, accuracy_kept = 0;
    // Accuracy at the chosen positions whose target is a fact word (an animal, food, home or
    // sound: whole words of the vocabulary), the part that needs the world's facts, not just
    // its sentence patterns; and how many such positions there were.
    double fact_accuracy = 0;
    std::int64_t fact_positions = 0;
};

// Runs in eval mode (no dropout) without building a graph; restores the training mode after.
PretrainMetrics evaluate_pretraining(nn::BertForPreTraining& model, const LessonData& data, const HeldoutPairs& heldout);

// For each vocabulary id: is it a whole fact word (cat, cats, meows, fish, house, ...)?
std::vector<bool> fact_words(const nn::Vocab& vocab);

// The most frequent ordinary token of the training corpus.
std::int64_t most_frequent_token(const TokenizedCorpus& corpus);

}  // namespace qkv::lesson07
