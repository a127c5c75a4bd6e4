// LSTM: a recurrent layer with two states, the hidden state h (the output) and a cell state c,
// a memory that gates add to and erase from (Hochreiter & Schmidhuber 1997, with the forget
// gate; PyTorch's form and gate order i, f, g, o):
//   i  = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    input gate: how much of g to write
//   f  = sigmoid(W_if x + b_if + W_hf h + b_hf)    forget gate: how much of c to keep
//   g  = tanh(W_ig x + b_ig + W_hg h + b_hg)       candidate values
//   o  = sigmoid(W_io x + b_io + W_ho h + b_ho)    output gate: how much of c to show
//   c' = f * c + i * g
//   h' = o * tanh(c')
// weight_ih is (4H, I) = [W_ii; W_if; W_ig; W_io], weight_hh is (4H, H), as in PyTorch's
// nn.LSTMCell / nn.LSTM. Shapes and the layer machinery are shared with GRU: see rnn.hpp.
#pragma once

#include "nn/rnn.hpp"

namespace qkv::nn {

// Both states of an LSTM. For a cell each is (B, H); for a layer each is (L*D, B, H).
// Undefined parts mean zeros.
struct LSTMState {
    Var h;
    Var c;
};

// One LSTM step: (B, I) input and (h, c), each (B, H) -> (h', c').
class LSTMCell : public rnn::CellBase {
public:
    // Parameters (rnn::CellBase): weight_ih (4H, I) with rows [i; f; g; o], weight_hh (4H, H), bias_ih
    // and bias_hh (4H), undefined when bias = false.
    LSTMCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen = default_generator())
        : LSTMCell(input_size, hidden_size, CellOptions{}, gen) {}
    LSTMCell(std::int64_t input_size, std::int64_t hidden_size, const CellOptions& options,
             Generator& gen = default_generator());

    // x (B, I), state {h (B, H), c (B, H)} -> {h', c'}.
    LSTMState forward(const Var& x, const LSTMState& state = {}) const;
    LSTMState operator()(const Var& x, const LSTMState& state = {}) const { return forward(x, state); }
};

struct LSTMOutput {
    Var output;  // (B, T, D*H): every step's top-layer h, forward then backward direction
    Var h_n;     // (L*D, B, H): final h per layer and direction, index layer * D + direction
    Var c_n;     // (L*D, B, H): final c
};

// A multi-layer, optionally bidirectional LSTM over whole sequences. Layout, batch_first
// (default true, unlike PyTorch), stacking and variable lengths work as in GRU (gru.hpp, rnn.hpp).
class LSTM : public rnn::RecurrentBase {
public:
    LSTM(std::int64_t input_size, std::int64_t hidden_size, Generator& gen = default_generator())
        : LSTM(input_size, hidden_size, RecurrentOptions{}, gen) {}
    LSTM(std::int64_t input_size, std::int64_t hidden_size, const RecurrentOptions& options,
         Generator& gen = default_generator());

    // x (B, T, I), state0 {h0, c0} each (L*D, B, H) or undefined (zeros), lengths (B) or empty.
    LSTMOutput forward(const Var& x, const LSTMState& state0 = {}, const std::vector<std::int64_t>& lengths = {});
    // The same, with lengths as an int64 tensor of shape (B).
    LSTMOutput forward(const Var& x, const LSTMState& state0, const Tensor& lengths);
    LSTMOutput operator()(const Var& x, const LSTMState& state0 = {}, const std::vector<std::int64_t>& lengths = {}) {
        return forward(x, state0, lengths);
    }
    LSTMOutput operator()(const Var& x, const LSTMState& state0, const Tensor& lengths) {
        return forward(x, state0, lengths);
    }

    std::string type_name() const override { return "LSTM"; }
};

}  // namespace qkv::nn
