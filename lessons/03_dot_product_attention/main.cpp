// Lesson 03: scaled dot-product attention (缩放点积注意力), from the articles' worked examples
// to the library function, its masks (掩码), its sqrt(d_k), and attention as kernel regression.
//
//   1. the articles' worked examples, recomputed: true values beside the printed ones
//   2. the bugs in the articles' attention code, on small inputs
//   3. nn::scaled_dot_product_attention with padding and causal masks; the fully masked query
//   4. why divide by sqrt(d_k): score variance, saturation, vanishing softmax gradients
//   5. attention as Nadaraya-Watson kernel regression (核回归), with a learned width
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "lessons/03_dot_product_attention/attention_choice.hpp"
#include "lessons/03_dot_product_attention/examples.hpp"
#include "lessons/03_dot_product_attention/exercises/attention.hpp"
#include "lessons/03_dot_product_attention/kernel_regression.hpp"
#include "lessons/03_dot_product_attention/scaling.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/mine.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"

using namespace qkv;
using namespace qkv::lesson03;

namespace {

// "[0.4761, 0.2678]" with `digits` decimals.
std::string row_str(const std::vector<double>& xs, int digits = 4) {
    std::string s = "[";
    for (std::size_t i = 0; i < xs.size(); ++i) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.*f", i ? ", " : "", digits, xs[i]);
        s += buf;
    }
    return s + "]";
}
std::string row_str(const Tensor& t, int digits = 4) { return row_str(t.to_vector<double>(), digits); }

// One line per row of a 2-d tensor, each prefixed by `indent` and its label.
void print_matrix(const std::string& name, const Tensor& m, const std::vector<std::string>& labels = {}) {
    std::cout << "  " << name << ":\n";
    for (std::int64_t i = 0; i < m.size(0); ++i)
        std::cout << "    " << (labels.empty() ? "" : labels[static_cast<std::size_t>(i)] + " ")
                  << row_str(m.select(0, i)) << "\n";
}

// "k3": a token label made without std::string's operator+ (GCC 12 warns, wrongly, about
// `"k" + std::to_string(j)` with -Wrestrict).
std::string numbered(const char* prefix, int j) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%s%d", prefix, j);
    return buf;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
    return m;
}

void show_article_example(const ArticleExample& ex) {
    const AttentionTrace& t = ex.computed;
    std::cout << ex.title << "\n";
    print_matrix("q", t.q, ex.query_labels);
    print_matrix("k", t.k, ex.key_labels);
    std::cout << "  scores q k^T / sqrt(d_k): " << row_str(t.scores) << "\n";
    const std::vector<double> w = t.weights.to_vector<double>();
    std::cout << "  weights, qkv:     " << row_str(w) << "\n"
              << "  weights, article: " << row_str(ex.printed_weights) << "   max |difference| "
              << row_str({max_abs_diff(w, ex.printed_weights)}) << "\n";
    if (ex.printed_output.empty()) return;
    print_matrix("v", t.v, ex.key_labels);
    const std::vector<double> out = t.output.to_vector<double>();
    // The article's output is not even its own weights times v:
    const Tensor printed_w = from_vector(ex.printed_weights).reshape({1, -1});
    std::cout << "  output, qkv:     " << row_str(out) << "\n"
              << "  output, article: " << row_str(ex.printed_output) << "   max |difference| "
              << row_str({max_abs_diff(out, ex.printed_output)}) << "\n"
              << "  (the article's own printed weights times v give " << row_str(matmul(printed_w, t.v))
              << ", not its printed output either)\n";
}

