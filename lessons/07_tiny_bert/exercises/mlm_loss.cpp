#include "lessons/07_tiny_bert/exercises/mlm_loss.hpp"

#include "lessons/07_tiny_bert/exercises/masking.hpp"
#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var masked_lm_loss(const Var& mlm_logits, const Tensor& targets, const Tensor& chosen) {
    // SOLUTION BEGIN 07.2
    if (mlm_logits.dim() != 3 || targets.dtype() != DType::Int64 || chosen.dtype() != DType::Bool ||
        targets.shape() != chosen.shape() || targets.dim() != 2 || targets.size(0) != mlm_logits.size(0) ||
        targets.size(1) != mlm_logits.size(1))
        fail("masked_lm_loss", "expected logits (B, T, V), int64 targets (B, T) and bool chosen (B, T), got ",
             shape_str(mlm_logits.shape()), ", ", describe(targets), ", ", describe(chosen));
    const std::int64_t V = mlm_logits.size(2);
    const std::vector<std::uint8_t> c = chosen.contiguous().to_vector<std::uint8_t>();
    const std::vector<std::int64_t> t = targets.contiguous().to_vector<std::int64_t>();
    std::vector<std::int64_t> rows, labels;  // the chosen positions b * T + t, and their targets
    for (std::size_t i = 0; i < c.size(); ++i)
        if (c[i]) rows.push_back(static_cast<std::int64_t>(i)), labels.push_back(t[i]);
    if (rows.empty()) fail("masked_lm_loss", "no position is chosen: a mean over zero targets is undefined");
    const Var picked = index_select(mlm_logits.reshape({-1, V}), 0, from_vector(rows));  // (N, V)
    return cross_entropy(picked, from_vector(labels));  // the mean over the N chosen positions
    // SOLUTION END 07.2
}

}  // namespace qkv::exercises

namespace qkv::exercises {

void probe_mine() {
    const nn::Vocab vocab({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"});
    Generator gen(0);
    const Tensor ids = from_vector(std::vector<std::int64_t>{2, 5, 6, 3}, {1, 4});
    const nn::MaskedTokens m = exercises::mask_tokens(ids, vocab, gen);  // 07.1
    exercises::masked_lm_loss(Var(zeros({1, 4, 7})), m.targets, m.chosen);  // 07.2
}

}  // namespace qkv::exercises
