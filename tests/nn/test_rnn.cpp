// GRUCell, LSTMCell, GRU and LSTM: the cells against their gate equations evaluated by hand,
// the layers against their cells stepped one by one, padding, PyTorch's parameter names and
// initialisation, gradients, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "nn/gru.hpp"
#include "nn/lstm.hpp"
#include "nn/rnn_cell.hpp"
#include "tests/testing_nn.hpp"

using namespace qkv;
using qkv::test::f64;
using qkv::test::sigmoid_d;
using qkv::test::check_module_gradients;

namespace {

// Deterministic, irregular values in [-1, 1], no two alike, so a test that swaps two gates or
// reads a weight twice sees a different number.
std::vector<double> values(std::int64_t n, double phase) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(1.3 * static_cast<double>(i) + phase);
    return v;
}

Var f64_var(const std::vector<double>& v, const Shape& shape) { return Var(from_vector(v, shape)); }

// a and b agree elementwise to `tol`; a failure names the worst element.
void check_close(const Var& a, const Var& b, double tol = 1e-12) {
    REQUIRE(shape_str(a.shape()) == shape_str(b.shape()));
    const CloseReport report = allclose(a.data(), b.data(), tol, tol);
    INFO(report.message);
    CHECK(report.ok);
}

void check_all_zero(const Var& a) {
    for (double v : a.data().to_vector<double>()) CHECK(v == 0.0);
}

// A GRUCell holding the weights of one layer and direction of `gru` (shared, not copied).
nn::GRUCell cell_of(nn::GRU& gru, std::int64_t layer, bool reverse = false) {
    const nn::rnn::Weights& w = gru.weights(layer, reverse);
    nn::GRUCell cell(w.weight_ih.size(1), gru.hidden_size);
    cell.weight_ih = w.weight_ih;
    cell.weight_hh = w.weight_hh;
    cell.bias_ih = w.bias_ih;
    cell.bias_hh = w.bias_hh;
    return cell;
}

// The cell test case: I = 2, H = 3, B = 1, every weight set explicitly.
constexpr std::int64_t I = 2, H = 3;

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("GRUCell matches its gate equations evaluated by hand") {
    const std::vector<double> w_ih = values(3 * H * I, 0.1), w_hh = values(3 * H * H, 0.2),
                              b_ih = values(3 * H, 0.3), b_hh = values(3 * H, 0.4);
    const std::vector<double> x = {0.5, -1.0}, h = {0.2, -0.3, 0.4};

    nn::GRUCell cell(I, H);
    cell.weight_ih = f64_var(w_ih, {3 * H, I});
    cell.weight_hh = f64_var(w_hh, {3 * H, H});
    cell.bias_ih = f64_var(b_ih, {3 * H});
    cell.bias_hh = f64_var(b_hh, {3 * H});
    const Var got = cell(f64_var(x, {1, I}), f64_var(h, {1, H}));

    // Row `row` of W_ih x + b_ih and of W_hh h + b_hh; rows [0, H) are r, [H, 2H) z, [2H, 3H) n.
    auto in = [&](std::int64_t row) {
        double s = b_ih[row];
        for (std::int64_t k = 0; k < I; ++k) s += w_ih[row * I + k] * x[k];
        return s;
    };
    auto hid = [&](std::int64_t row) {
        double s = b_hh[row];
        for (std::int64_t k = 0; k < H; ++k) s += w_hh[row * H + k] * h[k];
        return s;
    };
    std::vector<double> expected(H);
    for (std::int64_t j = 0; j < H; ++j) {
        const double r = sigmoid_d(in(j) + hid(j));
        const double z = sigmoid_d(in(H + j) + hid(H + j));
        const double n = std::tanh(in(2 * H + j) + r * hid(2 * H + j));
        expected[j] = (1 - z) * n + z * h[j];
    }
    check_close(got, f64_var(expected, {1, H}));

    // No state means a zero state.
    check_close(cell(f64_var(x, {1, I})), cell(f64_var(x, {1, I}), f64_var({0, 0, 0}, {1, H})));
}