void show_worked_examples() {
    std::cout << lesson::tr("== 1. The articles' worked examples, recomputed (float64) ==\n",
                            "== 1. 重算文章里的算例(float64) ==\n");
    std::cout << "[解码注意力Attention机制, 二 举例说明] ";
    show_article_example(cat_likes_chasing_mice());
    std::cout << "\n[解码注意力Attention机制, 三 举例解析] ";
    show_article_example(apple_orange_fruit());

    const ThreeTokens tt = three_tokens();
    std::cout << "\n[Transformer大模型实战 自注意力机制, 4; 注意力机制：提升深度学习模型性能, 4] "
                 "three tokens x1, x2, x3 with numbers filled in (d = 3)\n";
    const std::vector<std::string> tok = {"x1", "x2", "x3"};
    print_matrix("X (rows are tokens)", tt.x, tok);
    print_matrix("W_Q", tt.w_q);
    print_matrix("W_K", tt.w_k);
    print_matrix("W_V", tt.w_v);
    print_matrix("Q = X W_Q", tt.trace.q, tok);
    print_matrix("K = X W_K", tt.trace.k, tok);
    print_matrix("V = X W_V", tt.trace.v, tok);
    print_matrix("E / sqrt(3) (scores, e_ij = q_i . k_j)", tt.trace.scores, tok);
    print_matrix("A = softmax over each row", tt.trace.weights, tok);
    print_matrix("Y = A V", tt.trace.output, tok);
    print_matrix("softmax([a11, ..., a33]) over all nine at once, as the second article writes it",
                 tt.flat_softmax, tok);
    std::cout << "  its row sums: " << row_str(sum(tt.flat_softmax, {1})) << " (a query's weights must sum to 1)\n\n";
}

void show_article_bugs() {
    std::cout << lesson::tr("== 2. The articles' attention code, run on small inputs ==\n",
                            "== 2. 在小输入上运行文章里的注意力代码 ==\n");
    const BatchLeak leak = batch_leak();
    std::cout << "[注意力机制：提升深度学习模型性能, 5] view(-1, len(queries), heads, head_dim) on (B, T, E) = (2, 3, 4):\n"
              << lesson::tr("  len(queries) is B = 2, not T = 3; the output comes back as ",
                            "  len(queries) 是 B = 2 而不是 T = 3;输出的形状是 ")
              << shape_str(leak.article_output_shape) << lesson::tr(" instead of (2, 3, 4)\n", " 而不是 (2, 3, 4)\n")
              << lesson::tr("  change only sentence 1: sentence 0's output moves by ", "  只改句子 1:句子 0 的输出变化 ")
              << row_str({leak.article_change}) << lesson::tr(" (article's reshape), ", "(文章的 reshape),")
              << row_str({leak.qkv_change}) << lesson::tr(" (qkv: reshape to (B, T, H, E/H))\n", "(qkv:reshape 成 (B, T, H, E/H))\n");
    const MaskSign ms = mask_sign();
    std::cout << lesson::tr("  dot_product += mask * -1e9 with mask = [1, 1, 0] (1 = real token, keys a, b, [PAD]):\n",
                            "  dot_product += mask * -1e9,mask = [1, 1, 0](1 = 真实词元,键 a, b, [PAD]):\n")
              << "    scores " << row_str(ms.scores) << "\n"
              << "    article weights " << row_str(ms.article_weights) << lesson::tr("  <- everything on [PAD]\n", "  <- 全部压在 [PAD] 上\n")
              << "    qkv weights     " << row_str(ms.qkv_weights) << lesson::tr("  <- padding_mask(lengths = [2]) is true at [PAD]\n", "  <- padding_mask(lengths = [2]) 在 [PAD] 处为 true\n");
    const FullyMasked fm = fully_masked();
    std::cout << lesson::tr("[Transformer大模型实战 自注意力机制, 5] masked_fill(mask == 0, -1e10) on a query whose 3 keys are all padding:\n",
                            "[Transformer大模型实战 自注意力机制, 5] 对 3 个键全是填充的查询做 masked_fill(mask == 0, -1e10):\n")
              << "    article weights " << row_str(fm.article_weights) << lesson::tr("  <- a uniform average of padding\n", "  <- 对填充的均匀平均\n")
              << "    qkv weights     " << row_str(fm.qkv_weights) << ", output " << row_str(fm.qkv_output)
              << ", grad q " << row_str(fm.q_grad) << ", grad k all zero: "
              << (max(abs(fm.k_grad)).item() == 0 ? "yes" : "no") << "\n\n";
}

