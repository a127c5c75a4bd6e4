#include "nn/rnn_cell.hpp"

namespace qkv::nn {

RNNCell::RNNCell(std::int64_t input_size, std::int64_t hidden_size, const CellOptions& options, Generator& gen)
    : CellBase("RNNCell", 1, input_size, hidden_size, options.bias, gen) {}

Var RNNCell::forward(const Var& x, const Var& h) const {
    rnn::check_cell_input("RNNCell", x, input_size, weight_ih);
    const std::int64_t B = x.size(0);
    const Var state = h.defined() ? h : Var(zeros({B, hidden_size}, x.dtype()));
    rnn::check_cell_state("RNNCell", "hidden state", state, B, hidden_size, x.dtype());
    return tanh(rnn::project(x, weight_ih, bias_ih) + rnn::project(state, weight_hh, bias_hh));  // (B, H)
}

}  // namespace qkv::nn
