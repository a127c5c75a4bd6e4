// An op you could write yourself: softplus(x) = log(1 + exp(x)), a smooth ReLU.
//
//   forward:   y = log(1 + e^x)
//   backward:  dy/dx = e^x / (1 + e^x) = 1 / (1 + e^-x) = sigmoid(x)
//
// A new op is a forward on Tensors plus a call to record() with its backward rule, exactly as
// every op in autograd/elementwise.cpp is written. gradcheck() then tells you whether the rule
// matches the forward.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::lesson02 {

// Correct: backward returns g * sigmoid(x).
Var softplus(const Var& x);

// Deliberately wrong: backward returns g * sigmoid(-x) = g / (1 + e^x), a sign slip in the
// exponent. Right only at x = 0, so gradcheck catches it everywhere else.
Var softplus_wrong(const Var& x);

// gradcheck of each on the same float64 inputs (a 2x3 tensor, seeded), as the lesson prints.
GradcheckResult check_softplus(std::uint64_t seed);
GradcheckResult check_softplus_wrong(std::uint64_t seed);

}  // namespace qkv::lesson02
