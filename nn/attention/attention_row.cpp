#include "nn/attention/attention_row.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qkv::nn {

namespace {

void check_f64(const char* op, const char* name, const Tensor& t, std::int64_t dims) {
    if (t.dtype() != DType::Float64 || t.dim() != dims)
        fail(op, name, " must be a ", dims, "-d float64 tensor, got ", describe(t));
}

}  // namespace

OnlineSoftmaxRow online_softmax_start(std::int64_t dv) {
    return {-std::numeric_limits<double>::infinity(), 0.0, zeros({dv}, DType::Float64)};
}

void online_softmax_update(OnlineSoftmaxRow& row, const Tensor& scores, const Tensor& values) {
    const char* op = "online_softmax_update";
    check_f64(op, "scores", scores, 1), check_f64(op, "values", values, 2);
    if (values.size(0) != scores.size(0) || values.size(1) != row.a.size(0))
        fail(op, "scores ", shape_str(scores.shape()), " and values ", shape_str(values.shape()),
             " must be (n) and (n, dv) with dv = ", row.a.size(0));
    const std::vector<double> s = scores.to_vector<double>();
    const double block_max = s.empty() ? -INFINITY : *std::max_element(s.begin(), s.end());
    const double m_new = std::max(row.m, block_max);
    if (m_new == -INFINITY) return;  // nothing visible yet: the state stays empty
    const double alpha = std::exp(row.m - m_new);  // how much the old terms shrink; 0 when m was -inf
    const std::int64_t dv = row.a.size(0);
    std::vector<double> a = row.a.to_vector<double>();
    for (double& x : a) x *= alpha;
    row.l *= alpha;
    for (std::size_t j = 0; j < s.size(); ++j) {
        const double e = std::exp(s[j] - m_new);  // e^(s_j - m'); 0 for a hidden key
        row.l += e;
        for (std::int64_t c = 0; c < dv; ++c) a[static_cast<std::size_t>(c)] += e * values.at({static_cast<std::int64_t>(j), c});
    }
    row.m = m_new;
    row.a = from_vector(a);
}

RowOutput online_softmax_finish(const OnlineSoftmaxRow& row) {
    if (row.l == 0) return {zeros({row.a.size(0)}, DType::Float64), -INFINITY};
    return {row.a / row.l, row.m + std::log(row.l)};
}

RowGrads attention_row_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                const Tensor& o, double lse, const Tensor& d_o) {
    const char* op = "attention_row_backward";
    check_f64(op, "q", q, 1), check_f64(op, "k", k, 2), check_f64(op, "v", v, 2);
    check_f64(op, "o", o, 1), check_f64(op, "d_o", d_o, 1);
    const std::int64_t d = q.size(0), Tk = k.size(0), dv = v.size(1);
    if (k.size(1) != d || v.size(0) != Tk || o.size(0) != dv || d_o.size(0) != dv ||
        (mask.defined() && (mask.dtype() != DType::Bool || mask.dim() != 1 || mask.size(0) != Tk)))
        fail(op, "q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()), ", o ",
             shape_str(o.shape()), ", d_o ", shape_str(d_o.shape()), " must be (d), (Tk, d), (Tk, dv), (dv), (dv)",
             " and the mask (Tk) bool");
    RowGrads g{zeros({d}, DType::Float64), zeros({Tk, d}, DType::Float64), zeros({Tk, dv}, DType::Float64)};
    if (lse == -INFINITY) return g;  // a fully hidden row: no weight, no gradient
    const double sqrt_d = std::sqrt(static_cast<double>(d));
    double D = 0;  // do . o = sum_j p_j dp_j
    for (std::int64_t c = 0; c < dv; ++c) D += d_o.at({c}) * o.at({c});
    for (std::int64_t j = 0; j < Tk; ++j) {
        if (mask.defined() && mask.at({j}) != 0) continue;
        double s = 0, dp = 0;
        for (std::int64_t c = 0; c < d; ++c) s += q.at({c}) * k.at({j, c});
        const double p = std::exp(s / sqrt_d - lse);  // the weight, recomputed from the lse
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
}

}  // namespace qkv::nn