TEST_CASE("LSTMCell matches its gate equations evaluated by hand") {
    const std::vector<double> w_ih = values(4 * H * I, 0.5), w_hh = values(4 * H * H, 0.6),
                              b_ih = values(4 * H, 0.7), b_hh = values(4 * H, 0.8);
    const std::vector<double> x = {-0.7, 0.9}, h = {0.1, 0.5, -0.6}, c = {1.5, -0.8, 0.3};

    nn::LSTMCell cell(I, H);
    cell.weight_ih = f64_var(w_ih, {4 * H, I});
    cell.weight_hh = f64_var(w_hh, {4 * H, H});
    cell.bias_ih = f64_var(b_ih, {4 * H});
    cell.bias_hh = f64_var(b_hh, {4 * H});
    const nn::LSTMState got = cell(f64_var(x, {1, I}), {f64_var(h, {1, H}), f64_var(c, {1, H})});

    // Gate `gate` (0 i, 1 f, 2 g, 3 o), unit j: W_ih x + b_ih + W_hh h + b_hh at row gate*H + j.
    auto pre = [&](std::int64_t gate, std::int64_t j) {
        const std::int64_t row = gate * H + j;
        double s = b_ih[row] + b_hh[row];
        for (std::int64_t k = 0; k < I; ++k) s += w_ih[row * I + k] * x[k];
        for (std::int64_t k = 0; k < H; ++k) s += w_hh[row * H + k] * h[k];
        return s;
    };
    std::vector<double> h_expected(H), c_expected(H);
    for (std::int64_t j = 0; j < H; ++j) {
        const double i = sigmoid_d(pre(0, j)), f = sigmoid_d(pre(1, j));
        const double g = std::tanh(pre(2, j)), o = sigmoid_d(pre(3, j));
        c_expected[j] = f * c[j] + i * g;
        h_expected[j] = o * std::tanh(c_expected[j]);
    }
    check_close(got.h, f64_var(h_expected, {1, H}));
    check_close(got.c, f64_var(c_expected, {1, H}));
}

TEST_CASE("GRU over a sequence equals GRUCell applied step by step") {
    Generator gen(1);
    nn::GRU gru(2, 3, gen);
    gru.to(f64);
    const Var x(randn({2, 4, 2}, 0, 1, f64, gen));   // (B, T, I)
    const Var h0(randn({1, 2, 3}, 0, 1, f64, gen));  // (L*D, B, H)
    const nn::GRUOutput out = gru(x, h0);
    REQUIRE(shape_str(out.output.shape()) == "(2, 4, 3)");
    REQUIRE(shape_str(out.h_n.shape()) == "(1, 2, 3)");

    const nn::GRUCell cell = cell_of(gru, 0);
    Var h = h0.select(0, 0);
    for (std::int64_t t = 0; t < 4; ++t) {
        h = cell(x.select(1, t), h);
        check_close(out.output.select(1, t), h);
    }
    check_close(out.h_n.select(0, 0), h);
}

TEST_CASE("GRU with batch_first false takes and returns time-major tensors") {
    Generator gen(2);
    nn::GRU a(2, 3, {.bidirectional = true}, gen);
    nn::GRU b = a;  // shares a's weights
    b.batch_first = false;
    a.to(f64), b.to(f64);
    const Var x(randn({2, 4, 2}, 0, 1, f64, gen));  // (B, T, I)
    const nn::GRUOutput batch_major = a(x);
    const nn::GRUOutput time_major = b(x.transpose(0, 1));
    check_close(time_major.output, batch_major.output.transpose(0, 1));
    check_close(time_major.h_n, batch_major.h_n);
}

TEST_CASE("bidirectional GRU's backward half equals the cell run over the reversed sequence") {
    Generator gen(3);
    const std::int64_t T = 4;
    nn::GRU gru(2, 3, {.bidirectional = true}, gen);
    gru.to(f64);
    const Var x(randn({2, T, 2}, 0, 1, f64, gen));
    const nn::GRUOutput out = gru(x);
    REQUIRE(shape_str(out.output.shape()) == "(2, 4, 6)");
    REQUIRE(shape_str(out.h_n.shape()) == "(2, 2, 3)");

    // Forward half: columns [0, H).
    const nn::GRUCell forward_cell = cell_of(gru, 0, false);
    Var h;
    for (std::int64_t t = 0; t < T; ++t) {
        h = forward_cell(x.select(1, t), h);
        check_close(out.output.select(1, t).narrow(1, 0, 3), h);
    }
    check_close(out.h_n.select(0, 0), h);

    // Backward half: columns [H, 2H). Reverse the sequence, run forward, and step k's result
    // belongs to original position T-1-k.
    std::vector<Var> reversed_steps;
    for (std::int64_t t = T - 1; t >= 0; --t) reversed_steps.push_back(x.select(1, t));
    const Var reversed = stack(reversed_steps, 1);
    const nn::GRUCell backward_cell = cell_of(gru, 0, true);
    h = Var();
    for (std::int64_t k = 0; k < T; ++k) {
        h = backward_cell(reversed.select(1, k), h);
        check_close(out.output.select(1, T - 1 - k).narrow(1, 3, 3), h);
    }
    check_close(out.h_n.select(0, 1), h);
}

