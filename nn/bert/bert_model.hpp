// BertModel: embeddings, the encoder, and the pooler, as Hugging Face's BertModel.
//
//   input_ids, token_type_ids (B, T) -> BertEmbeddings -> BertEncoder -> last_hidden_state (B, T, D)
//   pooler_output = tanh(last_hidden_state[:, 0] W_p + b_p)                            (B, D)
//
// The pooler reads only position 0, the [CLS] token: attention lets [CLS] gather whatever the
// sentence-level tasks (next-sentence prediction, classification) need from every other token,
// so one vector stands for the whole input.
//
// Shapes: B = batch, T = tokens, D = hidden_size, H = heads.
// Parameter names: embeddings.*, encoder.layer.N.*, pooler.dense.{weight,bias}.
#pragma once

#include <vector>

#include "nn/bert/embeddings.hpp"
#include "nn/bert/encoder.hpp"

namespace qkv::nn {

struct BertOutput {
    Var last_hidden_state;        // (B, T, D)
    Var pooler_output;            // (B, D)
};

class BertModel : public Module {
public:
    // Weights as BERT initialises them: see init_bert_weights.
    explicit BertModel(const BertConfig& config, Generator& gen = default_generator());

    BertEmbeddings embeddings;
    BertEncoder encoder;
    Linear pooler;  // named pooler.dense

    // input_ids (B, T) int64 with B, T >= 1; token_type_ids (B, T) int64 or undefined (all segment 0);
    // padding_mask (B, T) bool, true at [PAD] positions, or undefined (no padding).
    BertOutput forward(const Tensor& input_ids, const Tensor& token_type_ids = Tensor(),
                       const Tensor& padding_mask = Tensor());
    BertOutput operator()(const Tensor& input_ids, const Tensor& token_type_ids = Tensor(),
                          const Tensor& padding_mask = Tensor()) {
        return forward(input_ids, token_type_ids, padding_mask);
    }

    // Each layer's attention weights (B, H, T, T) from the last forward while recording
    // (nn/attention/recording.hpp).
    std::vector<Tensor> attention_weights() const { return encoder.attention_weights(); }

    const BertConfig& config() const { return config_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "BertModel"; }

private:
    BertConfig config_;
};

// BERT's initialisation (Hugging Face's _init_weights): every Linear and Embedding weight
// ~ N(0, initializer_range^2), biases 0, LayerNorm weight 1 and bias 0, and the padding row of
// an Embedding that has one back to 0. Draws in named_parameters() order from `gen`.
void init_bert_weights(Module& model, double initializer_range, Generator& gen);

}  // namespace qkv::nn
