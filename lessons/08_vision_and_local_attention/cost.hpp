// What attention costs as the sequence grows: scores counted, FLOPs counted, time measured,
// for global attention (every query scores all T keys) and local attention that computes only
// its band (nn::attention::sliding_window_attention, +-w).
//
// FLOPs of one attention with head size d: each computed score costs a d-long dot product
// (2d FLOPs) and adds its value row into the output (2d more), so about 4 d per score, plus
// the softmax's few per score, left out. Global: 4 d T^2; local: 4 d band_scores(T, w).
#pragma once

#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::lesson08 {

struct CostRow {
    std::int64_t T = 0;
    std::int64_t global_scores = 0, local_scores = 0, local_global_scores = 0;
    double global_flops = 0, local_flops = 0;
    double global_ms = 0, local_ms = 0;  // best of a few runs, one thread's clock on a shared machine
};

// lengths: the T to measure; w: the band; d: head size; global_tokens: how many positions
// (from 0) are global in the band + global-token count.
std::vector<CostRow> attention_cost(const std::vector<std::int64_t>& lengths, std::int64_t w, std::int64_t d,
                                    std::int64_t global_tokens, std::uint64_t seed, bool measure_time = true);

}  // namespace qkv::lesson08
