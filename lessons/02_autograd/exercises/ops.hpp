// Lesson 02's op exercises: a new differentiable op, and the rule that undoes broadcasting.
// The library keeps its own versions (autograd/); tests/exercises/02/check_02.cpp compares yours
// with them and runs the gradient checker. Read lessons/02_autograd/EXERCISES.md first.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::exercises {

// 02.1: swish (also called SiLU), y = x * sigmoid(x), as ONE op: compute the forward on Tensors
// and record() it with your own backward rule
//   dy/dx = sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)).
// Composing mul(x, sigmoid(x)) out of existing Var ops is not the exercise.
Var swish(const Var& x);

// 02.2: sums `grad` over the dims that broadcasting expanded, so that the result has `shape`:
// a (3, 1) input used in an op whose output is (2, 3, 4) receives its gradient summed over
// dim 0 (a leading dim broadcasting added) and dim 2 (where the input had size 1).
// Throws qkv::Error naming both shapes when `shape` does not broadcast to grad's shape.
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);

}  // namespace qkv::exercises
