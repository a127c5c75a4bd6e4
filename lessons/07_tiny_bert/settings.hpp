// The lesson's budget in one place, shared by the program and its outcome tests: what
// `lesson07` runs by default, and the few-second version `--quick` runs.
#pragma once

#include "lessons/07_tiny_bert/finetune.hpp"
#include "lessons/07_tiny_bert/pretrain.hpp"

namespace qkv::lesson07 {

struct LessonSettings {
    std::int64_t train_docs = 2000;     // 8,000 sentences to draw pre-training pairs from
    std::int64_t heldout_docs = 500;    // documents no training pair comes from
    std::int64_t heldout_pairs = 2000;  // held-out pairs the MLM and NSP accuracies are measured on
    std::int64_t vocab_size = 200;      // WordPiece vocabulary
    PretrainOptions pretrain;
    FinetuneOptions finetune;

    // Every part still runs, on fewer steps and smaller sets, and pre-training still learns: the
    // held-out masked-token accuracy beats the most-frequent-token baseline (tests/lessons/07).
    static LessonSettings quick() {
        LessonSettings s;
        s.heldout_docs = 100, s.heldout_pairs = 500;
        s.pretrain.steps = 100;
        s.finetune.steps = 10, s.finetune.eval_examples = 100, s.finetune.eval_every = 5;
        return s;
    }
};

}  // namespace qkv::lesson07
