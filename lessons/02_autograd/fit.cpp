#include "lessons/02_autograd/fit.hpp"

#include <cmath>
#include <memory>

#include "nn/losses.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"

namespace qkv::lesson02 {

Mlp::Mlp(std::int64_t width, Generator& gen) : hidden(1, width, gen), out(width, 1, gen) {}

Var Mlp::forward(const Var& x) {
    return out.forward(tanh(hidden.forward(x)));  // (N, 1) -> (N, H) -> (N, H) -> (N, 1)
}

std::vector<Var> Mlp::parameters() { return {hidden.weight, hidden.bias, out.weight, out.bias}; }

const char* optimizer_name(FitOptimizer o) {
    switch (o) {
        case FitOptimizer::Adam: return "Adam";
        case FitOptimizer::SGD: return "SGD";
        case FitOptimizer::Momentum: return "SGD+momentum 0.9";
        case FitOptimizer::AdamW: return "AdamW";
    }
    return "?";
}

namespace {

std::unique_ptr<nn::Optimizer> make_optimizer(const FitConfig& c, const std::vector<Var>& params) {
    switch (c.optimizer) {
        case FitOptimizer::SGD: return std::make_unique<nn::SGD>(params, c.lr);
        case FitOptimizer::Momentum: return std::make_unique<nn::SGD>(params, c.lr, 0.9);
        case FitOptimizer::AdamW:
            return std::make_unique<nn::AdamW>(params, c.lr, std::pair{0.9, 0.999}, 1e-8, c.weight_decay);
        case FitOptimizer::Adam: break;
    }
    return std::make_unique<nn::Adam>(params, c.lr);
}

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
    const std::unique_ptr<nn::Optimizer> optimizer = make_optimizer(config, model.parameters());
    FitResult result;
    const Var input(x);  // data, not a parameter: no gradient
    for (std::int64_t step = 1; step <= config.steps; ++step) {
        optimizer->zero_grad();
        const Var loss = nn::mse_loss(model.forward(input), y);
        loss.backward();
        optimizer->step();
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
    for (const Var& w : {model.hidden.weight, model.out.weight})
        result.weight_norm += sum(w.data().to(DType::Float64) * w.data().to(DType::Float64)).item();
    result.weight_norm = std::sqrt(result.weight_norm);
    return result;
}

}  // namespace qkv::lesson02
