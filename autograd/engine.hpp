// The reverse-mode engine: graph nodes, and the backward pass over them.
//
// Every differentiable op computes its output Tensor, then records a Node holding
//   - its inputs (the Vars the gradient flows back to), and
//   - a backward rule: given dL/d(output), return dL/d(input) for each input.
// The rule is a lambda written right beside the op's forward code and captures exactly the
// tensors it needs (e.g. mul saves both operands). backward() visits the nodes from the
// result back to the leaves in reverse topological order, so each node runs only once all
// the gradient flowing into its output has been summed.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "autograd/var.hpp"

namespace qkv {

// One gradient per input, in the order of the inputs. An undefined Tensor means "no gradient"
// (the input does not affect the output, or is an integer index).
using Grads = std::vector<Tensor>;
using BackwardFn = std::function<Grads(const Tensor& grad_output)>;

struct Node {
    std::string op;           // "matmul", "softmax", ...: for graph printing and error messages
    std::vector<Var> inputs;  // where the gradient goes
    BackwardFn backward;      // empty once freed by a backward() without retain_graph
};

// Wraps an op's forward result. If grad mode is on and any input requires grad, the result
// gets a Node with `backward` and requires grad; otherwise it is a plain constant and no
// graph is built (the lambda and what it captured are dropped at once).
Var record(const char* op, Tensor output, std::vector<Var> inputs, BackwardFn backward);

// Sums `grad` over the dims that broadcasting expanded, so it has `shape` again.
// The one place where broadcasting is undone: an input of shape (3, 1) used in an op whose
// output is (2, 3, 4) receives the sum of its gradient over dim 0 and over dim 2.
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);

// The Vars of the graph behind `root`, inputs before the ops that use them (root last).
std::vector<std::shared_ptr<VarImpl>> topological_order(const Var& root);

}  // namespace qkv
