// The small expression lesson 02 differentiates by hand and by the engine:
//
//   d = a*b + c,   t = tanh(a),   e = d * t
//
// `a` is used twice (in a*b and in tanh(a)), so its gradient is the sum of two paths; that is
// the accumulation the engine does with `+=` (pending gradients summed in Var::backward).
#pragma once

#include <string>
#include <vector>

#include "autograd/autograd.hpp"

namespace qkv::lesson02 {

// Every Var of the expression, by the name the lesson prints.
struct Expression {
    Var a, b, c;  // leaves, 0-d float64, requires_grad
    Var ab;       // a * b
    Var d;        // ab + c
    Var t;        // tanh(a)
    Var e;        // d * t, the root
};

// Builds the expression with a, b, c as 0-d float64 leaves. Intermediates retain_grad(), so
// after e.backward() every node, not only the leaves, shows its gradient.
Expression build_expression(double a, double b, double c);

// One node of the graph as the lesson prints it.
struct GraphLine {
    std::string name;                 // "a", "ab", ... ("?" for a Var not in the Expression)
    std::string op;                   // Var::op_name(): "leaf", "mul", "add", "tanh"
    std::vector<std::string> inputs;  // names of grad_fn()->inputs
    double value = 0;
    double grad = 0;                  // NaN until a backward reached it
};

// The graph behind ex.e in topological_order() (inputs before the ops that use them).
std::vector<GraphLine> graph_lines(const Expression& ex);

// One line per node: "  ab mul  (a, b)    value  -1.200000   grad de/dab =   0.664037".
std::string format_graph(const std::vector<GraphLine>& lines, bool with_grads);

// What NoGradGuard changes: the same product computed with and without it.
struct NoGradDemo {
    bool with_grad_requires_grad;   // a*b normally: true, with a Node "mul"
    std::string with_grad_op;
    bool no_grad_requires_grad;     // a*b under NoGradGuard: false, a plain constant ("leaf")
    std::string no_grad_op;
};
NoGradDemo no_grad_demo(const Expression& ex);

}  // namespace qkv::lesson02
