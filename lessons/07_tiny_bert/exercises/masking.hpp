// Exercise 07.1: BERT's 80/10/10 masking (Devlin et al. 2018, section 3.1, "Task #1: Masked LM"),
// as nn::mask_tokens does it (nn/bert/masking.hpp):
//
//   - in each sequence, the candidates are the positions of ordinary tokens (never [CLS], [SEP],
//     [PAD] or any other special token);
//   - k = max(1, round(mlm_probability * candidates)) of them are chosen, without replacement,
//     uniformly at random (none when a row has no candidate);
//   - each chosen token is replaced by [MASK] with probability mask_fraction (0.8), by a random
//     ordinary token with probability random_fraction (0.1), and otherwise left as it is.
//
// Shapes: B = batch, T = tokens.
#pragma once

#include "nn/bert/masking.hpp"

namespace qkv::exercises {

// ids (B, T) int64 of `vocab`; every draw from `gen`. Returns input_ids, targets (= ids), chosen
// (bool) and labels (targets at chosen positions, -100 elsewhere), as nn::MaskedTokens.
nn::MaskedTokens mask_tokens(const Tensor& ids, const nn::Vocab& vocab, Generator& gen,
                             const nn::MaskingOptions& options = {});

}  // namespace qkv::exercises
