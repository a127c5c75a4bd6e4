#include "nn/gru.hpp"

namespace qkv::nn {

namespace {

// The GRU equations, given gi = W_ih x + b_ih and gh = W_hh h + b_hh, both (B, 3H) with the
// gates in the order r, z, n. b_hn sits inside gh, so r multiplies (W_hn h + b_hn) as in PyTorch.
GRUGates gru_gates(const Var& gi, const Var& gh, const Var& h) {
    const std::vector<Var> i = chunk(gi, 3, 1);  // 3 x (B, H)
    const std::vector<Var> g = chunk(gh, 3, 1);  // 3 x (B, H)
    const Var r = sigmoid(i[0] + g[0]);          // (B, H)
    const Var z = sigmoid(i[1] + g[1]);          // (B, H)
    const Var n = tanh(i[2] + r * g[2]);         // (B, H)
    // dh'/dh = diag(z) + (1 - z) * dn/dh: where z is near 1 the gradient passes through the step
    // unchanged, however small dn/dh is. That direct path is what a plain tanh RNN lacks.
    return {r, z, n, (1.0 - z) * n + z * h};     // (B, H) each
}

}  // namespace

// ---- GRUCell -----------------------------------------------------------------------------------

GRUCell::GRUCell(std::int64_t input_size, std::int64_t hidden_size, const CellOptions& options, Generator& gen)
    : CellBase("GRUCell", 3, input_size, hidden_size, options.bias, gen) {}

Var GRUCell::forward(const Var& x, const Var& h) const { return gates(x, h).h; }

GRUGates GRUCell::gates(const Var& x, const Var& h) const {
    rnn::check_cell_input("GRUCell", x, input_size, weight_ih);
    const std::int64_t B = x.size(0);
    const Var state = h.defined() ? h : Var(zeros({B, hidden_size}, x.dtype()));
    rnn::check_cell_state("GRUCell", "hidden state", state, B, hidden_size, x.dtype());
    return gru_gates(rnn::project(x, weight_ih, bias_ih),      // (B, 3H)
                     rnn::project(state, weight_hh, bias_hh),  // (B, 3H)
                     state);
}

// ---- GRU ---------------------------------------------------------------------------------------

GRU::GRU(std::int64_t input_size, std::int64_t hidden_size, const RecurrentOptions& options, Generator& gen)
    : RecurrentBase("GRU", 3, input_size, hidden_size, options.num_layers, options.bidirectional,
                    options.batch_first, gen) {}

GRUOutput GRU::forward(const Var& x, const Var& h0, const std::vector<std::int64_t>& lengths) {
    const rnn::Step step = [](const Var& gi, const Var& gh, const std::vector<Var>& state) {
        return std::vector<Var>{gru_gates(gi, gh, state[0]).h};
    };
    Result r = run(x, {h0}, lengths, step);
    return {r.output, r.final[0]};
}

GRUOutput GRU::forward(const Var& x, const Var& h0, const Tensor& lengths) {
    return forward(x, h0, rnn::lengths_from_tensor("GRU", lengths));
}

}  // namespace qkv::nn
