// Differentiable elementwise ops on Vars, with broadcasting (the engine sums each gradient
// back to its input's shape). Same names and meanings as tensor/elementwise.hpp.
#pragma once

#include "autograd/var.hpp"

namespace qkv {

Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var pow(const Var& a, const Var& b);
Var pow(const Var& a, double exponent);
Var maximum(const Var& a, const Var& b);
Var minimum(const Var& a, const Var& b);

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator+(const Var& a, double b);
Var operator-(const Var& a, double b);
Var operator*(const Var& a, double b);
Var operator/(const Var& a, double b);
Var operator+(double a, const Var& b);
Var operator-(double a, const Var& b);
Var operator*(double a, const Var& b);
Var operator/(double a, const Var& b);
Var operator-(const Var& a);

// A Tensor beside a Var is a constant (a Var that does not require grad), so a fixed table, a
// 0/1 keep pattern or a target combines with Vars without wrapping: `scores + bias_table`,
// `x * keep` (of x's dtype, as for any two operands). The gradient flows to the Var side only.
Var operator+(const Var& a, const Tensor& b);
Var operator-(const Var& a, const Tensor& b);
Var operator*(const Var& a, const Tensor& b);
Var operator/(const Var& a, const Tensor& b);
Var operator+(const Tensor& a, const Var& b);
Var operator-(const Tensor& a, const Var& b);
Var operator*(const Tensor& a, const Var& b);
Var operator/(const Tensor& a, const Var& b);

Var neg(const Var& a);
Var abs(const Var& a);
Var exp(const Var& a);
Var log(const Var& a);
Var sqrt(const Var& a);
Var rsqrt(const Var& a);
Var tanh(const Var& a);
Var sigmoid(const Var& a);
Var relu(const Var& a);
Var gelu(const Var& a);
Var gelu_tanh(const Var& a);
Var clamp(const Var& a, double lo, double hi);

// Selection: the gradient goes to the chosen side; masked-out positions get none.
Var where(const Tensor& cond, const Var& a, const Var& b);
Var masked_fill(const Var& a, const Tensor& mask, double value);

}  // namespace qkv