TEST_CASE("stacked GRU layer 1 consumes layer 0's outputs") {
    Generator gen(4);
    nn::GRU gru(2, 3, {.num_layers = 2}, gen);
    gru.to(f64);
    CHECK(shape_str(gru.weights(1).weight_ih.shape()) == "(9, 3)");
    const Var x(randn({2, 5, 2}, 0, 1, f64, gen));
    const nn::GRUOutput out = gru(x);

    const nn::GRUCell layer0 = cell_of(gru, 0), layer1 = cell_of(gru, 1);
    Var h0, h1;
    for (std::int64_t t = 0; t < 5; ++t) {
        h0 = layer0(x.select(1, t), h0);
        h1 = layer1(h0, h1);  // layer 1's input at step t is layer 0's output at step t
        check_close(out.output.select(1, t), h1);
    }
    check_close(out.h_n.select(0, 0), h0);
    check_close(out.h_n.select(0, 1), h1);
}

TEST_CASE("stacked bidirectional GRU feeds both directions into the next layer") {
    Generator gen(5);
    const std::int64_t T = 3;
    nn::GRU gru(2, 3, {.num_layers = 2, .bidirectional = true}, gen);
    gru.to(f64);
    CHECK(shape_str(gru.weights(1, true).weight_ih.shape()) == "(9, 6)");
    const Var x(randn({2, T, 2}, 0, 1, f64, gen));
    const Var h0(randn({4, 2, 3}, 0, 1, f64, gen));  // rows: l0, l0_reverse, l1, l1_reverse
    const nn::GRUOutput out = gru(x, h0);

    // Layer 0's output, by hand: forward states and backward states side by side.
    std::vector<Var> fwd(T), bwd(T);
    Var h = h0.select(0, 0);
    for (std::int64_t t = 0; t < T; ++t) fwd[t] = h = cell_of(gru, 0, false)(x.select(1, t), h);
    h = h0.select(0, 1);
    for (std::int64_t t = T - 1; t >= 0; --t) bwd[t] = h = cell_of(gru, 0, true)(x.select(1, t), h);
    std::vector<Var> layer0_out;
    for (std::int64_t t = 0; t < T; ++t) layer0_out.push_back(concat({fwd[t], bwd[t]}, 1));  // (B, 2H)

    // Layer 1 reads those 2H features per step.
    h = h0.select(0, 2);
    for (std::int64_t t = 0; t < T; ++t) fwd[t] = h = cell_of(gru, 1, false)(layer0_out[t], h);
    const Var h_fwd = h;
    h = h0.select(0, 3);
    for (std::int64_t t = T - 1; t >= 0; --t) bwd[t] = h = cell_of(gru, 1, true)(layer0_out[t], h);
    for (std::int64_t t = 0; t < T; ++t) check_close(out.output.select(1, t), concat({fwd[t], bwd[t]}, 1));
    check_close(out.h_n.select(0, 2), h_fwd);
    check_close(out.h_n.select(0, 3), h);
}

TEST_CASE("GRU with lengths skips padding: zero outputs there, states as if run unpadded") {
    Generator gen(6);
    const std::int64_t B = 3, T = 4;
    const std::vector<std::int64_t> lengths = {4, 2, 3};
    nn::GRU gru(2, 3, {.num_layers = 2, .bidirectional = true}, gen);
    gru.to(f64);
    const Tensor x_data = randn({B, T, 2}, 0, 1, f64, gen);
    // Large values in the padding: they must not reach any result.
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = lengths[b]; t < T; ++t) copy_(x_data.select(0, b).select(0, t), full({2}, 7.0, f64));
    const Var x(x_data);
    const Var h0(randn({4, B, 3}, 0, 1, f64, gen));
    const nn::GRUOutput out = gru(x, h0, lengths);

    for (std::int64_t b = 0; b < B; ++b) {
        INFO("sequence ", b);
        const std::int64_t len = lengths[b];
        const nn::GRUOutput alone = gru(x.narrow(0, b, 1).narrow(1, 0, len), h0.narrow(1, b, 1));
        check_close(out.output.narrow(0, b, 1).narrow(1, 0, len), alone.output);
        check_close(out.h_n.narrow(1, b, 1), alone.h_n);
        if (len < T) check_all_zero(out.output.narrow(0, b, 1).narrow(1, len, T - len));
    }

    // The same lengths as an int64 tensor.
    const nn::GRUOutput from_tensor = gru(x, h0, from_vector(lengths, {B}));
    check_close(from_tensor.output, out.output, 0);
    check_close(from_tensor.h_n, out.h_n, 0);
}

