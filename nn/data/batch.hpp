// Padding variable-length sequences into one (B, T) batch, and the masks that say where the
// padding is.
//
//   pad_batch({{5, 6, 7}, {8}}, /*pad_id=*/0)
//     ids          = [[5, 6, 7],        lengths = [3, 1]
//                     [8, 0, 0]]
//     padding_mask = [[F, F, F],
//                     [F, T, T]]        TRUE WHERE THE POSITION IS PADDING
//
// The mask convention is PyTorch's key_padding_mask: true = "masked out, do not attend here".
// Attention turns a true into a score of -inf before the softmax, so padded keys get weight 0.
// (Hugging Face's attention_mask is the opposite: 1 for real tokens, 0 for padding.)
//
// The causal ("do not look ahead") mask is not here: it is triu(ones({T, T}, DType::Bool), 1)
// from tensor/indexing.hpp, true above the diagonal, with the same true = masked-out meaning,
// so the two combine with a logical or.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tensor/core.hpp"

namespace qkv::nn {

struct PaddedBatch {
    Tensor ids;           // (B, T) int64: the sequences, then pad_id
    Tensor lengths;       // (B) int64: how many positions of each row are real
    Tensor padding_mask;  // (B, T) bool: true where the position is padding
};

// Stacks `seqs` into a (B, T) batch. T is max_len when given (every batch the same width),
// else the longest sequence. A sequence longer than max_len is an error unless `truncate`,
// which keeps its first max_len ids. Empty sequences are allowed (a row of padding only: its
// queries see no key, and attention gives them a zero vector; see nn/attention/).
PaddedBatch pad_batch(const std::vector<std::vector<std::int64_t>>& seqs, std::int64_t pad_id,
                      std::optional<std::int64_t> max_len = std::nullopt, bool truncate = false);

// (B, T) bool, true at positions t >= lengths[b]: the padding of a batch whose rows hold
// lengths[b] real positions. lengths is 1-d int64 with every entry in [0, T].
Tensor key_padding_mask(const Tensor& lengths, std::int64_t T);

}  // namespace qkv::nn
