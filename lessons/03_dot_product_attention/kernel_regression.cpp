#include "lessons/03_dot_product_attention/kernel_regression.hpp"

#include <algorithm>
#include <cmath>

#include "nn/attention/additive.hpp"
#include "nn/losses.hpp"
#include "nn/optim/adam.hpp"

namespace qkv::lesson03 {

namespace {

constexpr DType f64 = DType::Float64;

Tensor column(const std::vector<double>& xs) {
    return from_vector(xs).reshape({static_cast<std::int64_t>(xs.size()), 1});
}

// n points x uniform in [0, 5), y = target + noise, in the generator's order (sorted if asked).
void draw(Generator& gen, std::int64_t n, double noise, bool sorted, std::vector<double>& xs, std::vector<double>& ys) {
    xs.clear();
    ys.clear();
    for (std::int64_t i = 0; i < n; ++i) xs.push_back(5.0 * gen.uniform());
    if (sorted) std::sort(xs.begin(), xs.end());
    for (double x : xs) ys.push_back(kernel_target(x) + noise * gen.normal());
}

// n evenly spaced points over [0, 5], both ends included.
std::vector<double> even_grid(std::int64_t n) {
    std::vector<double> xs;
    for (std::int64_t i = 0; i < n; ++i) xs.push_back(5.0 * static_cast<double>(i) / static_cast<double>(n - 1));
    return xs;
}

double mse(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
    return s / static_cast<double>(a.size());
}

}  // namespace

double kernel_target(double x) { return 2.0 * std::sin(x) + x; }

nn::AttentionOutput kernel_attention(const Var& queries, const Tensor& train_x, const Tensor& train_y,
                                     const Var& log_width, const Tensor& mask) {
    const std::int64_t n = train_x.numel();
    const Var diff = queries.reshape({-1, 1}) - Var(train_x.reshape({1, n}));  // (Nq, N): x - x_i
    // -(x - x_i)^2 / (2 sigma^2), with 1 / sigma^2 = exp(-2 log sigma)
    const Var scores = -(diff * diff) * (0.5 * exp(log_width * -2.0));          // (Nq, N)
    return nn::attend(scores, Var(train_y.reshape({n, 1})), mask);              // weights (Nq, N), output (Nq, 1)
}

namespace {

// Predictions at `xs` from all training points, at log sigma `log_width`.
std::vector<double> predict(const std::vector<double>& xs, const Tensor& tx, const Tensor& ty, const Var& log_width) {
    NoGradGuard no_grad;
    return kernel_attention(Var(from_vector(xs)), tx, ty, log_width).output.data().to_vector<double>();
}

WidthResult evaluate(double width, const std::vector<double>& grid, const std::vector<double>& vx,
                     const std::vector<double>& vy, const Tensor& tx, const Tensor& ty) {
    const Var log_width(scalar(std::log(width), f64));
    return {width, mse(predict(vx, tx, ty, log_width), vy), predict(grid, tx, ty, log_width)};
}

}  // namespace

KernelResult kernel_regression(const KernelConfig& config, const std::function<void(std::int64_t, double)>& on_step) {
    Generator gen(config.seed);
    KernelResult r;
    std::vector<double> vx, vy;
    draw(gen, config.train_points, config.noise, true, r.train_x, r.train_y);
    draw(gen, config.valid_points, config.noise, false, vx, vy);
    r.grid_x = even_grid(config.grid_points);
    for (double x : r.grid_x) r.grid_truth.push_back(kernel_target(x));
    r.weight_x = even_grid(config.weight_rows);
    const Tensor tx = from_vector(r.train_x), ty = from_vector(r.train_y);

    double mean_y = 0;
    for (double y : r.train_y) mean_y += y / static_cast<double>(r.train_y.size());
    r.mean_valid_mse = mse(std::vector<double>(vy.size(), mean_y), vy);
    for (double w : config.fixed_widths) r.fixed.push_back(evaluate(w, r.grid_x, vx, vy, tx, ty));

    // Learn log sigma, leave-one-out: the diagonal mask hides each point from its own prediction.
    const Var log_width(full({1}, std::log(config.initial_width), f64), true);
    nn::Adam optimizer({log_width}, config.lr);
    const Tensor self = eye(config.train_points, -1, DType::Bool);  // (N, N)
    const Var queries(tx);
    const Tensor targets = column(r.train_y);
    for (std::int64_t step = 1; step <= config.steps; ++step) {
        optimizer.zero_grad();
        const Var loss = nn::mse_loss(kernel_attention(queries, tx, ty, log_width, self).output, targets);
        loss.backward();
        optimizer.step();
        r.train_loss.push_back(loss.item());
        if (on_step) on_step(step, loss.item());
    }
    const double width = std::exp(log_width.item());
    r.learned = evaluate(width, r.grid_x, vx, vy, tx, ty);
    NoGradGuard no_grad;
    r.grid_weights = kernel_attention(Var(from_vector(r.weight_x)), tx, ty, log_width).weights.data();
    return r;
}

}  // namespace qkv::lesson03
