#include "lessons/03_dot_product_attention/scaling.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/tensor.hpp"

namespace qkv::lesson03 {

double softmax_jacobian_norm(const std::vector<double>& p) {
    double sq = 0;
    for (std::size_t i = 0; i < p.size(); ++i)
        for (std::size_t j = 0; j < p.size(); ++j) {
            const double jij = (i == j ? p[i] : 0.0) - p[i] * p[j];
            sq += jij * jij;
        }
    return std::sqrt(sq);
}

namespace {

// Mean over rows of the largest weight and of the Jacobian norm; `weights` (trials, keys).
void softmax_stats(const Tensor& weights, double& mean_max, double& mean_jacobian) {
    const std::int64_t trials = weights.size(0), keys = weights.size(1);
    const std::vector<double> w = weights.to_vector<double>();
    mean_max = mean_jacobian = 0;
    for (std::int64_t t = 0; t < trials; ++t) {
        const std::vector<double> row(w.begin() + t * keys, w.begin() + (t + 1) * keys);
        mean_max += *std::max_element(row.begin(), row.end());
        mean_jacobian += softmax_jacobian_norm(row);
    }
    mean_max /= static_cast<double>(trials);
    mean_jacobian /= static_cast<double>(trials);
}

}  // namespace

std::vector<ScalingRow> scaling_study(const std::vector<std::int64_t>& dims, std::int64_t trials,
                                      std::int64_t keys, std::uint64_t seed) {
    Generator gen(seed);
    std::vector<ScalingRow> rows;
    for (const std::int64_t d : dims) {
        const Tensor q = randn({trials, 1, d}, 0, 1, DType::Float64, gen);
        const Tensor k = randn({trials, keys, d}, 0, 1, DType::Float64, gen);
        const Tensor scores = matmul(q, k.transpose(1, 2)).reshape({trials, keys});  // (trials, keys)
        const Tensor scaled = scores / std::sqrt(static_cast<double>(d));
        ScalingRow r;
        r.d = d;
        r.score_var = var(scores).item();
        r.scaled_var = var(scaled).item();
        softmax_stats(softmax(scores, -1), r.max_weight_raw, r.jacobian_raw);
        softmax_stats(softmax(scaled, -1), r.max_weight_scaled, r.jacobian_scaled);
        rows.push_back(r);
    }
    return rows;
}

}  // namespace qkv::lesson03
