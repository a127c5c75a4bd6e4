// Lesson 09's exercises. Each function body between the SOLUTION markers is what you write.
#include "lessons/09_memory_efficient_attention/exercises/row_attention.hpp"

#include <algorithm>
#include <cmath>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

void online_softmax_update(nn::OnlineSoftmaxRow& row, const Tensor& scores, const Tensor& values) {
    // SOLUTION BEGIN 09.1
    const std::vector<double> s = scores.to_vector<double>();
    double m_new = row.m;
    for (double x : s) m_new = std::max(m_new, x);
    if (m_new == -INFINITY) return;  // no visible key yet
    const double alpha = std::exp(row.m - m_new);  // rescales the old terms to the new max
    const std::int64_t dv = row.a.size(0);
    std::vector<double> a = row.a.to_vector<double>();
    for (double& x : a) x *= alpha;
    row.l *= alpha;
    for (std::size_t j = 0; j < s.size(); ++j) {
        const double e = std::exp(s[j] - m_new);
        row.l += e;
        for (std::int64_t c = 0; c < dv; ++c) a[static_cast<std::size_t>(c)] += e * values.at({static_cast<std::int64_t>(j), c});
    }
    row.m = m_new;
    row.a = from_vector(a);
    // SOLUTION END 09.1
}

nn::RowGrads attention_row_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                    const Tensor& o, double lse, const Tensor& d_o) {
    // SOLUTION BEGIN 09.2
    const std::int64_t d = q.size(0), Tk = k.size(0), dv = v.size(1);
    nn::RowGrads g{zeros({d}, DType::Float64), zeros({Tk, d}, DType::Float64), zeros({Tk, dv}, DType::Float64)};
    if (lse == -INFINITY) return g;
    const double sqrt_d = std::sqrt(static_cast<double>(d));
    double D = 0;  // do . o
    for (std::int64_t c = 0; c < dv; ++c) D += d_o.at({c}) * o.at({c});
    for (std::int64_t j = 0; j < Tk; ++j) {
        if (mask.defined() && mask.at({j}) != 0) continue;
        double s = 0, dp = 0;
        for (std::int64_t c = 0; c < d; ++c) s += q.at({c}) * k.at({j, c});
        const double p = std::exp(s / sqrt_d - lse);
        for (std::int64_t c = 0; c < dv; ++c) {
            dp += d_o.at({c}) * v.at({j, c});
            g.dv.set({j, c}, p * d_o.at({c}));
        }
        const double ds = p * (dp - D);
        for (std::int64_t c = 0; c < d; ++c) {
            g.dq.set({c}, g.dq.at({c}) + ds * k.at({j, c}) / sqrt_d);
            g.dk.set({j, c}, ds * q.at({c}) / sqrt_d);
        }
    }
    return g;
    // SOLUTION END 09.2
}

nn::PackedBatch pack_sequences(const std::vector<std::vector<std::int64_t>>& seqs) {
    // SOLUTION BEGIN 09.3
    std::vector<std::int64_t> ids, positions, cu{0};
    for (const auto& s : seqs) {
        for (std::size_t t = 0; t < s.size(); ++t) {
            ids.push_back(s[t]);
            positions.push_back(static_cast<std::int64_t>(t));
        }
        cu.push_back(cu.back() + static_cast<std::int64_t>(s.size()));
    }
    return {from_vector(ids), from_vector(cu), from_vector(positions)};
    // SOLUTION END 09.3
}

}  // namespace qkv::exercises
