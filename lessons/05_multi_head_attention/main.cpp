// Lesson 05: multi-head attention (多头注意力), its masks (掩码), positional encoding (位置编码),
// and a small model whose two heads learn two different kinds of look.
//
//   1. nn::MultiHeadAttention: the shapes, h heads at once equal h single heads, split/merge,
//      self-attention (自注意力) and cross-attention (交叉注意力)
//   2. masks, true = masked out: the causal and key-padding masks stop leakage (a bare-reshape
//      head split breaks the padding mask); the padding mask lined up with the batch, not the heads
//   3. positional encodings: the sinusoidal table, and PE(pos + k) as a rotation of PE(pos)
//   4. the previous-and-marked task, trained with sinusoidal, learned and no positions; what
//      each head of the trained model attends to
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "lessons/05_multi_head_attention/checks.hpp"
#include "lessons/05_multi_head_attention/exercises/multi_head.hpp"
#include "lessons/05_multi_head_attention/model.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/mine.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"
#include "nn/positional.hpp"

using namespace qkv;
using namespace qkv::lesson05;

namespace {

constexpr double kPassMark = 0.95;  // per-position accuracy on 1000 held-out sequences
bool use_mine = false;              // --mine: every layer runs exercises::multi_head_attention

void show_shapes(const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 1. nn::MultiHeadAttention (d_model 12, 4 heads of 3) ==\n",
                            "== 1. nn::MultiHeadAttention(d_model 12,4 个头,每头 3 维) ==\n");
    Generator gen(args.seed);
    nn::MultiHeadAttention mha(12, 4, gen);
    const Var x(randn({2, 5, 12}, 0, 1, DType::Float32, gen));  // (B, T, D)
    const Var q = mha.q_proj(x);
    const Var heads = nn::split_heads(q, 4);
    const nn::MultiHeadOutput self = mha.forward(x);
    std::cout << "self-attention:  x " << shape_str(x.shape()) << " -> q_proj " << shape_str(q.shape())
              << " -> split_heads " << shape_str(heads.shape()) << " -> weights " << shape_str(self.weights.shape())
              << " -> merge_heads, out_proj " << shape_str(self.output.shape()) << "\n";
    std::cout << lesson::tr("split_heads then merge_heads gives q back bit for bit: ", "先 split_heads 再 merge_heads,逐位还原 q:")
              << (equal(nn::merge_heads(heads).data(), q.data()) ? "yes" : "NO") << "\n";
    const Var decoder(randn({2, 3, 12}, 0, 1, DType::Float32, gen));  // (B, Tq, D)
    const Var encoder(randn({2, 7, 12}, 0, 1, DType::Float32, gen));  // (B, Tk, D)
    const nn::MultiHeadOutput cross = mha.forward(decoder, encoder, encoder);
    std::cout << "cross-attention: query " << shape_str(decoder.shape()) << ", key = value " << shape_str(encoder.shape())
              << " -> weights " << shape_str(cross.weights.shape()) << " -> output " << shape_str(cross.output.shape())
              << "\n";
    const JointVsSeparate j = joint_vs_separate(args.seed);
    std::printf(lesson::tr("4 heads at once vs 4 separate scaled_dot_product_attention calls on the projected slices:\n"
                           "  max |difference| outputs %.2e, weights %.2e (float32)\n\n",
                           "一次算 4 个头,对比在投影切片上分别调用 4 次 scaled_dot_product_attention:\n"
                           "  最大 |差值|:输出 %.2e,权重 %.2e(float32)\n\n"),
                j.output_diff, j.weights_diff);
}

