#include "nn/rnn.hpp"

#include <cmath>

namespace qkv::nn::rnn {

Var uniform_parameter(const Shape& shape, double bound, Generator& gen) {
    Tensor t = zeros(shape);
    uniform_(t, -bound, bound, gen);
    return parameter(t);
}

Var project(const Var& x, const Var& weight, const Var& bias) {
    const Var y = matmul(x, weight.t());  // (..., in) @ (in, out) -> (..., out)
    return bias.defined() ? y + bias : y;
}

void check_cell_input(const char* op, const Var& x, std::int64_t input_size, const Var& weight) {
    if (!x.defined()) fail(op, "the input is undefined");
    if (x.dim() != 2 || x.size(1) != input_size)
        fail(op, "input ", shape_str(x.shape()), " should be (B, ", input_size, "): (batch, input_size)");
    if (x.dtype() != weight.dtype())
        fail(op, "input is ", dtype_name(x.dtype()), " but the parameters are ", dtype_name(weight.dtype()));
}

void check_cell_state(const char* op, const char* what, const Var& state, std::int64_t batch,
                      std::int64_t hidden_size, DType dtype) {
    if (state.shape() != Shape{batch, hidden_size})
        fail(op, what, " ", shape_str(state.shape()), " should be (", batch, ", ", hidden_size,
             "): (batch, hidden_size)");
    if (state.dtype() != dtype)
        fail(op, what, " is ", dtype_name(state.dtype()), " but the input is ", dtype_name(dtype));
}

std::vector<std::int64_t> lengths_from_tensor(const char* op, const Tensor& lengths) {
    if (!lengths.defined()) fail(op, "the lengths tensor is undefined");
    if (lengths.dtype() != DType::Int64 || lengths.dim() != 1)
        fail(op, "lengths should be a 1-d int64 tensor, got ", dtype_name(lengths.dtype()), " ",
             shape_str(lengths.shape()));
    return lengths.to_vector<std::int64_t>();
}

namespace {

// (B, 1) bool: true for the sequences that step t is part of (t < length).
Tensor valid_at(const std::vector<std::int64_t>& lengths, std::int64_t t) {
    Tensor valid(Shape{static_cast<std::int64_t>(lengths.size()), 1}, DType::Bool);
    for (std::size_t b = 0; b < lengths.size(); ++b) valid.set({static_cast<std::int64_t>(b), 0}, t < lengths[b]);
    return valid;
}

struct DirectionResult {
    Var output;               // (B, T, H)
    std::vector<Var> state;   // the final state, each part (B, H)
};

// One direction of one layer over the whole sequence x (B, T, in), from `state`.
DirectionResult run_direction(const Var& x, const Weights& w, std::vector<Var> state,
                              const std::vector<std::int64_t>& lengths, bool reverse, const Step& step) {
    const std::int64_t T = x.size(1);
    // The input half of every gate does not depend on h: one matmul for all steps at once.
    const Var gi = project(x, w.weight_ih, w.bias_ih);  // (B, T, G*H)
    std::vector<Var> outputs(static_cast<std::size_t>(T));
    for (std::int64_t k = 0; k < T; ++k) {
        const std::int64_t t = reverse ? T - 1 - k : k;
        const Var gh = project(state[0], w.weight_hh, w.bias_hh);  // (B, G*H)
        std::vector<Var> next = step(gi.select(1, t), gh, state);  // each (B, H)
        Var out = next[0];                                          // (B, H)
        if (!lengths.empty()) {
            // Sequences that are over (or, going backward, not yet begun) keep their state
            // and output zeros, as if the padding were not there.
            const Tensor valid = valid_at(lengths, t);  // (B, 1)
            out = masked_fill(out, logical_not(valid), 0.0);
            for (std::size_t i = 0; i < next.size(); ++i) next[i] = where(valid, next[i], state[i]);
        }
        outputs[static_cast<std::size_t>(t)] = out;
        state = std::move(next);
    }
    return {stack(outputs, 1), state};  // (B, T, H)
}

}  // namespace

Weights make_weights(std::int64_t gates, std::int64_t in, std::int64_t hidden_size, bool bias, Generator& gen) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
    const std::int64_t GH = gates * hidden_size;
    Weights w;
    w.weight_ih = uniform_parameter({GH, in}, bound, gen);
    w.weight_hh = uniform_parameter({GH, hidden_size}, bound, gen);
    if (bias) {
        w.bias_ih = uniform_parameter({GH}, bound, gen);
        w.bias_hh = uniform_parameter({GH}, bound, gen);
    }
    return w;
}

CellBase::CellBase(const char* name, std::int64_t gates, std::int64_t input_size, std::int64_t hidden_size,
                   bool bias, Generator& gen)
    : input_size(input_size), hidden_size(hidden_size), name_(name) {
    if (input_size < 1 || hidden_size < 1)
        fail(name, "input_size and hidden_size must be >= 1, got ", input_size, " and ", hidden_size);
    Weights w = make_weights(gates, input_size, hidden_size, bias, gen);
    weight_ih = w.weight_ih;
    weight_hh = w.weight_hh;
    bias_ih = w.bias_ih;
    bias_hh = w.bias_hh;
}

void CellBase::visit(Visitor& v) {
    v.param("weight_ih", weight_ih);
    v.param("weight_hh", weight_hh);
    v.param("bias_ih", bias_ih);
    v.param("bias_hh", bias_hh);
}

