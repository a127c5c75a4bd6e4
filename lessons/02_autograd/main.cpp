// Lesson 02: reverse-mode automatic differentiation (自动微分), read off the real engine.
//
//   1. a small expression, its computational graph (计算图) in topological order, backward
//   2. NoGradGuard: the same op without a graph
//   3. gradcheck on an op you write yourself (softplus), and on a wrong version of it
//   4. the engine at work: an MLP fitted to sin(x) with Adam
//   5. why Adam: the same fit with SGD, SGD with momentum, Adam and AdamW
#include <algorithm>
#include <cstdio>
#include <iostream>

#include "lessons/02_autograd/expression.hpp"
#include "lessons/02_autograd/fit.hpp"
#include "lessons/02_autograd/softplus.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/progress.hpp"

using namespace qkv;
using namespace qkv::lesson02;

namespace {

void show_expression() {
    std::cout << lesson::tr("== 1. The graph of e = (a*b + c) * tanh(a), a = 0.8, b = -1.5, c = 2 ==\n",
                            "== 1. e = (a*b + c) * tanh(a) 的计算图,a = 0.8, b = -1.5, c = 2 ==\n");
    const Expression ex = build_expression(0.8, -1.5, 2.0);
    std::cout << lesson::tr("forward: each op records a Node (op name, inputs); topological_order(e):\n",
                            "前向:每个算子记录一个 Node(算子名、输入);topological_order(e):\n")
              << format_graph(graph_lines(ex), false);
    ex.e.backward();
    std::cout << lesson::tr("after e.backward() (intermediates kept their grad via retain_grad()):\n",
                            "e.backward() 之后(中间节点通过 retain_grad() 保留了梯度):\n")
              << format_graph(graph_lines(ex), true);
    // a feeds two ops, so two gradients flow into it and the engine sums them.
    const double t = ex.t.item(), d = ex.d.item(), b = ex.b.item();
    std::printf(lesson::tr("a is used twice: de/da = b*t (through ab) + d*(1 - t^2) (through t) = %.6f + %.6f = %.6f\n\n",
                           "a 被用了两次:de/da = b*t(经 ab)+ d*(1 - t^2)(经 t)= %.6f + %.6f = %.6f\n\n"),
                b * t, d * (1 - t * t), ex.a.grad().item());

    const NoGradDemo ng = no_grad_demo(ex);
    std::cout << lesson::tr("== 2. NoGradGuard ==\n", "== 2. NoGradGuard(不求梯度) ==\n")
              << "a*b normally:          requires_grad " << std::boolalpha << ng.with_grad_requires_grad
              << ", op_name " << ng.with_grad_op << "\n"
              << "a*b under NoGradGuard: requires_grad " << ng.no_grad_requires_grad << ", op_name "
              << ng.no_grad_op
              << lesson::tr(" (a constant: no Node, nothing saved for backward)\n\n", "(一个常量:没有 Node,不为反向传播保存任何东西)\n\n");
}

void show_gradcheck(std::uint64_t seed) {
    std::cout << lesson::tr("== 3. gradcheck on a custom op: softplus(x) = log(1 + exp(x)) ==\n",
                            "== 3. 对自定义算子做梯度检验:softplus(x) = log(1 + exp(x)) ==\n");
    const GradcheckResult good = check_softplus(seed);
    std::cout << "softplus, backward g * sigmoid(x):        " << (good ? "PASS" : "FAIL") << "\n";
    if (!good) std::cout << good.message << "\n";
    const GradcheckResult bad = check_softplus_wrong(seed);
    std::cout << "softplus_wrong, backward g * sigmoid(-x): " << (bad ? "PASS" : "FAIL") << " ("
              << bad.failures << lesson::tr(" of 6 elements wrong)\n", " / 6 个元素出错)\n");
    if (!bad) std::cout << "  " << bad.message << "\n";
    std::cout << "\n";
}

void show_fit(const lesson::LessonArgs& args) {
    FitConfig config;
    config.seed = args.seed;
    config.steps = args.quick ? std::min<std::int64_t>(args.steps, 150) : args.steps;
    std::cout << lesson::tr("== 4. An MLP 1 -> ", "== 4. 用 MLP 1 -> ") << config.hidden
              << lesson::tr(" (tanh) -> 1 fitted to sin(x) on [-3, 3], ", " (tanh) -> 1 拟合 [-3, 3] 上的 sin(x),")
              << config.train_points << lesson::tr(" points, Adam lr ", " 个点,Adam 学习率 ") << config.lr << " ==\n";
    FitResult r;
    {
        lesson::Progress progress(config.steps, "train", std::cout);
        r = fit_sine(config, [&](std::int64_t step, double loss) { progress.update(step, {{"mse", loss}}); });
    }
    std::printf(lesson::tr("train MSE after %lld steps: %.3e\nheld-out MSE (%lld-point grid over [-3, 3]): %.3e\n",
                           "%lld 步后的训练 MSE:%.3e\n留出 MSE([-3, 3] 上 %lld 个点的网格):%.3e\n"),
                static_cast<long long>(config.steps), r.final_train_mse, static_cast<long long>(config.test_points),
                r.test_mse);

    std::vector<double> steps;
    for (std::size_t i = 1; i <= r.train_loss.size(); ++i) steps.push_back(static_cast<double>(i));
    lesson::ChartOptions loss_opts;
    loss_opts.title = "MLP fitting sin(x): training loss";
    loss_opts.x_label = "step";
    loss_opts.y_label = "MSE";
    loss_opts.log_y = true;
    const std::string loss_path = lesson::out_path(args, "loss_curve.svg");
    lesson::write_line_chart_svg(loss_path, {{"train MSE", steps, r.train_loss}}, loss_opts);

    lesson::ChartOptions fit_opts;
    fit_opts.title = "sin(x) and the trained MLP on the held-out grid";
    fit_opts.x_label = "x";
    fit_opts.y_label = "y";
    const std::string fit_path = lesson::out_path(args, "sine_fit.svg");
    lesson::write_line_chart_svg(fit_path, {{"sin(x)", r.grid_x, r.grid_sin}, {"MLP", r.grid_x, r.grid_pred}}, fit_opts);
    std::cout << "wrote " << loss_path << "\nwrote " << fit_path << "\n";
}

void compare_optimizers(const lesson::LessonArgs& args) {
    struct Arm {
        FitOptimizer optimizer;
        double lr, weight_decay;
    };
    const Arm arms[] = {{FitOptimizer::SGD, 0.1, 0},
                        {FitOptimizer::Momentum, 0.01, 0},
                        {FitOptimizer::Adam, 0.01, 0},
                        {FitOptimizer::AdamW, 0.01, 0.1}};
    const std::int64_t steps = args.quick ? std::min<std::int64_t>(args.steps, 150) : args.steps;
    std::cout << lesson::tr("\n== 5. Why Adam: the same fit, seed and ", "\n== 5. 为什么用 Adam:同样的拟合、种子和 ") << steps
              << lesson::tr(" steps with four optimisers ==\n", " 步,换四种优化器 ==\n");
    std::printf("%-24s %6s %12s %14s %8s\n", "optimizer", "lr", "train MSE", "held-out MSE", "|W|");
    std::vector<lesson::Series> curves;
    for (const Arm& arm : arms) {
        FitConfig config;
        config.seed = args.seed;
        config.steps = steps;
        config.optimizer = arm.optimizer, config.lr = arm.lr, config.weight_decay = arm.weight_decay;
        const FitResult r = fit_sine(config);
        std::string name = optimizer_name(arm.optimizer);
        if (arm.weight_decay > 0) name += " (decay " + std::to_string(arm.weight_decay).substr(0, 3) + ")";
        std::printf("%-24s %6g %12.3e %14.3e %8.2f\n", name.c_str(), arm.lr, r.final_train_mse, r.test_mse,
                    r.weight_norm);
        std::vector<double> xs;
        for (std::size_t i = 1; i <= r.train_loss.size(); ++i) xs.push_back(static_cast<double>(i));
        curves.push_back({name, xs, r.train_loss});
    }
    lesson::ChartOptions o;
    o.title = "the same MLP fit, four optimisers";
    o.x_label = "step", o.y_label = "train MSE";
    o.log_y = true;
    const std::string path = lesson::out_path(args, "optimizers.svg");
    lesson::write_line_chart_svg(path, curves, o);
    std::cout << "wrote " << path << "\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const lesson::LessonArgs args = lesson::parse_lesson_args(
        argc, argv, {"02_autograd", "reverse-mode autograd: a graph, its gradients, gradcheck, an MLP fit", 1500, {}});
    if (!args.ok) return args.exit_code;
    std::cout << lesson::tr("Lesson 02: how reverse-mode autograd computes gradients (seed ",
                            "第 02 课:反向模式自动微分如何计算梯度(种子 ")
              << args.seed << ")\n\n";
    show_expression();
    show_gradcheck(args.seed);
    show_fit(args);
    compare_optimizers(args);
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