void show_masks(const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 2. Masks: bool, true = may not attend ==\n", "== 2. 掩码:bool 类型,true 表示不许关注 ==\n");
    const CausalLeak c = causal_leak(args.seed);
    std::printf(lesson::tr("causal self-attention over T = %lld tokens; tokens %lld..%lld redrawn:\n"
                           "  outputs 0..%lld bit-identical: %s (max |change| %.2e); outputs after %lld change by up to %.3f\n",
                           "T = %lld 个词元上的因果自注意力;重抽词元 %lld..%lld:\n"
                           "  输出 0..%lld 逐位相同:%s(最大 |变化| %.2e);%lld 之后的输出最多变化 %.3f\n"),
                static_cast<long long>(c.T), static_cast<long long>(c.t + 1), static_cast<long long>(c.T - 1),
                static_cast<long long>(c.t), c.prefix_identical ? "yes" : "NO", c.prefix_change,
                static_cast<long long>(c.t), c.suffix_change);
    const PaddingLeak p = padding_leak(args.seed);
    std::printf(lesson::tr("self-attention over T = %lld tokens, valid length %lld (key-padding mask); padding tokens redrawn:\n"
                           "  valid outputs move by %.2e with split_heads; by %.3f with heads cut by a bare reshape\n"
                           "  (B, T, D) -> (B, H, T, dh), which puts padding features in rows the mask does not cover\n",
                           "T = %lld 个词元上的自注意力,有效长度 %lld(键填充掩码);重抽填充词元:\n"
                           "  用 split_heads 时有效输出变化 %.2e;用裸 reshape 切分头时变化 %.3f,\n"
                           "  (B, T, D) -> (B, H, T, dh) 把填充特征放进了掩码没有遮住的行\n"),
                static_cast<long long>(p.T), static_cast<long long>(p.length), p.split_heads_change, p.reshape_change);
    const MaskBroadcast m = mask_broadcast(args.seed);
    std::printf("key padding (B, Tk) with B = H = 2, lengths 4 and 2, unsqueeze(1) then broadcast to (B, H, Tq, Tk):\n"
                "  weight sequence 1 (head 0) puts on its 2 padding keys: %.4f; with combine_masks: %.4f\n"
                "  weight sequence 0 (head 1) puts on its valid keys 2, 3: %.4f; with combine_masks: %.4f\n",
                m.article_padding_weight, m.qkv_padding_weight, m.article_valid_weight, m.qkv_valid_weight);
    try {
        nn::combine_masks({ones({2, 4}), Tensor()}, 2, 3, 4);
    } catch (const Error& e) {
        std::cout << lesson::tr("a float 0/1 mask is refused: ", "浮点 0/1 掩码被拒绝:") << e.what() << "\n";
    }
    try {
        nn::combine_masks({nn::padding_mask(from_vector(std::vector<std::int64_t>{4, 2}), 4), Tensor()}, 2, 3, 4);
    } catch (const Error& e) {
        std::cout << lesson::tr("so is a padding mask of the wrong shape: ", "形状不对的填充掩码也被拒绝:") << e.what() << "\n";
    }
    std::cout << "\n";
}

void show_positions(const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 3. Positional encoding: ", "== 3. 位置编码:")
              << "PE(pos, 2i) = sin(pos w_i), PE(pos, 2i+1) = cos(pos w_i), w_i = 10000^(-2i/d) ==\n";
    const std::int64_t L = 48, d = 32;
    std::printf("PE(pos + k) vs the rotation by k w_i of PE(pos), every pair, pos + k < %lld, k = 1..%lld:\n"
                "  max |difference| %.2e (float64 table, d = %lld)\n",
                static_cast<long long>(L), static_cast<long long>(L - 1), pe_rotation_error(L, d, L - 1),
                static_cast<long long>(d));
    const Tensor pe = nn::sinusoidal_table(L, d);  // (L, d)
    const std::int64_t shown = 18;                  // positions in the heatmap: an SVG element per cell, keep the file small
    lesson::HeatmapOptions h;
    h.title = "sinusoidal positional encoding (" + std::to_string(shown) + " positions x " + std::to_string(d) + " dims)";
    h.x_label = "dimension", h.y_label = "position";
    h.vmin = -1, h.vmax = 1;
    h.cell_size = 9;
    const std::string heat_path = lesson::out_path(args, "sinusoidal_pe.svg");
    lesson::write_heatmap_svg(heat_path, pe.narrow(0, 0, shown), h);  // (shown, d)

    std::vector<lesson::Series> columns;
    for (std::int64_t j : {4, 5, 10, 20}) {
        char name[48];
        std::snprintf(name, sizeof name, "dim %lld (%s, w = %.3g)", static_cast<long long>(j), j % 2 ? "cos" : "sin",
                      std::pow(10000.0, -static_cast<double>(j - j % 2) / static_cast<double>(d)));
        lesson::Series s{name, {}, {}};
        for (std::int64_t pos = 0; pos < L; ++pos) {
            s.xs.push_back(static_cast<double>(pos));
            s.ys.push_back(pe.at({pos, j}));
        }
        columns.push_back(s);
    }
    lesson::ChartOptions o;
    o.title = "columns of the sinusoidal encoding";
    o.x_label = "position", o.y_label = "PE(pos, dim)";
    o.y_min = -1.1, o.y_max = 1.1;
    const std::string cols_path = lesson::out_path(args, "sinusoidal_columns.svg");
    lesson::write_line_chart_svg(cols_path, columns, o);
    std::cout << "wrote " << heat_path << "\nwrote " << cols_path << "\n\n";
}

