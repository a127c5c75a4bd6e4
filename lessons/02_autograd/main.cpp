// Lesson 02: reverse-mode automatic differentiation (自动微分), read off the real engine.
//
//   1. a small expression, its computational graph (计算图) in topological order, backward
//   2. NoGradGuard: the same op without a graph
//   3. gradcheck on an op you write yourself (softplus), and on a wrong version of it
//   4. the engine at work: an MLP fitted to sin(x) with Adam
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "lessons/02_autograd/expression.hpp"
#include "lessons/02_autograd/fit.hpp"
#include "lessons/02_autograd/softplus.hpp"
#include "lessons/common/cli.hpp"
#include "nn/plot/line_chart.hpp"
#include "nn/progress.hpp"

using namespace qkv;
using namespace qkv::lesson02;

namespace {

void show_expression() {
    std::cout << "== 1. The graph of e = (a*b + c) * tanh(a), a = 0.8, b = -1.5, c = 2 ==\n";
    const Expression ex = build_expression(0.8, -1.5, 2.0);
    std::cout << "forward: each op records a Node (op name, inputs); topological_order(e):\n"
              << format_graph(graph_lines(ex), false);
    ex.e.backward();
    std::cout << "after e.backward() (intermediates kept their grad via retain_grad()):\n"
              << format_graph(graph_lines(ex), true);
    // a feeds two ops, so two gradients flow into it and the engine sums them.
    const double t = ex.t.item(), d = ex.d.item(), b = ex.b.item();
    std::printf("a is used twice: de/da = b*t (through ab) + d*(1 - t^2) (through t) = %.6f + %.6f = %.6f\n\n",
                b * t, d * (1 - t * t), ex.a.grad().item());

    const NoGradDemo ng = no_grad_demo(ex);
    std::cout << "== 2. NoGradGuard ==\n"
              << "a*b normally:          requires_grad " << std::boolalpha << ng.with_grad_requires_grad
              << ", op_name " << ng.with_grad_op << "\n"
              << "a*b under NoGradGuard: requires_grad " << ng.no_grad_requires_grad << ", op_name "
              << ng.no_grad_op << " (a constant: no Node, nothing saved for backward)\n\n";
}

void show_gradcheck(std::uint64_t seed) {
    std::cout << "== 3. gradcheck on a custom op: softplus(x) = log(1 + exp(x)) ==\n";
    const GradcheckResult good = check_softplus(seed);
    std::cout << "softplus, backward g * sigmoid(x):        " << (good ? "PASS" : "FAIL") << "\n";
    if (!good) std::cout << good.message << "\n";
    const GradcheckResult bad = check_softplus_wrong(seed);
    std::cout << "softplus_wrong, backward g * sigmoid(-x): " << (bad ? "PASS" : "FAIL") << " ("
              << bad.failures << " of 6 elements wrong)\n";
    if (!bad) std::cout << "  " << bad.message << "\n";
    std::cout << "\n";
}

void show_fit(const lesson::LessonArgs& args) {
    FitConfig config;
    config.seed = args.seed;
    config.steps = args.quick ? std::min<std::int64_t>(args.steps, 150) : args.steps;
    std::cout << "== 4. An MLP 1 -> " << config.hidden << " (tanh) -> 1 fitted to sin(x) on [-3, 3], "
              << config.train_points << " points, Adam lr " << config.lr << " ==\n";
    FitResult r;
    {
        nn::Progress progress(config.steps, "train", std::cout);
        r = fit_sine(config, [&](std::int64_t step, double loss) { progress.update(step, {{"mse", loss}}); });
    }
    std::printf("train MSE after %lld steps: %.3e\nheld-out MSE (%lld-point grid over [-3, 3]): %.3e\n",
                static_cast<long long>(config.steps), r.final_train_mse, static_cast<long long>(config.test_points),
                r.test_mse);

    std::vector<double> steps;
    for (std::size_t i = 1; i <= r.train_loss.size(); ++i) steps.push_back(static_cast<double>(i));
    nn::ChartOptions loss_opts;
    loss_opts.title = "MLP fitting sin(x): training loss";
    loss_opts.x_label = "step";
    loss_opts.y_label = "MSE";
    loss_opts.log_y = true;
    const std::string loss_path = lesson::out_path(args, "loss_curve.svg");
    nn::write_line_chart_svg(loss_path, {{"train MSE", steps, r.train_loss}}, loss_opts);

    nn::ChartOptions fit_opts;
    fit_opts.title = "sin(x) and the trained MLP on the held-out grid";
    fit_opts.x_label = "x";
    fit_opts.y_label = "y";
    const std::string fit_path = lesson::out_path(args, "sine_fit.svg");
    nn::write_line_chart_svg(fit_path, {{"sin(x)", r.grid_x, r.grid_sin}, {"MLP", r.grid_x, r.grid_pred}}, fit_opts);
    std::cout << "wrote " << loss_path << "\nwrote " << fit_path << "\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const lesson::LessonArgs args = lesson::parse_lesson_args(
        argc, argv, {"02_autograd", "reverse-mode autograd: a graph, its gradients, gradcheck, an MLP fit", 1500, {}});
    if (!args.ok) return args.exit_code;
    std::cout << "Lesson 02: how reverse-mode autograd computes gradients (seed " << args.seed << ")\n\n";
    show_expression();
    show_gradcheck(args.seed);
    show_fit(args);
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
