// Why attention divides by sqrt(d_k) (缩放), measured.
//
// With q and k of d independent unit-variance entries, the score q.k = sum_i q_i k_i is a sum
// of d terms of variance 1 each, so Var(q.k) = d. At d = 512 typical scores are +-22 apart, and
// softmax of such scores is nearly one-hot: the largest weight is close to 1. Softmax's Jacobian
//
//   d p_i / d s_j = p_i (delta_ij - p_j),   i.e.  J = diag(p) - p p^T,
//
// is then nearly zero (every p_i is 0 or 1), so almost no gradient reaches the scores and
// through them W_q and W_k. Dividing by sqrt(d) brings the variance back to 1 for every d.
#pragma once

#include <cstdint>
#include <vector>

namespace qkv::lesson03 {

struct ScalingRow {
    std::int64_t d = 0;
    double score_var = 0;          // variance of q.k over all trials and keys
    double scaled_var = 0;         // variance of q.k / sqrt(d)
    double max_weight_raw = 0;     // mean over trials of the largest softmax weight, unscaled
    double max_weight_scaled = 0;  // the same with the scale
    double jacobian_raw = 0;       // mean Frobenius norm of d softmax / d scores, unscaled
    double jacobian_scaled = 0;    // the same with the scale
};

// For each d: `trials` queries, each scoring `keys` keys, all entries drawn N(0, 1) by
// qkv's Generator(seed).
std::vector<ScalingRow> scaling_study(const std::vector<std::int64_t>& dims, std::int64_t trials,
                                      std::int64_t keys, std::uint64_t seed);

// ||diag(p) - p p^T||_F for one softmax output p.
double softmax_jacobian_norm(const std::vector<double>& p);

}  // namespace qkv::lesson03