TEST_CASE("GRU with lengths gives padded steps no gradient") {
    Generator gen(7);
    nn::GRU gru(2, 3, {.bidirectional = true}, gen);
    const Var x(randn({2, 3, 2}, 0, 1, DType::Float32, gen), true);
    sum(gru(x, Var(), {3, 1}).output).backward();
    check_all_zero(Var(x.grad().select(0, 1).narrow(0, 1, 2)));
    CHECK(sum(abs(x.grad().select(0, 1).select(0, 0))).item() > 0);
}

TEST_CASE("GRU sequence of length 0 outputs zeros and keeps its initial state") {
    Generator gen(8);
    nn::GRU gru(2, 3, {.bidirectional = true}, gen);
    gru.to(f64);
    const Var x(randn({2, 3, 2}, 0, 1, f64, gen));
    const Var h0(randn({2, 2, 3}, 0, 1, f64, gen));
    const nn::GRUOutput out = gru(x, h0, {3, 0});
    check_all_zero(out.output.select(0, 1));
    check_close(out.h_n.select(1, 1), h0.select(1, 1), 0);
}

TEST_CASE("LSTM over a sequence equals LSTMCell applied step by step, also with lengths") {
    Generator gen(9);
    const std::int64_t B = 2, T = 4;
    nn::LSTM lstm(2, 3, {.bidirectional = true}, gen);
    lstm.to(f64);
    const Var x(randn({B, T, 2}, 0, 1, f64, gen));
    const Var h0(randn({2, B, 3}, 0, 1, f64, gen)), c0(randn({2, B, 3}, 0, 1, f64, gen));
    const nn::LSTMOutput out = lstm(x, {h0, c0});
    REQUIRE(shape_str(out.output.shape()) == "(2, 4, 6)");
    REQUIRE(shape_str(out.c_n.shape()) == "(2, 2, 3)");

    for (const bool reverse : {false, true}) {
        INFO("reverse ", reverse);
        const nn::rnn::Weights& w = lstm.weights(0, reverse);
        nn::LSTMCell cell(2, 3);
        cell.weight_ih = w.weight_ih, cell.weight_hh = w.weight_hh, cell.bias_ih = w.bias_ih, cell.bias_hh = w.bias_hh;
        const std::int64_t d = reverse ? 1 : 0;
        nn::LSTMState s{h0.select(0, d), c0.select(0, d)};
        for (std::int64_t k = 0; k < T; ++k) {
            const std::int64_t t = reverse ? T - 1 - k : k;
            s = cell(x.select(1, t), s);
            check_close(out.output.select(1, t).narrow(1, 3 * d, 3), s.h);
        }
        check_close(out.h_n.select(0, d), s.h);
        check_close(out.c_n.select(0, d), s.c);
    }

    const std::vector<std::int64_t> lengths = {4, 2};
    const nn::LSTMOutput padded = lstm(x, {h0, c0}, lengths);
    const nn::LSTMOutput alone = lstm(x.narrow(0, 1, 1).narrow(1, 0, 2), {h0.narrow(1, 1, 1), c0.narrow(1, 1, 1)});
    check_close(padded.output.narrow(0, 1, 1).narrow(1, 0, 2), alone.output);
    check_close(padded.h_n.narrow(1, 1, 1), alone.h_n);
    check_close(padded.c_n.narrow(1, 1, 1), alone.c_n);
    check_all_zero(padded.output.select(0, 1).narrow(0, 2, 2));
}

