#include "lessons/07_tiny_bert/exercises/embeddings.hpp"

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var bert_embeddings(nn::BertEmbeddings& emb, const Tensor& input_ids, const Tensor& token_type_ids) {
    // SOLUTION BEGIN 07.3
    if (input_ids.dim() != 2 || input_ids.dtype() != DType::Int64)
        fail("bert_embeddings", "input_ids must be int64 (B, T), got ", describe(input_ids));
    const std::int64_t B = input_ids.size(0), T = input_ids.size(1);
    const Tensor types = token_type_ids.defined() ? token_type_ids : zeros({B, T}, DType::Int64);
    std::vector<std::int64_t> pos(static_cast<std::size_t>(T));
    for (std::int64_t t = 0; t < T; ++t) pos[static_cast<std::size_t>(t)] = t;
    const Var words = emb.word_embeddings(input_ids);                          // (B, T, D)
    const Var positions = emb.position_embeddings(from_vector(pos, {1, T}));   // (1, T, D): the same for every row
    const Var segments = emb.token_type_embeddings(types);                     // (B, T, D)
    return emb.dropout(emb.layer_norm(words + positions + segments));           // (B, T, D)
    // SOLUTION END 07.3
}

}  // namespace qkv::exercises
