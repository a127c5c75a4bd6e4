// BertConfig: the sizes of a BERT (Devlin et al. 2018), with the field names and meanings of
// Hugging Face's BertConfig, so a config.json written for a real checkpoint reads as is.
//
//   bert-base-uncased:   vocab 30522, hidden 768, 12 layers, 12 heads, FFN 3072
//   google/bert_uncased_L-2_H-128_A-2 (a "BERT miniature"): hidden 128, 2 layers, 2 heads, FFN 512
//
// Only what changes the computation is here. hidden_act must be "gelu" (the exact, erf GELU
// that Hugging Face's "gelu" means) or "gelu_new"/"gelu_pytorch_tanh" (the tanh approximation
// of the original TensorFlow code); other activations are refused when a config is read.
#pragma once

#include <cstdint>
#include <string>

#include "tensor/json.hpp"

namespace qkv::nn {

struct BertConfig {
    std::int64_t vocab_size = 30522;
    std::int64_t hidden_size = 768;              // D, the width of every token's vector
    std::int64_t num_hidden_layers = 12;
    std::int64_t num_attention_heads = 12;       // H; D must be divisible by H
    std::int64_t intermediate_size = 3072;       // the feed-forward's inner width (4 D in BERT)
    std::int64_t max_position_embeddings = 512;  // the longest input a model can take
    std::int64_t type_vocab_size = 2;            // segments: 0 for sentence A, 1 for sentence B
    double hidden_dropout_prob = 0.1;            // after embeddings, attention output and FFN output
    double attention_probs_dropout_prob = 0.1;   // on the attention weights
    double layer_norm_eps = 1e-12;               // BERT's (PyTorch's LayerNorm default is 1e-5)
    double initializer_range = 0.02;             // std of the normal that initialises weights
    // qkv's own switch, not in Hugging Face's config.json: attention through
    // memory_efficient_attention, without forming the (T, T) weights (attention_weights() then
    // gives undefined tensors, also while recording). Off by default.
    bool memory_efficient_attention = false;
    std::int64_t pad_token_id = 0;               // the embedding row kept at zero
    std::string hidden_act = "gelu";             // "gelu" (erf) or "gelu_new" (tanh approximation)

    std::int64_t head_dim() const { return hidden_size / num_attention_heads; }

    // Throws naming the field when a size is < 1 or absurdly large (see config.cpp), the sizes
    // together exceed 1e9 parameters, the heads do not divide the width, a probability is
    // outside [0, 1), layer_norm_eps or initializer_range is outside (0, 1], or the activation
    // is unknown.
    void validate() const;
    // validate(), then *this: a constructor's first member initialiser calls it, so a bad field
    // is named as such before any member is built from it.
    const BertConfig& validated() const {
        validate();
        return *this;
    }

    // To and from Hugging Face's config.json. Reading ignores fields it does not use
    // (architectures, model_type, ...) and keeps the defaults above for missing ones, except
    // the five sizes vocab_size, hidden_size, num_hidden_layers, num_attention_heads and
    // intermediate_size, which must be present.
    Json to_json() const;
    static BertConfig from_json(const Json& json);
    static BertConfig load(const std::string& path);  // a config.json file
    void save(const std::string& path) const;         // written atomically
};

}  // namespace qkv::nn
