#include "lessons/02_autograd/fit.hpp"

#include <cmath>

#include "nn/losses.hpp"
#include "nn/optim/adam.hpp"

namespace qkv::lesson02 {

Mlp::Mlp(std::int64_t width, Generator& gen) : hidden(1, width, true, gen), out(width, 1, true, gen) {}

Var Mlp::forward(const Var& x) {
    return out.forward(tanh(hidden.forward(x)));  // (N, 1) -> (N, H) -> (N, H) -> (N, 1)
}

std::vector<Var> Mlp::parameters() { return {hidden.weight, hidden.bias, out.weight, out.bias}; }

namespace {

// (N, 1) column of x, and sin(x) beside it, in float32.
Tensor column(const std::vector<double>& xs) {
    return from_vector(xs).to(DType::Float32).reshape({static_cast<std::int64_t>(xs.size()), 1});
}
std::vector<double> sines(const std::vector<double>& xs) {
    std::vector<double> ys;
    for (double x : xs) ys.push_back(std::sin(x));
    return ys;
}

}  // namespace

FitResult fit_sine(const FitConfig& config, const std::function<void(std::int64_t, double)>& on_step) {
    // One generator drives both the data and the initial weights, so the seed fixes the run.
    Generator gen(config.seed);
    std::vector<double> train_x;
    for (std::int64_t i = 0; i < config.train_points; ++i) train_x.push_back(-3.0 + 6.0 * gen.uniform());
    const Tensor x = column(train_x);          // (N, 1)
    const Tensor y = column(sines(train_x));   // (N, 1)

    Mlp model(config.hidden, gen);
    nn::Adam optimizer(model.parameters(), config.lr);
    FitResult result;
    const Var input(x);  // data, not a parameter: no gradient
    for (std::int64_t step = 1; step <= config.steps; ++step) {
        optimizer.zero_grad();
        const Var loss = nn::mse_loss(model.forward(input), y);
        loss.backward();
        optimizer.step();
        result.train_loss.push_back(loss.item());
        if (on_step) on_step(step, loss.item());
    }

    NoGradGuard no_grad;  // evaluation: no graph needed
    result.final_train_mse = nn::mse_loss(model.forward(input), y).item();
    for (std::int64_t i = 0; i < config.test_points; ++i)
        result.grid_x.push_back(-3.0 + 6.0 * static_cast<double>(i) / static_cast<double>(config.test_points - 1));
    result.grid_sin = sines(result.grid_x);
    const Var pred = model.forward(Var(column(result.grid_x)));
    result.test_mse = nn::mse_loss(pred, column(result.grid_sin)).item();
    result.grid_pred = pred.data().to(DType::Float64).to_vector<double>();
    return result;
}

}  // namespace qkv::lesson02
