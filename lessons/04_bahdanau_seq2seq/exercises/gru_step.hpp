// Exercise 04.2: one GRU step from its gate equations (Cho et al. 2014, in PyTorch's form).
//
//   r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)       reset gate
//   z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)       update gate
//   n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))     candidate state
//   h' = (1 - z) * n + z * h
//
// Shapes: B = batch, I = input size, H = hidden size. The weights are nn::GRUCell's (and
// PyTorch's): weight_ih (3H, I) = [W_ir; W_iz; W_in], weight_hh (3H, H) = [W_hr; W_hz; W_hn],
// bias_ih and bias_hh (3H), in the same gate order r, z, n.
#pragma once

#include "autograd/autograd.hpp"

namespace qkv::exercises {

// x (B, I), h (B, H) -> h' (B, H).
Var gru_step(const Var& x, const Var& h, const Var& weight_ih, const Var& weight_hh, const Var& bias_ih,
             const Var& bias_hh);

}  // namespace qkv::exercises
