// Part 3: do the heads whose attention maps "look" meaningful matter most? Lesson 07's tiny
// BERT, each head ablated in turn (its output zeroed), the drop in held-out masked-token
// accuracy measured, and set beside how peaked each head's maps are.
//
// Zeroing head h of layer l: the heads' outputs are concatenated (B, T, H dh) and mixed by
// the output projection W_o (D, H dh); the columns h dh .. (h+1) dh - 1 of W_o are the only
// ones that read head h. Setting them to zero is exactly a zero output for that head (and what
// Michel et al. 2019, "Are Sixteen Heads Really Better than One?", do with a head mask).
//
// Shapes: L = layers, H = heads, T = tokens, dh = D / H.
#pragma once

#include <vector>

#include "lessons/07_tiny_bert/pretrain.hpp"

namespace qkv::lesson08 {

struct HeadReport {
    std::int64_t layer = 0, head = 0;
    double ablated_accuracy = 0;  // masked-token accuracy with this head zeroed
    double drop = 0;              // base accuracy - ablated accuracy
    double mean_max_weight = 0;   // peakedness: the largest weight of a query row, averaged over real tokens
    double mean_entropy = 0;      // nats, averaged over real query tokens (low = peaked)
};

struct AblationResult {
    double base_accuracy = 0;
    std::vector<HeadReport> heads;  // layer-major
};

// Zeroes head `head` of `layer` (the W_o columns that read it) and returns what it overwrote.
Tensor zero_head(nn::BertForPreTraining& model, std::int64_t layer, std::int64_t head);
// Puts the saved columns back.
void restore_head(nn::BertForPreTraining& model, std::int64_t layer, std::int64_t head, const Tensor& saved);

// Every head of the model, each ablated alone; the model is unchanged afterwards.
AblationResult ablate_heads(nn::BertForPreTraining& model, const lesson07::LessonData& data,
                            const lesson07::HeldoutPairs& heldout);

// Spearman's rank correlation of two equally long lists (ties share their mean rank).
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace qkv::lesson08