std::string CellBase::describe() const {
    return cat("in=", input_size, ", hidden=", hidden_size, bias_ih.defined() ? "" : ", bias=false");
}

RecurrentBase::RecurrentBase(const char* name, std::int64_t gates, std::int64_t input_size,
                             std::int64_t hidden_size, std::int64_t num_layers, bool bidirectional,
                             bool batch_first, Generator& gen)
    : input_size(input_size), hidden_size(hidden_size), num_layers(num_layers), bidirectional(bidirectional),
      batch_first(batch_first), name_(name) {
    if (input_size < 1 || hidden_size < 1 || num_layers < 1)
        fail(name, "input_size, hidden_size and num_layers must be >= 1, got ", input_size, ", ", hidden_size,
             " and ", num_layers);
    for (std::int64_t layer = 0; layer < num_layers; ++layer) {
        const std::int64_t in = layer == 0 ? input_size : num_directions() * hidden_size;
        for (std::int64_t dir = 0; dir < num_directions(); ++dir)
            weights_.push_back(make_weights(gates, in, hidden_size, true, gen));
    }
}

Weights& RecurrentBase::weights(std::int64_t layer, bool reverse) {
    if (layer < 0 || layer >= num_layers) fail(name_, "layer ", layer, " out of range for ", num_layers, " layers");
    if (reverse && !bidirectional) fail(name_, "no reverse direction: the ", name_, " is not bidirectional");
    return weights_[static_cast<std::size_t>(layer * num_directions() + (reverse ? 1 : 0))];
}

void RecurrentBase::visit(Visitor& v) {
    for (std::int64_t layer = 0; layer < num_layers; ++layer) {
        for (std::int64_t dir = 0; dir < num_directions(); ++dir) {
            const std::string suffix = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
            Weights& w = weights_[static_cast<std::size_t>(layer * num_directions() + dir)];
            v.param("weight_ih" + suffix, w.weight_ih);
            v.param("weight_hh" + suffix, w.weight_hh);
            v.param("bias_ih" + suffix, w.bias_ih);
            v.param("bias_hh" + suffix, w.bias_hh);
        }
    }
}

std::string RecurrentBase::describe() const {
    return cat("in=", input_size, ", hidden=", hidden_size, num_layers > 1 ? cat(", layers=", num_layers) : "",
               bidirectional ? ", bidirectional" : "", batch_first ? "" : ", batch_first=false");
}

RecurrentBase::Result RecurrentBase::run(const Var& input, const std::vector<Var>& initial,
                                         const std::vector<std::int64_t>& lengths, const Step& step) {
    const char* layout = batch_first ? "(B, T, " : "(T, B, ";
    if (!input.defined()) fail(name_, "the input is undefined");
    if (input.dim() != 3 || input.size(2) != input_size)
        fail(name_, "input ", shape_str(input.shape()), " should be ", layout, input_size, ")",
             batch_first ? "" : " (batch_first is false)");
    const DType dtype = weights_[0].weight_ih.dtype();
    if (input.dtype() != dtype)
        fail(name_, "input is ", dtype_name(input.dtype()), " but the parameters are ", dtype_name(dtype));
    const Var x0 = batch_first ? input : input.transpose(0, 1);  // (B, T, I)
    const std::int64_t B = x0.size(0), T = x0.size(1), D = num_directions(), H = hidden_size;
    if (T == 0) fail(name_, "input ", shape_str(input.shape()), " has no time steps");

    if (!lengths.empty()) {
        if (static_cast<std::int64_t>(lengths.size()) != B)
            fail(name_, lengths.size(), " lengths for a batch of ", B, " sequences");
        for (std::int64_t len : lengths)
            if (len < 0 || len > T) fail(name_, "length ", len, " outside [0, ", T, "] (T = ", T, ")");
    }
    for (const Var& s : initial) {
        if (!s.defined()) continue;
        if (s.shape() != Shape{num_layers * D, B, H})
            fail(name_, "initial state ", shape_str(s.shape()), " should be (", num_layers * D, ", ", B, ", ", H,
                 "): (num_layers * directions, batch, hidden_size)");
        if (s.dtype() != dtype)
            fail(name_, "initial state is ", dtype_name(s.dtype()), " but the parameters are ", dtype_name(dtype));
    }

    Var x = x0;                                              // layer input (B, T, I or D*H)
    std::vector<std::vector<Var>> finals(initial.size());    // per state part, L*D of (B, H)
    for (std::int64_t layer = 0; layer < num_layers; ++layer) {
        std::vector<Var> outputs;                            // per direction, (B, T, H)
        for (std::int64_t dir = 0; dir < D; ++dir) {
            const std::int64_t index = layer * D + dir;
            std::vector<Var> state;
            for (const Var& s : initial) state.push_back(s.defined() ? s.select(0, index) : Var(zeros({B, H}, dtype)));
            DirectionResult r = run_direction(x, weights_[static_cast<std::size_t>(index)], state, lengths,
                                              dir == 1, step);
            outputs.push_back(r.output);
            for (std::size_t i = 0; i < finals.size(); ++i) finals[i].push_back(r.state[i]);
        }
        x = D == 2 ? concat(outputs, 2) : outputs[0];        // (B, T, D*H)
    }

    Result result;
    result.output = batch_first ? x : x.transpose(0, 1);
    for (const auto& parts : finals) result.final.push_back(stack(parts, 0));  // (L*D, B, H)
    return result;
}

}  // namespace qkv::nn::rnn