void show_masks(const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 3. nn::scaled_dot_product_attention with masks (true = masked out) ==\n",
                            "== 3. 带掩码的 nn::scaled_dot_product_attention(true 表示遮住) ==\n");
    const PaddedAttention pa = padded_attention(args.seed);
    const Tensor w = pa.weights.reshape({4, 10});  // (B * Tq, Tk)
    std::cout << lesson::tr("B = 2 sequences x 2 queries, 10 keys, valid lengths 2 and 6 (padding_mask):\n",
                            "B = 2 个序列 x 2 个查询,10 个键,有效长度 2 和 6(padding_mask):\n");
    lesson::TerminalHeatmapOptions topts;
    topts.vmin = 0, topts.vmax = 1;
    std::cout << lesson::terminal_heatmap(w, padded_row_labels(), {}, topts);
    std::cout << "row sums " << row_str(sum(w, {1})) << "; weight on padded keys "
              << row_str({sum(w.narrow(0, 0, 2).narrow(1, 2, 8)).item() + sum(w.narrow(0, 2, 2).narrow(1, 6, 4)).item()})
              << "\noutput change after overwriting every padded key and value with +-100: "
              << row_str({pa.padding_change}) << "\n";

    lesson::HeatmapOptions h;
    h.title = "attention weights, valid lengths 2 and 6 (padding masked)";
    h.row_labels = padded_row_labels();
    for (int j = 0; j < 10; ++j) h.col_labels.push_back(numbered("k", j));
    h.x_label = "key", h.y_label = "query";
    h.vmin = 0, h.vmax = 1;
    h.show_values = true;
    const std::string masked_path = lesson::out_path(args, "masked_attention.svg");
    lesson::write_heatmap_svg(masked_path, w, h);

    const Tensor cw = causal_weights(args.seed);
    std::cout << lesson::tr("causal self-attention over 6 tokens (causal_mask(6): true above the diagonal):\n",
                            "6 个词元上的因果自注意力(causal_mask(6):对角线以上为 true):\n")
              << lesson::terminal_heatmap(cw, {}, {}, topts);
    lesson::HeatmapOptions c;
    c.title = "causal self-attention: query i sees keys 0..i";
    for (int j = 0; j < 6; ++j) c.row_labels.push_back(numbered("t", j));
    c.col_labels = c.row_labels;
    c.x_label = "key", c.y_label = "query";
    c.vmin = 0, c.vmax = 1;
    c.show_values = true;
    const std::string causal_path = lesson::out_path(args, "causal_mask.svg");
    lesson::write_heatmap_svg(causal_path, cw, c);
    std::cout << "wrote " << masked_path << "\nwrote " << causal_path << "\n\n";
}

void show_scaling(const lesson::LessonArgs& args) {
    const std::int64_t trials = args.quick ? 200 : 2000, keys = 10;
    std::cout << lesson::tr("== 4. Why divide by sqrt(d_k): q, k ~ N(0, 1), ", "== 4. 为什么除以 sqrt(d_k):q, k ~ N(0, 1),")
              << trials << lesson::tr(" queries x ", " 个查询 x ") << keys << lesson::tr(" keys ==\n", " 个键 ==\n");
    std::printf("%5s %10s %12s %22s %22s\n", "d_k", "Var(q.k)", "Var(/sqrt)", "mean max weight", "mean ||d p / d s||_F");
    std::printf("%5s %10s %12s %11s %10s %11s %10s\n", "", "", "", "unscaled", "scaled", "unscaled", "scaled");
    for (const ScalingRow& r : scaling_study({4, 16, 64, 256, 512}, trials, keys, args.seed))
        std::printf("%5lld %10.2f %12.3f %11.4f %10.4f %11.2e %10.4f\n", static_cast<long long>(r.d), r.score_var,
                    r.scaled_var, r.max_weight_raw, r.max_weight_scaled, r.jacobian_raw, r.jacobian_scaled);
    std::cout << "\n";
}

