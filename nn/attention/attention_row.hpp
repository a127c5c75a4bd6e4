// One query row of attention, the way the memory-efficient op (memory_efficient.hpp) computes
// it, in plain float64 and small enough to read (and to write yourself: lesson 09's exercises).
//
// Forward, the online softmax (在线softmax): the keys arrive in blocks; the row keeps
//   m  = the largest score seen so far
//   l  = sum over the keys seen of e^(s_j - m)
//   a  = sum over the keys seen of e^(s_j - m) v_j            (dv)
// and a block with scores s_j, values v_j updates them with m' = max(m, max_j s_j):
//   l' = e^(m - m') l + sum_j e^(s_j - m'),   a' = e^(m - m') a + sum_j e^(s_j - m') v_j.
// At the end o = a / l and lse = m + log l. No block is looked at twice.
//
// Backward from the log-sum-exp: with p_j = e^(s_j - lse) (recomputed, never stored),
//   dv_j = p_j do,   dp_j = do . v_j,   ds_j = p_j (dp_j - do . o),
//   dq = sum_j ds_j k_j / sqrt(d),   dk_j = ds_j q / sqrt(d).
#pragma once

#include "tensor/tensor.hpp"

namespace qkv::nn {

struct OnlineSoftmaxRow {
    double m;   // running max (-inf before any visible key)
    double l;   // running sum of e^(s_j - m)
    Tensor a;   // (dv) float64: running sum of e^(s_j - m) v_j
};

// The state before any key: m = -inf, l = 0, a = 0.
OnlineSoftmaxRow online_softmax_start(std::int64_t dv);

// Folds one block in: scores (n) float64 (-inf = hidden), values (n, dv) float64.
void online_softmax_update(OnlineSoftmaxRow& row, const Tensor& scores, const Tensor& values);

struct RowOutput {
    Tensor o;    // (dv): a / l, or zeros when no key was visible
    double lse;  // m + log l, or -inf
};
RowOutput online_softmax_finish(const OnlineSoftmaxRow& row);

struct RowGrads {
    Tensor dq;  // (d)
    Tensor dk;  // (Tk, d)
    Tensor dv;  // (Tk, dv)
};

// The gradients of one row o = softmax(q K^T / sqrt(d)) V (hidden keys: mask (Tk) bool, true =
// hidden, or undefined) from its saved output o and lse, given d_o = dL/do. float64 throughout.
RowGrads attention_row_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                const Tensor& o, double lse, const Tensor& d_o);

}  // namespace qkv::nn