// Token labels "0 b", "1 E*", ... of one sequence.
std::vector<std::string> labels_of(const Tensor& ids, std::int64_t vocab) {
    std::vector<std::string> out;
    for (std::int64_t t = 0; t < ids.size(0); ++t) out.push_back(token_label(static_cast<std::int64_t>(ids.at({t})), vocab));
    return out;
}

TrainConfig train_config(const lesson::LessonArgs& args) {
    TrainConfig config;
    config.seed = args.seed;
    config.steps = args.quick ? std::min(args.steps, quick_steps) : args.steps;
    config.held_out = args.quick ? quick_held_out : 1000;
    return config;
}

void show_task(const TaskConfig& task, const TrainConfig& config, const TaskBatch& example) {
    const ModelConfig base;
    std::cout << lesson::tr("== 4. The task: at each t >= 1 name the pair (token at t-1, marked token) ==\n",
                            "== 4. 任务:在每个 t >= 1 处说出这一对(t-1 处的词元,被标记的词元) ==\n")
              << task.length << " tokens from " << task.vocab << " symbols, one of them marked (C*): " << task.num_classes()
              << " classes; model: embedding + positions + " << base.num_layers << " MultiHeadAttention layers of "
              << base.num_heads << " heads (d_model " << base.d_model << ") + residual + Linear\n"
              << "Adam lr " << config.lr << ", batch " << config.batch << ", " << config.steps << " steps; pass mark: accuracy >= "
              << kPassMark << " on " << config.held_out << " held-out sequences\n";
    std::string seq, tgt;
    for (std::int64_t t = 0; t < task.length; ++t) {
        // += in two steps: GCC 12 warns, wrongly, about " " + std::string (-Wrestrict).
        seq += ' ';
        seq += token_label(static_cast<std::int64_t>(example.ids.at({0, t})), task.vocab);
        const std::int64_t c = static_cast<std::int64_t>(example.targets.at({0, t}));
        if (c != kIgnore) tgt += ' ', tgt += class_label(c, task.vocab);
    }
    std::cout << "example:" << seq << "\n  targets at t = 1.." << task.length - 1 << ":" << tgt << "\n";
}

