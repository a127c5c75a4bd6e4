// RNNCell: the plain (Elman) recurrent step that GRU and LSTM improve on, as torch.nn.RNNCell
// with its default tanh nonlinearity.
//
// Shapes: B = batch, I = input size, H = hidden size.
//
//   h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
//
// Backward through T steps multiplies T Jacobians dh_t/dh_{t-1} = diag(1 - h_t^2) W_hh. Each
// has tanh' <= 1 and, at PyTorch's initialisation U(-1/sqrt(H), 1/sqrt(H)), a W_hh of spectral
// radius near 1/sqrt(3), so the gradient reaching early steps shrinks geometrically (vanishing
// gradients). Lesson 04 measures this against a GRU, whose update gate gives the gradient a
// path around the tanh (gru.hpp).
#pragma once

#include <cstdint>

#include "nn/rnn.hpp"

namespace qkv::nn {

class RNNCell : public rnn::CellBase {
public:
    // Parameters (rnn::CellBase): weight_ih (H, I), weight_hh (H, H), bias_ih and bias_hh (H),
    // the biases undefined when bias = false; all drawn from U(-1/sqrt(H), 1/sqrt(H)).
    RNNCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen = default_generator())
        : RNNCell(input_size, hidden_size, CellOptions{}, gen) {}
    RNNCell(std::int64_t input_size, std::int64_t hidden_size, const CellOptions& options,
            Generator& gen = default_generator());

    // x (B, I), h (B, H) -> h' (B, H). An undefined h means zeros (the start of a sequence).
    Var forward(const Var& x, const Var& h = Var()) const;
    Var operator()(const Var& x, const Var& h = Var()) const { return forward(x, h); }
};

}  // namespace qkv::nn
