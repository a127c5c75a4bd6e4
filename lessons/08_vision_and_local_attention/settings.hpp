// The lesson's budget in one place, shared by the program and its outcome tests: what
// `lesson08` runs by default, and the few-second version `--quick` runs.
#pragma once

#include "lessons/07_tiny_bert/pretrain.hpp"
#include "lessons/08_vision_and_local_attention/long_range.hpp"
#include "lessons/08_vision_and_local_attention/training.hpp"
#include "nn/vision/vit.hpp"

namespace qkv::lesson08 {

struct LessonSettings {
    // Part 1: the ViT and its bag-of-patches baseline on 16x16 shape images.
    nn::VitConfig vit;                 // 4x4 patches, width 32, 2 heads, 2 pre-norm layers, FFN 64
    std::int64_t train_images = 4000, heldout_images = 1000;
    TrainOptions vit_train{600, 64, 3e-3, 0.05, 0};
    TrainOptions baseline_train{600, 64, 3e-3, 0.05, 0};

    // Part 2: find the marked symbol among 64; four models of one size.
    LongRangeConfig long_range;        // width 32, 2 heads, 2 layers, w = 2
    std::int64_t train_sequences = 4000, heldout_sequences = 1000;
    TrainOptions long_train{200, 32, 3e-3, 0.05, 0};
    std::vector<std::int64_t> cost_lengths{64, 128, 256, 512, 1024, 2048, 4096};

    // Part 3: lesson 07's tiny BERT, pre-trained here on a smaller budget, then head ablation.
    std::int64_t bert_train_docs = 1000, bert_heldout_docs = 200, bert_heldout_pairs = 1000, bert_vocab = 200;
    lesson07::PretrainOptions pretrain{300, 32, 5e-3, 0.1, 0.01, 1.0, 0, {}, {}, {}};

    // Every part still runs, on a few steps and small sets.
    static LessonSettings quick() {
        LessonSettings s;
        s.train_images = 1000, s.heldout_images = 500;
        s.vit_train.steps = 100, s.baseline_train.steps = 100;
        s.train_sequences = 1000, s.heldout_sequences = 500;
        s.long_train.steps = 60;
        s.cost_lengths = {64, 256, 1024};
        s.bert_train_docs = 200, s.bert_heldout_docs = 100, s.bert_heldout_pairs = 200;
        s.pretrain.steps = 40, s.pretrain.batch_size = 16;
        return s;
    }
};

}  // namespace qkv::lesson08
