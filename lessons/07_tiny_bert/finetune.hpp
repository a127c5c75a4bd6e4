// The downstream task (下游任务): is a sentence true in the lesson's world?
//
//   "the cat eats fish"        consistent (label 1)
//   "the cat eats hay"         inconsistent (label 0): hay is the horse's food
//
// with only 100 labelled sentences to learn from. A model trained from scratch must find the
// 40 facts in those 100 examples; a pre-trained one already predicts "fish" after "the cat
// eats", so it only has to learn to report whether the word it sees is the one it expects.
// Both start the same BertForSequenceClassification (nn/bert/classification.hpp); one copies
// the pre-trained encoder into it, the other keeps BERT's random initialisation. Same data,
// steps, learning rate and seeds.
#pragma once

#include <functional>

#include "lessons/07_tiny_bert/data.hpp"
#include "nn/bert/classification.hpp"

namespace qkv::lesson07 {

struct LabelledSentences {
    std::vector<std::string> texts;
    std::vector<Ids> ids;
    std::vector<std::int64_t> labels;  // 1 = consistent with the facts, 0 = not
};

// `count` sentences, half true and half false (alternating), drawn from `gen`.
LabelledSentences make_consistency_set(const nn::BertTokenizer& tokenizer, std::int64_t count, Generator& gen);

struct FinetuneOptions {
    std::int64_t train_examples = 100;
    std::int64_t eval_examples = 1000;
    std::int64_t steps = 150;
    std::int64_t batch_size = 16;
    double lr = 3e-4;               // below pre-training's 5e-3: start from the weights, do not overwrite them
    double warmup_fraction = 0.1;
    double weight_decay = 0.01;
    std::int64_t eval_every = 25;   // held-out accuracy for the curves, every this many steps
    std::int64_t seeds = 3;
};

struct FinetuneRun {
    std::vector<double> eval_steps, eval_accuracy;  // held-out accuracy during training (step 0 first)
    std::vector<double> train_loss;                 // every step
    double final_accuracy = 0;
};

// Accuracy of `model` on `set` (eval mode, no graph).
double classification_accuracy(nn::BertForSequenceClassification& model, const LabelledSentences& set,
                               const nn::Vocab& vocab);

// One fine-tuning run. `pretrained` null: from scratch. `seed` draws the classifier (and, from
// scratch, the encoder), the dropout masks and the batches.
FinetuneRun finetune(const nn::BertConfig& config, nn::BertForPreTraining* pretrained, const LabelledSentences& train,
                     const LabelledSentences& eval, const nn::Vocab& vocab, const FinetuneOptions& options,
                     std::uint64_t seed);

struct FinetuneComparison {
    std::vector<FinetuneRun> pretrained, scratch;  // one per seed
    double mean_pretrained = 0, mean_scratch = 0;  // mean final held-out accuracy
    LabelledSentences eval;
};

// Both arms for seeds seed, seed + 1, ...: each seed also draws its own 100 training sentences
// (the same for both arms); the held-out set is shared. `on_run(arm, seed, run)` after each run.
FinetuneComparison compare_finetuning(const nn::BertConfig& config, nn::BertForPreTraining& pretrained,
                                      const nn::BertTokenizer& tokenizer, const FinetuneOptions& options,
                                      std::uint64_t seed,
                                      const std::function<void(const std::string&, std::uint64_t, const FinetuneRun&)>&
                                          on_run = {});

}  // namespace qkv::lesson07
