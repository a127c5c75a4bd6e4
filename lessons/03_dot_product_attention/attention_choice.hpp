// Which scaled dot-product attention the lesson's examples call: the library's
// nn::scaled_dot_product_attention, or, after `lesson03 --mine`, the student's own from
// exercise 03.2 (lessons/03_dot_product_attention/exercises/). The lesson library cannot see the
// exercises (they sit above it), so main.cpp hands the student's function in.
#pragma once

#include "nn/attention/scaled_dot_product.hpp"

namespace qkv::lesson03 {

using AttentionFn = nn::AttentionOutput (*)(const Var& q, const Var& k, const Var& v, const Tensor& mask);

// Replaces the attention the examples call (nullptr: back to the library's).
void use_attention(AttentionFn attention);

// q (B, Tq, d), k (B, Tk, d), v (B, Tk, dv), mask broadcasting to (B, Tq, Tk), as in
// nn::scaled_dot_product_attention, computed by whichever function use_attention chose.
nn::AttentionOutput attention(const Var& q, const Var& k, const Var& v, const Tensor& mask = Tensor());

}  // namespace qkv::lesson03
