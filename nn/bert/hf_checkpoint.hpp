// Reading and writing BERT checkpoints in Hugging Face's layout, so a real pre-trained BERT
// (for example Google's BERT miniatures, google/bert_uncased_L-2_H-128_A-2) runs in qkv:
//
//   DIR/config.json        BertConfig's fields (config.hpp)
//   DIR/vocab.txt          one WordPiece token per line, id = line number - 1
//   DIR/model.safetensors  BertForPreTraining's state dict under Hugging Face's names:
//       bert.embeddings.word_embeddings.weight                 (V, D)
//       bert.encoder.layer.0.attention.self.query.weight       (D, D), Linear weights (out, in)
//       ...
//       cls.predictions.transform.dense.weight                 (D, D)
//       cls.predictions.bias                                   (V)
//       cls.seq_relationship.weight                            (2, D)
//
// Loading accepts what real files hold beside these names:
//   cls.predictions.decoder.weight   the tied decoder, saved as a copy of the word embeddings:
//                                    checked to be equal to them, then dropped (qkv ties by sharing)
//   cls.predictions.decoder.bias     a copy of cls.predictions.bias: checked equal, dropped
//   bert.embeddings.position_ids     a buffer of 0..P-1 that older versions saved: dropped
//   ...LayerNorm.gamma / .beta       TensorFlow-era names of LayerNorm.weight / .bias: renamed
// Float16/bfloat16 files are not readable (qkv's safetensors reads F32, F64, I64, BOOL).
// Anything else missing, unexpected or of the wrong shape throws one error listing every name.
#pragma once

#include <string>
#include <string_view>

#include "nn/bert/pretraining.hpp"
#include "nn/text/wordpiece.hpp"

namespace qkv::nn {

// The model's tensors under Hugging Face's names, ready to write. With include_decoder, also
// cls.predictions.decoder.{weight,bias} (copies), as transformers' save_pretrained writes them.
TensorMap hf_state_dict(BertForPreTraining& model, bool include_decoder = false);

// Copies `tensors` (Hugging Face's names, possibly with the extras above) into `model`.
void load_hf_state_dict(BertForPreTraining& model, const TensorMap& tensors);

// Present in a folder while save_hf_pretrained replaces its files (see hf_checkpoint.cpp).
inline constexpr std::string_view hf_save_marker = ".qkv_save_in_progress";

// Writes config.json, vocab.txt and model.safetensors into `dir` (created if missing). Each is
// written atomically, and the marker above covers the three together: a save killed halfway
// leaves it behind, and load_hf_pretrained refuses the folder until a save completes.
void save_hf_pretrained(const std::string& dir, BertForPreTraining& model, const Vocab& vocab,
                        bool include_decoder = false);

struct HfBert {
    BertConfig config;
    BertForPreTraining model;
    BertTokenizer tokenizer;
};

// Reads DIR/config.json, DIR/vocab.txt and DIR/model.safetensors. The tokenizer lower-cases
// when `lower_case` (the "uncased" models). The model is in eval mode. Errors name the file.
// A config.json whose (vocab_size, hidden_size) or layer count disagree with the word
// embeddings and layer names in model.safetensors is refused before any model is built.
HfBert load_hf_pretrained(const std::string& dir, bool lower_case = true);

}  // namespace qkv::nn
