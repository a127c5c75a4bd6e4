// The machinery GRU and LSTM share: the weights of each layer and direction with PyTorch's
// names, initialisation, shape checks, variable lengths, and the loop over layers, directions and
// time steps. A recurrent layer only supplies its one-step update (a Step).
//
// Shapes: B = batch, T = time (steps), I = input size, H = hidden size, G = gates (3 for a GRU,
//         4 for an LSTM), D = directions (2 if bidirectional, else 1), L = num_layers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace qkv::nn {

// For RNNCell, GRUCell and LSTMCell: Cell(input_size, hidden_size[, options][, gen]).
struct CellOptions {
    bool bias = true;  // without: bias_ih and bias_hh stay undefined
};

// For GRU and LSTM: GRU(input_size, hidden_size[, options][, gen]), e.g.
//   GRU gru(32, 64, {.num_layers = 2, .bidirectional = true}, gen);
struct RecurrentOptions {
    std::int64_t num_layers = 1;
    bool bidirectional = false;
    bool batch_first = true;  // (B, T, I), unlike PyTorch's default (T, B, I)
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

// One direction of one layer (or one cell): G gates over inputs of size `in`, every tensor drawn
// from U(-1/sqrt(H), 1/sqrt(H)) in PyTorch's order weight_ih, weight_hh, bias_ih, bias_hh. Without
// bias the two biases stay undefined.
Weights make_weights(std::int64_t gates, std::int64_t in, std::int64_t hidden_size, bool bias, Generator& gen);

// What every cell (GRUCell, LSTMCell) has: its sizes and its gates' stacked weights, named as
// PyTorch names them. A cell adds only its step.
class CellBase : public Module {
public:
    std::int64_t input_size, hidden_size;
    Var weight_ih;  // (G*H, I)
    Var weight_hh;  // (G*H, H)
    Var bias_ih;    // (G*H), undefined when bias = false
    Var bias_hh;    // (G*H)

    void visit(Visitor& v) override;
    std::string type_name() const override { return name_; }
    std::string describe() const override;

protected:
    CellBase(const char* name, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size, bool bias,
             Generator& gen);

private:
    const char* name_;  // "GRUCell", "LSTMCell" or "RNNCell"
};

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

}  // namespace qkv::nn
