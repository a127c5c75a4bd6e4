// GRU: a recurrent layer that carries a hidden state h through a sequence, one step at a time.
//
// Shapes: B = batch, T = time (steps), I = input size, H = hidden size,
//         D = directions (2 if bidirectional, else 1), L = num_layers.
//
// One step (Cho et al. 2014, in PyTorch's form and gate order r, z, n):
//   r  = sigmoid(W_ir x + b_ir + W_hr h + b_hr)        reset gate: how much of h the candidate sees
//   z  = sigmoid(W_iz x + b_iz + W_hz h + b_hz)        update gate: how much of h is kept
//   n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))      candidate state
//   h' = (1 - z) * n + z * h
// The three gates' weights are stacked: weight_ih is (3H, I) = [W_ir; W_iz; W_in], weight_hh is
// (3H, H), so one matmul computes all three and chunk() splits them. Weights correspond one to
// one with PyTorch's nn.GRUCell / nn.GRU, names included.
//
// The machinery GRU and LSTM share (weight layout and names, variable lengths, the loop over
// layers, directions and time steps) is in rnn.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/module.hpp"
#include "nn/rnn.hpp"

namespace qkv::nn {

// One GRU step with its gates kept, for looking inside: each (B, H).
struct GRUGates {
    Var r;  // reset gate in (0, 1): how much of W_hn h + b_hn the candidate sees
    Var z;  // update gate in (0, 1): 1 keeps the old state, 0 replaces it by the candidate
    Var n;  // candidate state in (-1, 1)
    Var h;  // the new state (1 - z) * n + z * h_old, the same as forward()
};

// One GRU step: (B, I) input and (B, H) state -> (B, H) new state.
class GRUCell : public rnn::CellBase {
public:
    // Parameters (rnn::CellBase): weight_ih (3H, I) with rows [r; z; n], weight_hh (3H, H), bias_ih
    // and bias_hh (3H), undefined when bias = false.
    GRUCell(std::int64_t input_size, std::int64_t hidden_size, Generator& gen = default_generator())
        : GRUCell(input_size, hidden_size, CellOptions{}, gen) {}
    GRUCell(std::int64_t input_size, std::int64_t hidden_size, const CellOptions& options,
            Generator& gen = default_generator());

    // x (B, I), h (B, H) -> h' (B, H). An undefined h means zeros (the start of a sequence).
    Var forward(const Var& x, const Var& h = Var()) const;
    Var operator()(const Var& x, const Var& h = Var()) const { return forward(x, h); }
    // The same step, returning the gates beside the new state (gates(x, h).h == forward(x, h)).
    GRUGates gates(const Var& x, const Var& h = Var()) const;
};


struct GRUOutput {
    Var output;  // (B, T, D*H): every step's top-layer h, forward then backward direction
    Var h_n;     // (L*D, B, H): each layer and direction's final h, index layer * D + direction
};

// A multi-layer, optionally bidirectional GRU over whole sequences.
//
// Unlike PyTorch, batch_first defaults to true: input (B, T, I), output (B, T, D*H). With
// batch_first = false they are (T, B, I) and (T, B, D*H). h0 and h_n are (L*D, B, H) either way.
// Layer 0 reads the input; layer k > 0 reads layer k-1's outputs (D*H features). The backward
// direction reads the sequence from its end; its outputs are stored at the step they belong to.
//
// Variable lengths: pass each sequence's valid length (padding at the end). Padded steps are
// skipped: outputs there are zero, the forward direction's h_n is the state at the last valid
// step, and the backward direction starts at the last valid step (from h0). This is what
// PyTorch computes on a pack_padded_sequence. Lengths must lie in [0, T].
class GRU : public rnn::RecurrentBase {
public:
    GRU(std::int64_t input_size, std::int64_t hidden_size, Generator& gen = default_generator())
        : GRU(input_size, hidden_size, RecurrentOptions{}, gen) {}
    GRU(std::int64_t input_size, std::int64_t hidden_size, const RecurrentOptions& options,
        Generator& gen = default_generator());

    // x (B, T, I), h0 (L*D, B, H) or undefined (zeros), lengths (B) or empty (all T).
    GRUOutput forward(const Var& x, const Var& h0 = Var(), const std::vector<std::int64_t>& lengths = {});
    // The same, with lengths as an int64 tensor of shape (B).
    GRUOutput forward(const Var& x, const Var& h0, const Tensor& lengths);
    GRUOutput operator()(const Var& x, const Var& h0 = Var(), const std::vector<std::int64_t>& lengths = {}) {
        return forward(x, h0, lengths);
    }
    GRUOutput operator()(const Var& x, const Var& h0, const Tensor& lengths) { return forward(x, h0, lengths); }

    std::string type_name() const override { return "GRU"; }
};

}  // namespace qkv::nn
