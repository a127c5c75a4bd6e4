// Elementwise math with NumPy/PyTorch broadcasting (shape.hpp: broadcast_shapes).
//
// Binary ops need both operands of one dtype ("add: dtypes float32 and float64 differ"); a
// C++ number on one side takes the tensor's dtype. Math functions (exp, log, ...) need a
// floating dtype. Comparisons return a bool tensor.
#pragma once

#include "tensor/core.hpp"

namespace qkv {

// ---- binary arithmetic (float32, float64, int64) ---------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);  // floating only
Tensor pow(const Tensor& a, const Tensor& b);  // floating only
Tensor pow(const Tensor& a, double exponent);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator-(const Tensor& a);

// ---- unary math (floating; neg and abs also int64) --------------------------------------------
Tensor neg(const Tensor& a);
Tensor abs(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor rsqrt(const Tensor& a);  // 1 / sqrt(x)
Tensor tanh(const Tensor& a);
Tensor sigmoid(const Tensor& a);  // 1 / (1 + exp(-x)), computed without overflow
Tensor relu(const Tensor& a);
// GELU, exact: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), PyTorch's default.
Tensor gelu(const Tensor& a);
// GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), PyTorch's
// gelu(approximate="tanh") and the original BERT/GPT-2 code.
Tensor gelu_tanh(const Tensor& a);
Tensor clamp(const Tensor& a, double lo, double hi);

// ---- comparisons (any dtype in, bool out) ----------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& mask);  // bool -> bool

// ---- selection ---------------------------------------------------------------------------------
// cond ? a : b, elementwise, all three broadcast together; cond must be bool.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
// `value` where mask is true, a elsewhere; mask (bool) broadcasts to a's shape.
// masked_fill(scores, pad_mask, -inf) is how attention hides padding.
Tensor masked_fill(const Tensor& a, const Tensor& mask, double value);

// ---- in place: overwrite a's elements (through any view); b broadcasts to a's shape -----------
void add_(const Tensor& a, const Tensor& b, double alpha = 1.0);  // a += alpha * b
void sub_(const Tensor& a, const Tensor& b);
void mul_(const Tensor& a, const Tensor& b);
void div_(const Tensor& a, const Tensor& b);
void add_(const Tensor& a, double b);
void mul_(const Tensor& a, double b);
void fill_(const Tensor& a, double value);
void zero_(const Tensor& a);
void masked_fill_(const Tensor& a, const Tensor& mask, double value);
void clamp_(const Tensor& a, double lo, double hi);

}  // namespace qkv
