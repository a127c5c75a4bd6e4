// Exercise 04.1: the additive attention score (加性注意力), Bahdanau et al. 2015.
//
//   e_ij = w_v^T tanh(W_q q_i + W_k k_j)
//
// Shapes: B = batch, Tq = queries, Tk = keys, dq = query size, dk = key size, A = attention size.
// The weights are stored as nn::Linear stores them, (out, in): W_q (A, dq), W_k (A, dk), w_v (1, A).
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::exercises {

// q (B, Tq, dq), k (B, Tk, dk) -> scores (B, Tq, Tk).
Var additive_scores(const Var& q, const Var& k, const Var& W_q, const Var& W_k, const Var& w_v);

}  // namespace qkv::exercises
