// Sliding-window attention computed only inside the window: each query scores its 2w + 1
// neighbours and nothing else, so the cost is T (2w + 1) d instead of T^2 d.
//
// Masking a full (T, T) score matrix with band_mask(T, w) gives the same numbers but still
// computes all T^2 scores and throws most away; this is what local attention costs when it is
// written for the band. Key offset o = -w..w of query i is key i + o; the offsets that fall off
// either end of the sequence are masked (weight 0):
//
//   s[i, o] = q_i . k_{i+o} / sqrt(d),   a[i, :] = softmax_o(s[i, :]),   out_i = sum_o a[i, o] v_{i+o}
//
// Built from differentiable ops (narrow, a product, a sum, softmax), so autograd gives the
// gradient. Shapes: q, k (..., T, d), v (..., T, dv) with the same leading dims -> (..., T, dv).
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::nn::attention {

struct WindowOutput {
    Var output;   // (..., T, dv)
    Var weights;  // (..., T, 2w + 1): column w + o is the weight on key i + o
};

WindowOutput sliding_window_attention(const Var& q, const Var& k, const Var& v, std::int64_t w);

// The window weights (..., T, 2w + 1) laid out as a dense (..., T, T) matrix, zeros outside
// the band: to compare with masked dense attention and to plot.
Tensor window_to_dense(const Tensor& weights, std::int64_t w);

}  // namespace qkv::nn::attention
