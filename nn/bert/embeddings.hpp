// BERT's input: each position's vector is the sum of three learned embeddings,
//
//   e_t = word_embeddings[id_t] + position_embeddings[t] + token_type_embeddings[segment_t]
//
// then LayerNorm and dropout. The token says which word, the position where it stands (self-
// attention alone is blind to order), and the segment which of the two sentences of a pair it
// belongs to (0 for "[CLS] A [SEP]", 1 for "B [SEP]"), which next-sentence prediction needs.
// Positions are learned vectors, not the sinusoids of the original Transformer.
//
// Shapes: B = batch, T = sequence length (<= max_position_embeddings), D = hidden_size.
// Parameter names are Hugging Face's: word_embeddings.weight, position_embeddings.weight,
// token_type_embeddings.weight, LayerNorm.weight, LayerNorm.bias.
#pragma once

#include "nn/bert/config.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/layer_norm.hpp"

namespace qkv::nn {

class BertEmbeddings : public Module {
public:
    explicit BertEmbeddings(const BertConfig& config, Generator& gen = default_generator());

    Embedding word_embeddings;        // (V, D); row pad_token_id starts at zero and gets no gradient
    Embedding position_embeddings;    // (max_position_embeddings, D)
    Embedding token_type_embeddings;  // (type_vocab_size, D)
    LayerNorm layer_norm;             // named LayerNorm, as in the checkpoints
    Dropout dropout;

    // input_ids (B, T) int64; token_type_ids (B, T) int64, or undefined for all zeros -> (B, T, D).
    Var forward(const Tensor& input_ids, const Tensor& token_type_ids = Tensor());
    Var operator()(const Tensor& input_ids, const Tensor& token_type_ids = Tensor()) {
        return forward(input_ids, token_type_ids);
    }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "BertEmbeddings"; }
};

}  // namespace qkv::nn