TEST_CASE("recurrent parameters have PyTorch's names, order and shapes") {
    nn::GRU gru(2, 3, {.num_layers = 2, .bidirectional = true});
    const std::vector<std::string> expected = {
        "weight_ih_l0 (9, 2)",         "weight_hh_l0 (9, 3)",         "bias_ih_l0 (9)",
        "bias_hh_l0 (9)",              "weight_ih_l0_reverse (9, 2)", "weight_hh_l0_reverse (9, 3)",
        "bias_ih_l0_reverse (9)",      "bias_hh_l0_reverse (9)",      "weight_ih_l1 (9, 6)",
        "weight_hh_l1 (9, 3)",         "bias_ih_l1 (9)",              "bias_hh_l1 (9)",
        "weight_ih_l1_reverse (9, 6)", "weight_hh_l1_reverse (9, 3)", "bias_ih_l1_reverse (9)",
        "bias_hh_l1_reverse (9)"};
    std::vector<std::string> got;
    for (const auto& [name, p] : gru.named_parameters()) got.push_back(name + " " + shape_str(p.shape()));
    CHECK(got == expected);
    CHECK(gru.describe() == "in=2, hidden=3, layers=2, bidirectional");

    nn::LSTM lstm(5, 4);
    got.clear();
    for (const auto& [name, p] : lstm.named_parameters()) got.push_back(name + " " + shape_str(p.shape()));
    CHECK(got == std::vector<std::string>{"weight_ih_l0 (16, 5)", "weight_hh_l0 (16, 4)", "bias_ih_l0 (16)",
                                          "bias_hh_l0 (16)"});

    nn::GRUCell cell(2, 3);
    got.clear();
    for (const auto& [name, p] : cell.named_parameters()) got.push_back(name + " " + shape_str(p.shape()));
    CHECK(got == std::vector<std::string>{"weight_ih (9, 2)", "weight_hh (9, 3)", "bias_ih (9)", "bias_hh (9)"});
    CHECK(nn::GRUCell(2, 3, {.bias = false}).num_parameters() == 9 * 2 + 9 * 3);
    CHECK(nn::LSTMCell(2, 3, {.bias = false}).num_parameters() == 12 * 2 + 12 * 3);
}

TEST_CASE("recurrent weights are drawn from U(-1/sqrt(H), 1/sqrt(H)) in parameter order") {
    Generator gen(10);
    nn::GRU gru(3, 4, {.bidirectional = true}, gen);  // bound 1/sqrt(4) = 0.5
    // The same draws, made directly in PyTorch's parameter order.
    Generator again(10);
    for (const auto& named : gru.named_parameters()) {
        INFO(named.first);
        const Var& p = named.second;
        const Tensor expected = rand(p.shape(), -0.5, 0.5, DType::Float32, again);
        CHECK(equal(p.data(), expected));
        CHECK(p.requires_grad());
    }
    double largest = 0;
    for (const Var& p : gru.parameters()) largest = std::max(largest, max(abs(p.data())).item());
    CHECK(largest < 0.5);
    CHECK(largest > 0.4);
}

TEST_CASE("GRUCell and LSTMCell gradients match finite differences") {
    Generator gen(11);
    nn::GRUCell gru_cell(2, 3, gen);
    gru_cell.to(f64);
    check_module_gradients(
        "GRUCell", gru_cell,
        [&](const std::vector<Var>& v) {
            return gru_cell(v[0], v[1]);
        },
        {randn({2, 2}, 0, 1, f64, gen), randn({2, 3}, 0, 1, f64, gen)});

    nn::LSTMCell lstm_cell(2, 3, gen);
    lstm_cell.to(f64);
    check_module_gradients(
        "LSTMCell", lstm_cell,
        [&](const std::vector<Var>& v) {
            const nn::LSTMState s = lstm_cell(v[0], {v[1], v[2]});
            return concat({s.h, s.c}, 1);
        },
        {randn({2, 2}, 0, 1, f64, gen), randn({2, 3}, 0, 1, f64, gen), randn({2, 3}, 0, 1, f64, gen)});
}

