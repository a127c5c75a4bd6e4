#include "nn/activations.hpp"

namespace qkv::nn {

// max(0, x)
Var ReLU::forward(const Var& x) { return relu(x); }

// x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)), Phi the standard normal CDF: the input scaled by
// the probability that a standard normal falls below it.
Var GELU::forward(const Var& x) { return gelu(x); }

// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): a cheaper curve, never more than 5e-4 from GELU.
Var GELUTanh::forward(const Var& x) { return gelu_tanh(x); }

// (e^x - e^-x) / (e^x + e^-x), in (-1, 1)
Var Tanh::forward(const Var& x) { return tanh(x); }

// 1 / (1 + e^-x), in (0, 1)
Var Sigmoid::forward(const Var& x) { return sigmoid(x); }

}  // namespace qkv::nn
