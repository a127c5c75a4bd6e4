// Lesson 02's engine exercises: the topological sort and the backward pass of autograd/engine.cpp,
// written by you. The library keeps its own (Var::backward uses it); tests/exercises/02/check_02.cpp
// compares yours with it. Read lessons/02_autograd/EXERCISES.md first.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "autograd/autograd.hpp"

namespace qkv::exercises {

// 02.3: the Vars of the graph behind `root` that require grad, each once, every Var after all
// the inputs of the op that made it, `root` last. Iterative: a graph 100000 ops deep must not
// overflow the call stack. (A Var's op is v->grad_fn, null for a leaf; its inputs are
// v->grad_fn->inputs, whose impl() is the shared_ptr<VarImpl>.)
std::vector<std::shared_ptr<VarImpl>> topological_order(const Var& root);

// 02.4: the backward pass, without touching any .grad: for a one-element `root`, d root / d v for
// every Var v in the graph that requires grad (root included, with gradient 1), keyed by
// v.impl().get(). Use qkv::topological_order (the library's, so this does not depend on 02.3),
// each Node's backward rule (node.backward(g) returns one gradient per input; an undefined
// Tensor means none) and qkv::sum_to_shape. Do not free the graph: leave node.backward in place.
std::unordered_map<const VarImpl*, Tensor> gradients(const Var& root);

}  // namespace qkv::exercises