TEST_CASE("2-layer bidirectional GRU and LSTM gradients with lengths match finite differences") {
    Generator gen(12);
    const std::vector<std::int64_t> lengths = {3, 2};
    nn::GRU gru(2, 2, {.num_layers = 2, .bidirectional = true}, gen);
    gru.to(f64);
    check_module_gradients(
        "2-layer bidirectional GRU", gru,
        [&](const std::vector<Var>& v) {
            const nn::GRUOutput out = gru(v[0], v[1], lengths);
            return concat({out.output.flatten(), out.h_n.flatten()}, 0);
        },
        {randn({2, 3, 2}, 0, 1, f64, gen), randn({4, 2, 2}, 0, 1, f64, gen)});

    nn::LSTM lstm(2, 2, {.bidirectional = true}, gen);
    lstm.to(f64);
    check_module_gradients(
        "bidirectional LSTM", lstm,
        [&](const std::vector<Var>& v) {
            const nn::LSTMOutput out = lstm(v[0], {v[1], v[2]}, lengths);
            return concat({out.output.flatten(), out.h_n.flatten(), out.c_n.flatten()}, 0);
        },
        {randn({2, 3, 2}, 0, 1, f64, gen), randn({2, 2, 2}, 0, 1, f64, gen), randn({2, 2, 2}, 0, 1, f64, gen)});
}

