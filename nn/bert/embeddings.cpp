#include "nn/bert/embeddings.hpp"

namespace qkv::nn {

BertEmbeddings::BertEmbeddings(const BertConfig& config, Generator& gen)
    : word_embeddings(config.vocab_size, config.hidden_size, {.padding_idx = config.pad_token_id}, gen),
      position_embeddings(config.max_position_embeddings, config.hidden_size, gen),
      token_type_embeddings(config.type_vocab_size, config.hidden_size, gen),
      layer_norm(config.hidden_size, {.eps = config.layer_norm_eps}),
      dropout(config.hidden_dropout_prob, gen) {}

Var BertEmbeddings::forward(const Tensor& input_ids, const Tensor& token_type_ids) {
    if (input_ids.dim() != 2)
        fail("BertEmbeddings", "input_ids must be (B, T), got ", shape_str(input_ids.shape()));
    const std::int64_t T = input_ids.size(1);
    if (T > position_embeddings.num_embeddings())
        fail("BertEmbeddings", "sequence length ", T, " exceeds max_position_embeddings ",
             position_embeddings.num_embeddings());
    if (token_type_ids.defined() && token_type_ids.shape() != input_ids.shape())
        fail("BertEmbeddings", "token_type_ids ", shape_str(token_type_ids.shape()), " must match input_ids ",
             shape_str(input_ids.shape()));

    const Var words = word_embeddings(input_ids);                         // (B, T, D)
    const Var positions = position_embeddings.weight.slice(0, 0, T);     // (T, D): positions 0..T-1
    const Var segments = token_type_ids.defined()
                             ? token_type_embeddings(token_type_ids)      // (B, T, D)
                             : token_type_embeddings.weight.slice(0, 0, 1);  // (1, D): segment 0 everywhere
    return dropout(layer_norm(words + positions + segments));            // (B, T, D)
}

void BertEmbeddings::visit(Visitor& v) {
    v.module("word_embeddings", word_embeddings);
    v.module("position_embeddings", position_embeddings);
    v.module("token_type_embeddings", token_type_embeddings);
    v.module("LayerNorm", layer_norm);
    v.module("dropout", dropout);
}

}  // namespace qkv::nn
