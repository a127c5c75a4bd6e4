// Packing variable-length sequences end to end, instead of padding them to one width.
//
//   pack_sequences({{5, 6, 7}, {8}, {9, 4}})
//     ids        = [5, 6, 7, 8, 9, 4]        (total)  every position a real token
//     cu_seqlens = [0, 3, 4, 6]              (n + 1)  sequence s is ids[cu[s] .. cu[s+1])
//     positions  = [0, 1, 2, 0, 0, 1]        (total)  each token's position inside its sequence
//
// cu_seqlens ("cumulative sequence lengths", FlashAttention-2's varlen interface) tells the
// attention where each sequence starts, so a token attends only to its own sequence
// (nn/attention/memory_efficient.hpp's cu_seqlens_q), and no compute is spent on padding.
// A padded (B, T) batch costs B * T positions; a packed one sum(lengths).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/core.hpp"

namespace qkv::nn {

struct PackedBatch {
    Tensor ids;         // (total) int64: the sequences, end to end
    Tensor cu_seqlens;  // (n + 1) int64: 0, then the running sum of the lengths
    Tensor positions;   // (total) int64: 0, 1, ... restarting at every sequence
};

// Empty sequences are allowed (they add a repeated entry to cu_seqlens).
PackedBatch pack_sequences(const std::vector<std::vector<std::int64_t>>& seqs);

// lengths (n) int64, each >= 0 -> cu_seqlens (n + 1) int64.
Tensor cu_seqlens_from_lengths(const Tensor& lengths);

}  // namespace qkv::nn
