// Lesson 09's exercises: your own copies of three library functions (the library's stay in
// nn/attention/attention_row.hpp and nn/data/packing.hpp, so the lesson keeps working).
#pragma once

#include <vector>

#include "nn/attention/attention_row.hpp"
#include "nn/data/packing.hpp"

namespace qkv::exercises {

// 09.1: fold one block of keys into the running (m, l, a) of one query row.
void online_softmax_update(nn::OnlineSoftmaxRow& row, const Tensor& scores, const Tensor& values);

// 09.2: dq, dk, dv of one attention row from its saved output o and lse.
nn::RowGrads attention_row_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                    const Tensor& o, double lse, const Tensor& d_o);

// 09.3: sentences end to end, with cu_seqlens and positions.
nn::PackedBatch pack_sequences(const std::vector<std::vector<std::int64_t>>& seqs);

}  // namespace qkv::exercises
