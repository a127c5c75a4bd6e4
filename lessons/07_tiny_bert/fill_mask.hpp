// Filling in masked words with a pre-trained BERT: what the MLM head was trained to do.
//
//   fill_masks(model, tokenizer, "the cat eats [MASK]", 3)  ->  [MASK] at 4: fish 0.97, ...
//
// Works with the lesson's tiny BERT and with a real checkpoint loaded by
// nn::load_hf_pretrained (--load-hf DIR): both are an nn::BertForPreTraining and a tokenizer.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "nn/bert/pretraining.hpp"
#include "nn/text/wordpiece.hpp"

namespace qkv::lesson07 {

struct MaskPrediction {
    std::int64_t position = 0;                            // in [CLS] text [SEP]
    std::vector<std::pair<std::string, double>> top;      // token, probability; best first
};

struct FillResult {
    std::vector<std::string> tokens;  // [CLS] ... [SEP], as the model saw them
    std::vector<MaskPrediction> masks;
};

// Throws if the text holds no [MASK] (after tokenization) or is longer than the model allows.
FillResult fill_masks(nn::BertForPreTraining& model, const nn::BertTokenizer& tokenizer, const std::string& text,
                      std::int64_t top_k = 5);

// "[MASK] at 4: fish 0.971, bones 0.010, ..." lines, one per mask.
std::string format_fill(const FillResult& result);

// What `lesson07 --load-hf DIR --fill TEXT` does: loads DIR with nn::load_hf_pretrained, prints
// the model's sizes and the top 5 tokens for each [MASK] to `out`, and returns them.
FillResult run_load_hf(const std::string& dir, const std::string& text, std::ostream& out);

}  // namespace qkv::lesson07
