#include "nn/lstm.hpp"

namespace qkv::nn {

namespace {

// The LSTM equations, given gi = W_ih x + b_ih and gh = W_hh h + b_hh, both (B, 4H) with the
// gates in the order i, f, g, o, and the cell state c (B, H).
LSTMState lstm_gates(const Var& gi, const Var& gh, const Var& c) {
    const Var gates = gi + gh;                         // (B, 4H)
    const std::vector<Var> q = chunk(gates, 4, 1);     // 4 x (B, H)
    const Var i = sigmoid(q[0]);
    const Var f = sigmoid(q[1]);
    const Var g = tanh(q[2]);
    const Var o = sigmoid(q[3]);
    const Var c_next = f * c + i * g;                  // (B, H)
    return {o * tanh(c_next), c_next};
}

}  // namespace

// ---- LSTMCell ----------------------------------------------------------------------------------

LSTMCell::LSTMCell(std::int64_t input_size, std::int64_t hidden_size, const CellOptions& options, Generator& gen)
    : CellBase("LSTMCell", 4, input_size, hidden_size, options.bias, gen) {}

LSTMState LSTMCell::forward(const Var& x, const LSTMState& state) const {
    rnn::check_cell_input("LSTMCell", x, input_size, weight_ih);
    const std::int64_t B = x.size(0);
    const Var h = state.h.defined() ? state.h : Var(zeros({B, hidden_size}, x.dtype()));
    const Var c = state.c.defined() ? state.c : Var(zeros({B, hidden_size}, x.dtype()));
    rnn::check_cell_state("LSTMCell", "hidden state h", h, B, hidden_size, x.dtype());
    rnn::check_cell_state("LSTMCell", "cell state c", c, B, hidden_size, x.dtype());
    return lstm_gates(rnn::project(x, weight_ih, bias_ih),  // (B, 4H)
                      rnn::project(h, weight_hh, bias_hh),  // (B, 4H)
                      c);
}

// ---- LSTM --------------------------------------------------------------------------------------

LSTM::LSTM(std::int64_t input_size, std::int64_t hidden_size, const RecurrentOptions& options, Generator& gen)
    : RecurrentBase("LSTM", 4, input_size, hidden_size, options.num_layers, options.bidirectional,
                    options.batch_first, gen) {}

LSTMOutput LSTM::forward(const Var& x, const LSTMState& state0, const std::vector<std::int64_t>& lengths) {
    // The state travels as {h, c}: part 0 (h) is what each step outputs.
    const rnn::Step step = [](const Var& gi, const Var& gh, const std::vector<Var>& state) {
        const LSTMState next = lstm_gates(gi, gh, state[1]);
        return std::vector<Var>{next.h, next.c};
    };
    Result r = run(x, {state0.h, state0.c}, lengths, step);
    return {r.output, r.final[0], r.final[1]};
}

LSTMOutput LSTM::forward(const Var& x, const LSTMState& state0, const Tensor& lengths) {
    return forward(x, state0, rnn::lengths_from_tensor("LSTM", lengths));
}

}  // namespace qkv::nn