void show_kernel_regression(const lesson::LessonArgs& args) {
    KernelConfig config;
    config.seed = args.seed;
    config.steps = args.quick ? std::min<std::int64_t>(args.steps, 50) : args.steps;
    std::cout << lesson::tr("== 5. Attention as kernel regression (核回归): y = 2 sin x + x + N(0, ",
                            "== 5. 把注意力看作核回归:y = 2 sin x + x + N(0, ")
              << config.noise << "^2), " << config.train_points << lesson::tr(" training points, ", " 个训练点,")
              << config.valid_points << lesson::tr(" validation points ==\n", " 个验证点 ==\n");
    KernelResult r;
    {
        lesson::Progress progress(config.steps, "train log sigma", std::cout);
        r = kernel_regression(config, [&](std::int64_t step, double loss) { progress.update(step, {{"loo mse", loss}}); });
    }
    std::printf(lesson::tr("validation MSE, predicting the training mean: %.4f\n", "验证 MSE,预测训练均值:%.4f\n"), r.mean_valid_mse);
    for (const WidthResult& f : r.fixed) std::printf("validation MSE, fixed sigma %.2f:  %.4f\n", f.width, f.valid_mse);
    std::printf("validation MSE, learned sigma %.4f: %.4f (%.1f%% of the mean predictor's)\n", r.learned.width,
                r.learned.valid_mse, 100.0 * r.learned.valid_mse / r.mean_valid_mse);
    const Tensor row_sums = sum(r.grid_weights, {1});
    std::printf(lesson::tr("weight rows sum to 1: max |row sum - 1| = %.1e\n", "权重每行之和为 1:max |行和 - 1| = %.1e\n"),
                max(abs(row_sums - 1.0)).item());

    lesson::HeatmapOptions h;
    h.title = "kernel weights at the learned sigma (test x by training x)";
    char buf[16];
    for (double x : r.weight_x) std::snprintf(buf, sizeof buf, "%.2f", x), h.row_labels.push_back(buf);
    for (double x : r.train_x) std::snprintf(buf, sizeof buf, "%.2f", x), h.col_labels.push_back(buf);
    h.x_label = "training x (key)", h.y_label = "test x (query)";
    h.cell_size = 10;
    const std::string weights_path = lesson::out_path(args, "kernel_weights.svg");
    lesson::write_heatmap_svg(weights_path, r.grid_weights, h);

    std::vector<lesson::Series> series{{"truth 2 sin x + x", r.grid_x, r.grid_truth}};
    for (const WidthResult& f : r.fixed) {
        std::snprintf(buf, sizeof buf, "sigma %.2f", f.width);
        series.push_back({buf, r.grid_x, f.grid_pred});
    }
    std::snprintf(buf, sizeof buf, "learned %.3f", r.learned.width);
    series.push_back({buf, r.grid_x, r.learned.grid_pred});
    lesson::ChartOptions o;
    o.title = "Nadaraya-Watson kernel regression";
    o.x_label = "x", o.y_label = "y";
    const std::string fit_path = lesson::out_path(args, "kernel_regression.svg");
    lesson::write_line_chart_svg(fit_path, series, o);
    std::cout << "wrote " << weights_path << "\nwrote " << fit_path << "\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    // --mine (exercise 03.2): the examples run on the student's own attention.
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const lesson::LessonArgs args = lesson::parse_lesson_args(
        argc, argv,
        {"03_dot_product_attention",
         "scaled dot-product attention: the articles' examples recomputed, masks, sqrt(d_k), kernel regression "
         "(--mine: with your attention from exercise 03.2)",
         200,
         {}});
    if (!args.ok) return args.exit_code;
    if (mine) use_attention(exercises::scaled_dot_product_attention);
    return lesson::run_mine(mine, [&] {
        if (mine) (void)attention(Var(zeros({1, 1, 1})), Var(zeros({1, 1, 1})), Var(zeros({1, 1, 1})));  // solved yet?
        std::cout << lesson::tr("Lesson 03: scaled dot-product attention (seed ", "第 03 课:缩放点积注意力(种子 ") << args.seed << ")"
                  << (mine ? ", with YOUR scaled_dot_product_attention (exercise 03.2)" : "") << "\n\n";
        show_worked_examples();
        show_article_bugs();
        show_masks(args);
        show_scaling(args);
        show_kernel_regression(args);
        return 0;
    });
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
