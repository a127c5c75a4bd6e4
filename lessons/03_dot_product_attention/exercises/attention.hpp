// Lesson 03's exercises: masks, scaled dot-product attention and the softmax backward, your own
// copies of nn/attention/scaled_dot_product.cpp and autograd/softmax.cpp. The library keeps its
// versions; tests/exercises/03/check_03.cpp compares yours with them, and `lesson03 --mine` runs
// the lesson's attention examples with your 03.2. Read lessons/03_dot_product_attention/EXERCISES.md.
//
// Shapes: B = batch (and any further leading dims, e.g. heads), Tq = queries, Tk = keys,
//         d = query/key size, dv = value size. Masks are bool, TRUE MEANS MASKED OUT.
#pragma once

#include "nn/attention/scaled_dot_product.hpp"

namespace qkv::exercises {

// 03.1: (T, T) bool, true above the diagonal (query i may not see a later key j > i).
// qkv::Error if T < 0.
Tensor causal_mask(std::int64_t T);

// 03.1: lengths (B) int64 -> (B, 1, Tk) bool, true at key positions j >= lengths[b], so it
// broadcasts over the queries. qkv::Error naming b and the length if a length is outside [0, Tk].
Tensor padding_mask(const Tensor& lengths, std::int64_t Tk);

// 03.2: softmax(q k^T / sqrt(d)) v, with masked scores set to -inf before the softmax.
// q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv); mask (optional, undefined = none) broadcasts to
// (..., Tq, Tk). Returns output (..., Tq, dv) and weights (..., Tq, Tk). A query whose keys are
// all masked gets a zero weight row and a zero output (qkv's softmax gives zeros for an all -inf
// row). qkv::Error naming the shapes when q and k differ in d or k and v in Tk.
nn::AttentionOutput scaled_dot_product_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask = Tensor());

// 03.3: softmax's backward rule. y = softmax(x) along `dim` (already computed), g = dL/dy;
// returns dL/dx = y * (g - sum(g * y, dim, keepdim)). An all-zero row of y (a fully masked
// query) gets a zero gradient.
Tensor softmax_backward(const Tensor& y, const Tensor& g, std::int64_t dim);

// Softmax whose recorded backward is your softmax_backward (the forward is the library's).
// Given, not an exercise: the checker runs the gradient checker on it.
Var softmax_with_my_backward(const Var& x, std::int64_t dim);

}  // namespace qkv::exercises