// Trains the same model with sinusoidal, learned and no positions; draws the loss curves and
// returns the sinusoidal model, whose heads part 4 looks at.
PairModel train_models(const lesson::LessonArgs& args, const TaskConfig& task, const TrainConfig& config) {
    std::vector<lesson::Series> curves;
    std::optional<PairModel> sinusoidal;
    for (Positions p : {Positions::Sinusoidal, Positions::Learned, Positions::None}) {
        ModelConfig mc;
        mc.positions = p;
        Generator init(args.seed);  // the same initial embedding and layers for all three
        PairModel model(task, mc, init);
        if (use_mine)
            model.attention = [](nn::MultiHeadAttention& m, const Var& x) {
                return exercises::attention_forward_mine(m, x);
            };
        TrainResult r;
        {
            lesson::Progress progress(config.steps, "positions " + positions_name(p) + (use_mine ? " (your attention)" : ""),
                                  std::cout);
            r = train(model, task, config, [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
        }
        std::printf("positions %-10s held-out accuracy %.4f  %s\n", positions_name(p).c_str(), r.accuracy,
                    r.accuracy >= kPassMark ? "pass" : "below the pass mark");
        if (p == Positions::None)
            std::printf(lesson::tr("  (the best an order-blind model can expect on these sequences: %.4f; see order_blind_ceiling)\n",
                                   "  (不看顺序的模型在这些序列上最多能期望:%.4f;见 order_blind_ceiling)\n"),
                        order_blind_ceiling(task, held_out_batch(task, config.held_out, config.seed)));
        lesson::Series s{positions_name(p), {}, {}};
        for (std::size_t i = 0; i < r.losses.size(); i += 4) {  // every 4th step keeps the picture small
            s.xs.push_back(static_cast<double>(i + 1));
            s.ys.push_back(r.losses[i]);
        }
        curves.push_back(s);
        if (p == Positions::Sinusoidal) sinusoidal = model;  // a copy shares the trained parameters
    }
    lesson::ChartOptions o;
    o.title = "training loss, by positional encoding";
    o.x_label = "step", o.y_label = "cross-entropy";
    o.log_y = true;
    const std::string loss_path = lesson::out_path(args, "loss.svg");
    lesson::write_line_chart_svg(loss_path, curves, o);
    std::cout << "wrote " << loss_path << "\n";
    return *sinusoidal;
}

void show_heads(const lesson::LessonArgs& args, PairModel& model, const TaskConfig& task, const TrainConfig& config,
                const TaskBatch& example) {
    std::cout << lesson::tr("\nwhat each head looks at (mean weight over held-out queries; sinusoidal model):\n",
                            "\n每个头看什么(留出查询上的平均权重;正弦位置模型):\n");
    const auto focus = head_focus(model, held_out_batch(task, config.held_out, config.seed));
    for (std::size_t l = 0; l < focus.size(); ++l)
        for (std::size_t h = 0; h < focus[l].size(); ++h)
            std::printf("  layer %zu head %zu: on the previous token %.3f, on the marked token %.3f\n", l, h,
                        focus[l][h].previous, focus[l][h].marked);

    const std::vector<std::string> labels = labels_of(example.ids.select(0, 0), task.vocab);
    ModelOutput out;
    {
        NoGradGuard no_grad;
        model.eval();
        out = model.forward(example.ids);
    }
    std::vector<std::vector<Tensor>> grid;  // grid[layer][head]: (T, T)
    lesson::TerminalHeatmapOptions topts;
    topts.vmin = 0, topts.vmax = 1;
    for (std::size_t l = 0; l < out.weights.size(); ++l) {
        grid.emplace_back();
        for (std::int64_t h = 0; h < out.weights[l].size(1); ++h) {
            const Tensor w = out.weights[l].data().select(0, 0).select(0, h);  // (T, T)
            grid.back().push_back(w);
            std::cout << "layer " << l << " head " << h << " on the example (rows: queries, columns: keys):\n"
                      << lesson::terminal_heatmap(w, labels, labels, topts);
        }
    }
    lesson::GridOptions g;
    g.title = "attention of the trained model (sinusoidal positions), layers x heads";
    g.row_labels = labels, g.col_labels = labels;
    g.vmin = 0, g.vmax = 1;
    g.cell_size = 16;
    const std::string grid_path = lesson::out_path(args, "heads_grid.svg");
    lesson::write_heatmap_grid_svg(grid_path, grid, g);
    std::cout << "wrote " << grid_path << "\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    // --mine (EXERCISES.md): train with your own multi-head attention (exercises 05.1, 05.3).
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const lesson::LessonArgs args = lesson::parse_lesson_args(
        argc, argv,
        {"05_multi_head_attention",
         "multi-head attention: heads, masks, positional encoding, and a model whose heads learn two kinds of look "
         "(--mine: train with your own multi-head attention, EXERCISES.md 05.1 and 05.3)",
         TrainConfig{}.steps,
         {}});
    if (!args.ok) return args.exit_code;
    if (mine) {
        // The exercises it needs, in order: the first unsolved one is named before any work starts.
        if (const int rc = lesson::run_mine(true, [] { return exercises::probe_mine(), 0; })) return rc;
        use_mine = true;
    }
    std::cout << lesson::tr("Lesson 05: multi-head attention (seed ", "第 05 课:多头注意力(种子 ") << args.seed << ")\n\n";
    show_shapes(args);
    show_masks(args);
    show_positions(args);
    const TaskConfig task;
    const TrainConfig config = train_config(args);
    const TaskBatch example = held_out_batch(task, 1, args.seed + 7);  // one sequence for the pictures
    show_task(task, config, example);
    PairModel model = train_models(args, task, config);
    show_heads(args, model, task, config, example);
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
