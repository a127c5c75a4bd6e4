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
// The second half of this header is the machinery GRU and LSTM share (namespace rnn): weight
// layout and names, variable lengths, and the loop over layers, directions and time steps.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace qkv::nn {

// One GRU step: (B, I) input and (B, H) state -> (B, H) new state.
class GRUCell : public Module {
public:
    GRUCell(std::int64_t input_size, std::int64_t hidden_size, bool bias = true,
            Generator& gen = default_generator());

    // x (B, I), h (B, H) -> h' (B, H). An undefined h means zeros (the start of a sequence).
    Var forward(const Var& x, const Var& h = Var()) const;
    Var operator()(const Var& x, const Var& h = Var()) const { return forward(x, h); }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "GRUCell"; }
    std::string describe() const override;

    std::int64_t input_size, hidden_size;
    Var weight_ih;  // (3H, I)  rows [r; z; n]
    Var weight_hh;  // (3H, H)
    Var bias_ih;    // (3H), undefined when bias = false
    Var bias_hh;    // (3H)
};

namespace rnn {

// The weights of one direction of one layer of a GRU (3 gates) or LSTM (4 gates).
struct Weights {
    Var weight_ih;  // (G*H, I) for layer 0, (G*H, D*H) above it
    Var weight_hh;  // (G*H, H)
    Var bias_ih;    // (G*H)
    Var bias_hh;    // (G*H)
};

// A parameter of `shape` drawn from U(-bound, bound): PyTorch's recurrent initialisation uses
// bound = 1/sqrt(H) for every weight and bias.
Var uniform_parameter(const Shape& shape, double bound, Generator& gen);

// x @ weight^T + bias over the last dim of x (bias may be undefined): (..., in) -> (..., out).
Var project(const Var& x, const Var& weight, const Var& bias);

// Checks a cell's input x (B, I) and each state part (B, H); `op` names the cell in errors.
void check_cell_input(const char* op, const Var& x, std::int64_t input_size, const Var& weight);
void check_cell_state(const char* op, const char* what, const Var& state, std::int64_t batch,
                      std::int64_t hidden_size, DType dtype);

// Valid lengths as a vector, from an int64 tensor of shape (B).
std::vector<std::int64_t> lengths_from_tensor(const char* op, const Tensor& lengths);

// One time step of a cell, given the input projection gi = W_ih x + b_ih (B, G*H), the hidden
// projection gh = W_hh h + b_hh (B, G*H) and the current state; returns the new state. The
// state is {h} for a GRU and {h, c} for an LSTM: part 0 is always h, the step's output.
using Step = std::function<std::vector<Var>(const Var& gi, const Var& gh, const std::vector<Var>& state)>;

// The stack of layers and directions that GRU and LSTM share: parameters, their PyTorch names,
// and the loop over layers, directions and time.
class RecurrentBase : public Module {
public:
    std::int64_t input_size, hidden_size, num_layers;
    bool bidirectional, batch_first;

    std::int64_t num_directions() const { return bidirectional ? 2 : 1; }
    // The weights of one layer and direction (reverse = the backward direction).
    Weights& weights(std::int64_t layer, bool reverse = false);

    // Parameters named as PyTorch names them, in its order: weight_ih_l0, weight_hh_l0,
    // bias_ih_l0, bias_hh_l0, then weight_ih_l0_reverse ... if bidirectional, then layer 1.
    void visit(Visitor& v) override;
    std::string describe() const override;

protected:
    RecurrentBase(const char* name, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                  std::int64_t num_layers, bool bidirectional, bool batch_first, Generator& gen);

    struct Result {
        Var output;                // (B, T, D*H), or (T, B, D*H) if not batch_first
        std::vector<Var> final;    // per state part: (L*D, B, H)
    };
    // Runs every layer and direction over x. `initial` holds one (L*D, B, H) Var per state part
    // (undefined = zeros); `lengths` is empty (all steps valid) or one valid length per sequence.
    Result run(const Var& x, const std::vector<Var>& initial, const std::vector<std::int64_t>& lengths,
               const Step& step);

private:
    const char* name_;              // "GRU" or "LSTM", for error messages
    std::vector<Weights> weights_;  // index layer * D + direction
};

}  // namespace rnn

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
    GRU(std::int64_t input_size, std::int64_t hidden_size, std::int64_t num_layers = 1, bool bidirectional = false,
        bool batch_first = true, Generator& gen = default_generator());

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
