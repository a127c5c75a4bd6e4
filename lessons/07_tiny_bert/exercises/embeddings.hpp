// Exercise 07.3: BERT's input embeddings (Devlin et al. 2018, section 3, "Input/Output
// Representations"):
//
//   e[b, t] = word_embeddings[ids[b, t]] + position_embeddings[t] + token_type_embeddings[types[b, t]]
//   out     = Dropout(LayerNorm(e))
//
// Shapes: B = batch, T = tokens (<= max_position_embeddings), D = hidden_size.
#pragma once

#include "nn/bert/embeddings.hpp"

namespace qkv::exercises {

// The same as emb.forward(input_ids, token_type_ids), with emb's own tables, LayerNorm and
// Dropout. input_ids (B, T) int64; token_type_ids (B, T) int64 or undefined (all segment 0).
Var bert_embeddings(nn::BertEmbeddings& emb, const Tensor& input_ids, const Tensor& token_type_ids = Tensor());

}  // namespace qkv::exercises