TEST_CASE("recurrent layers reject bad shapes, lengths and dtypes with clear errors") {
    nn::GRUCell gru_cell(2, 3);
    CHECK_THROWS_WITH_AS(gru_cell(Var(zeros({1, 4}))), doctest::Contains("GRUCell: input (1, 4) should be (B, 2)"),
                         Error);
    CHECK_THROWS_WITH_AS(gru_cell(Var(zeros({2, 2})), Var(zeros({2, 4}))),
                         doctest::Contains("GRUCell: hidden state (2, 4) should be (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(gru_cell(Var(zeros({1, 2}, f64))),
                         doctest::Contains("GRUCell: input is float64 but the parameters are float32"), Error);
    CHECK_THROWS_WITH_AS(nn::GRUCell(2, 0), doctest::Contains("GRUCell: input_size and hidden_size must be >= 1"),
                         Error);

    nn::LSTMCell lstm_cell(2, 3);
    CHECK_THROWS_WITH_AS(lstm_cell(Var(zeros({2, 2})), {Var(), Var(zeros({3, 3}))}),
                         doctest::Contains("LSTMCell: cell state c (3, 3) should be (2, 3)"), Error);

    nn::GRU gru(2, 3, {.num_layers = 2, .bidirectional = true});
    CHECK_THROWS_WITH_AS(gru(Var(zeros({4, 2}))), doctest::Contains("GRU: input (4, 2) should be (B, T, 2)"), Error);
    CHECK_THROWS_WITH_AS(gru(Var(zeros({2, 5, 3}))), doctest::Contains("GRU: input (2, 5, 3) should be (B, T, 2)"),
                         Error);
    CHECK_THROWS_WITH_AS(gru(Var(zeros({2, 0, 2}))), doctest::Contains("has no time steps"), Error);
    CHECK_THROWS_WITH_AS(gru(Var(zeros({2, 5, 2})), Var(zeros({2, 2, 3}))),
                         doctest::Contains("GRU: initial state (2, 2, 3) should be (4, 2, 3)"), Error);
    CHECK_THROWS_WITH_AS(gru(Var(zeros({2, 5, 2})), Var(), {5}), doctest::Contains("GRU: 1 lengths for a batch of 2"),
                         Error);
    CHECK_THROWS_WITH_AS(gru(Var(zeros({2, 5, 2})), Var(), {5, 6}), doctest::Contains("GRU: length 6 outside [0, 5]"),
                         Error);
    CHECK_THROWS_WITH_AS(gru(Var(zeros({2, 5, 2})), Var(), {5, -1}), doctest::Contains("length -1 outside"), Error);
    CHECK_THROWS_WITH_AS(gru.forward(Var(zeros({2, 5, 2})), Var(), tensor({5, 2})),
                         doctest::Contains("GRU: lengths should be a 1-d int64 tensor, got float32 (2)"), Error);
    CHECK_THROWS_WITH_AS(gru.weights(2), doctest::Contains("GRU: layer 2 out of range for 2 layers"), Error);
    CHECK_THROWS_WITH_AS(nn::GRU(2, 3, {.num_layers = 0}),
                         doctest::Contains("GRU: input_size, hidden_size and num_layers must be >= 1, got 2, 3 and 0"),
                         Error);

    nn::LSTM lstm(2, 3, {.batch_first = false});
    CHECK_THROWS_WITH_AS(lstm(Var(zeros({5, 2, 4}))),
                         doctest::Contains("LSTM: input (5, 2, 4) should be (T, B, 2) (batch_first is false)"), Error);
    CHECK_THROWS_WITH_AS(lstm(Var(zeros({5, 2, 2})), {Var(), Var(zeros({1, 3, 3}))}),
                         doctest::Contains("LSTM: initial state (1, 3, 3) should be (1, 2, 3)"), Error);
    CHECK_THROWS_WITH_AS(lstm.weights(0, true), doctest::Contains("LSTM: no reverse direction"), Error);
}

TEST_CASE("GRUCell::gates returns the state forward() computes and the gates of the equations") {
    const std::vector<double> w_ih = values(3 * H * I, 0.1), w_hh = values(3 * H * H, 0.2),
                              b_ih = values(3 * H, 0.3), b_hh = values(3 * H, 0.4);
    const std::vector<double> x = {0.5, -1.0}, h = {0.2, -0.3, 0.4};
    nn::GRUCell cell(I, H);
    cell.weight_ih = f64_var(w_ih, {3 * H, I});
    cell.weight_hh = f64_var(w_hh, {3 * H, H});
    cell.bias_ih = f64_var(b_ih, {3 * H});
    cell.bias_hh = f64_var(b_hh, {3 * H});
    const nn::GRUGates g = cell.gates(f64_var(x, {1, I}), f64_var(h, {1, H}));
    check_close(g.h, cell(f64_var(x, {1, I}), f64_var(h, {1, H})), 0);
    std::vector<double> r(H), z(H), n(H);
    for (std::int64_t j = 0; j < H; ++j) {
        auto row = [&](const std::vector<double>& w, const std::vector<double>& b, const std::vector<double>& v,
                       std::int64_t k, std::int64_t width) {
            double s = b[k];
            for (std::int64_t c = 0; c < width; ++c) s += w[k * width + c] * v[c];
            return s;
        };
        r[j] = sigmoid_d(row(w_ih, b_ih, x, j, I) + row(w_hh, b_hh, h, j, H));
        z[j] = sigmoid_d(row(w_ih, b_ih, x, H + j, I) + row(w_hh, b_hh, h, H + j, H));
        n[j] = std::tanh(row(w_ih, b_ih, x, 2 * H + j, I) + r[j] * row(w_hh, b_hh, h, 2 * H + j, H));
    }
    check_close(g.r, f64_var(r, {1, H}));
    check_close(g.z, f64_var(z, {1, H}));
    check_close(g.n, f64_var(n, {1, H}));
}

TEST_CASE("RNNCell matches tanh(W_ih x + b_ih + W_hh h + b_hh) evaluated by hand") {
    const std::vector<double> w_ih = values(H * I, 0.7), w_hh = values(H * H, 0.8), b_ih = values(H, 0.9),
                              b_hh = values(H, 1.0);
    const std::vector<double> x = {0.5, -1.0}, h = {0.2, -0.3, 0.4};
    nn::RNNCell cell(I, H);
    cell.weight_ih = f64_var(w_ih, {H, I});
    cell.weight_hh = f64_var(w_hh, {H, H});
    cell.bias_ih = f64_var(b_ih, {H});
    cell.bias_hh = f64_var(b_hh, {H});
    std::vector<double> expected(H);
    for (std::int64_t j = 0; j < H; ++j) {
        double s = b_ih[j] + b_hh[j];
        for (std::int64_t k = 0; k < I; ++k) s += w_ih[j * I + k] * x[k];
        for (std::int64_t k = 0; k < H; ++k) s += w_hh[j * H + k] * h[k];
        expected[j] = std::tanh(s);
    }
    check_close(cell(f64_var(x, {1, I}), f64_var(h, {1, H})), f64_var(expected, {1, H}));
    check_close(cell(f64_var(x, {1, I})), cell(f64_var(x, {1, I}), f64_var({0, 0, 0}, {1, H})));
    CHECK(cell.named_parameters().size() == 4);
    CHECK_THROWS_WITH_AS(cell(f64_var({1, 2, 3}, {1, 3})), doctest::Contains("RNNCell"), Error);
}

TEST_CASE("RNNCell gradients match finite differences") {
    Generator gen(13);
    nn::RNNCell cell(2, 3, gen);
    cell.to(f64);
    check_module_gradients(
        "RNNCell", cell,
        [&](const std::vector<Var>& v) {
            return cell(v[0], v[1]);
        },
        {randn({2, 2}, 0, 1, f64, gen), randn({2, 3}, 0, 1, f64, gen)});
}

}  // TEST_SUITE
