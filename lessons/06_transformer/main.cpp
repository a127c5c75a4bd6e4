// Lesson 06: the full Transformer (编码器-解码器), trained from scratch on four generated tasks.
//
//   1. the model: embeddings * sqrt(d_model) + positions, N encoder layers, N decoder layers
//      (masked self-attention, cross-attention, feed-forward, each with Add & Norm), generator
//   2. the training recipe: label smoothing, the Noam warmup schedule, gradient clipping
//   3. copy, reverse, sort and an SVO -> SOV toy translation; greedy and beam-search decoding
//   4. the attention maps of one held-out translation, layers x heads; the lr and loss curves
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "lessons/06_transformer/exercises/beam_step.hpp"
#include "lessons/06_transformer/flags.hpp"
#include "lessons/06_transformer/toy_translation.hpp"
#include "lessons/06_transformer/training.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/mine.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"
#include "nn/attention/recording.hpp"
#include "nn/transformer/label_smoothing.hpp"

using namespace qkv;
using namespace qkv::lesson06;

namespace {

struct TaskReport {
    Task task;
    TrainResult trained;
    EvalResult eval;
    double pass_mark;
};

double pass_mark(Task t) { return t == Task::Translate ? 0.90 : 0.95; }

std::vector<std::string> labels(const std::vector<std::string>& vocab, const std::vector<std::int64_t>& ids) {
    std::vector<std::string> out;
    for (std::int64_t id : ids) out.push_back(vocab[static_cast<std::size_t>(id)]);
    return out;
}

// The mean of each window of `w` consecutive values, for a readable training-loss curve.
lesson::Series windowed(const std::string& name, const std::vector<double>& xs, const std::vector<double>& ys, std::size_t w) {
    lesson::Series s{name, {}, {}};
    for (std::size_t i = 0; i + w <= ys.size(); i += w) {
        double total = 0;
        for (std::size_t j = i; j < i + w; ++j) total += ys[j];
        s.xs.push_back(xs[i + w - 1]);
        s.ys.push_back(total / static_cast<double>(w));
    }
    return s;
}

TaskReport run_task(Task task, const TrainConfig& config) {
    const TaskSpec spec = make_task(task, config.seed);
    std::printf(lesson::tr("== %s ==\n", "== 任务:%s ==\n"), task_name(task));
    TaskReport r{task, {}, {}, pass_mark(task)};
    {
        lesson::Progress progress(config.steps, task_name(task), std::cout);
        r.trained = train(spec, config, [&](std::int64_t step, double loss, nn::Transformer&) {
            progress.update(step, {{"loss", loss}});
        });
    }
    r.eval = evaluate(*r.trained.model, spec, r.trained.data.held_out, config);
    std::printf(lesson::tr("final training loss %.4f (its floor, the entropy of the smoothed targets: %.4f)\n",
                           "最终训练损失 %.4f(它的下限,即平滑后目标分布的熵:%.4f)\n"),
                r.trained.train_loss.back(),
                nn::smoothed_entropy(static_cast<std::int64_t>(spec.tgt_words.size()), config.label_smoothing));
    std::printf(lesson::tr("held-out (%zu items): greedy exact match %.3f, beam (width %lld%s) %.3f   [pass: >= %.2f]\n",
                           "留出集(%zu 条):贪心精确匹配率 %.3f,束搜索(束宽 %lld%s)%.3f   [及格线:>= %.2f]\n"),
                r.trained.data.held_out.size(), r.eval.greedy_exact, static_cast<long long>(config.beam_size),
                config.beam_search ? ", your step" : "",
                r.eval.beam_exact, r.pass_mark);
    for (std::size_t i = 0; i < 3 && i < r.trained.data.held_out.size(); ++i) {
        const Example& e = r.trained.data.held_out[i];
        std::printf("  %-32s -> %-36s %s\n", words(spec.src_words, e.src).c_str(),
                    words(spec.tgt_words, r.eval.greedy[i]).c_str(), r.eval.greedy[i] == e.tgt ? "ok" : "WRONG");
    }
    std::printf("\n");
    return r;
}

// Every layer's and head's weights for item 0 of a one-item forward, as grid[layer][head].
std::vector<std::vector<Tensor>> grid_of(const std::vector<Tensor>& per_layer) {
    std::vector<std::vector<Tensor>> grid;
    for (const Tensor& w : per_layer) {  // (1, H, Tq, Tk)
        grid.emplace_back();
        for (std::int64_t h = 0; h < w.size(1); ++h) grid.back().push_back(w.select(0, 0).select(0, h));
    }
    return grid;
}

// Runs the model on held-out item 0 with its own greedy output as the decoder input and draws
// the three kinds of attention. Returns the paths written.
std::vector<std::string> draw_attention(const TaskReport& r, const TrainConfig& config, const lesson::LessonArgs& args,
                                        bool all_kinds) {
    const TaskSpec spec = make_task(r.task, config.seed);
    nn::Transformer& model = *r.trained.model;
    const Example shown{r.trained.data.held_out[0].src, r.eval.greedy[0]};
    const Batch b = make_batch({shown});
    {
        nn::RecordAttention record;  // the layers keep this forward's weights
        NoGradGuard no_grad;
        model.eval();
        model.forward(b.src, b.tgt_in, b.src_padding);
    }
    const nn::TransformerAttention a = model.attention_weights();
    const auto src = labels(spec.src_words, shown.src);
    auto out = labels(spec.tgt_words, shown.tgt);
    out.push_back("[EOS]");
    auto in = labels(spec.tgt_words, shown.tgt);
    in.insert(in.begin(), "[BOS]");

    const std::string name = task_name(r.task);
    std::vector<std::string> paths;
    const auto write = [&](const std::string& file, const std::string& title, const std::vector<Tensor>& w,
                           const std::vector<std::string>& rows, const std::vector<std::string>& cols) {
        lesson::GridOptions g;
        g.title = title;
        g.row_labels = rows, g.col_labels = cols;
        g.vmin = 0, g.vmax = 1;
        g.cell_size = 18;
        paths.push_back(lesson::out_path(args, file));
        lesson::write_heatmap_grid_svg(paths.back(), grid_of(w), g);
    };
    write(name + "_cross_attention.svg", name + ": cross-attention, rows = output word, columns = source word",
          a.cross, out, src);
    if (all_kinds) {
        write(name + "_encoder_self_attention.svg", name + ": encoder self-attention (source x source)",
              a.encoder_self, src, src);
        write(name + "_decoder_self_attention.svg",
              name + ": decoder masked self-attention, rows = output word, columns = decoder input", a.decoder_self,
              out, in);
        // The last layer's cross-attention, averaged over heads, in the terminal.
        const Tensor last = mean(a.cross.back().select(0, 0), {0});  // (Tt, Ts)
        lesson::TerminalHeatmapOptions t;
        t.vmin = 0, t.vmax = 1;
        std::cout << lesson::tr("cross-attention of the last decoder layer (mean over heads), output word x source word:\n",
                                "最后一个解码器层的交叉注意力(各头平均),输出词 x 源词:\n")
                  << lesson::terminal_heatmap(last, out, src, t) << "\n";
    }
    return paths;
}

int run(const lesson::LessonArgs& args, const TrainConfig& config, const std::vector<Task>& tasks);

// The configuration task t trains with: the flags', or --quick's (training.hpp, quick_config).
TrainConfig config_for(const lesson::LessonArgs& args, Task t, const TrainConfig& config) {
    return args.quick ? quick_config(t, config) : config;
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    TrainConfig config;
    const lesson::LessonInfo info{
        "06_transformer",
        "the full Transformer: copy, reverse, sort and a toy SVO -> SOV translation, greedy and beam decoding "
        "(--mine: beam search with your own step, EXERCISES.md 06.2)",
        config.steps,
        {{"task", "copy, reverse, sort, translate or all (default all)"},
         {"norm", "post (LayerNorm after each residual sum, as the paper; default) or pre"},
         {"beam", "beam width (default 4)"},
         {"d-model", "model width (default 32; d_ff is twice it)"},
         {"layers", "encoder layers, and as many decoder layers (default 2)"},
         {"warmup", "warmup steps of the Noam schedule (default 100)"},
         {"lr-factor", "the Noam schedule's factor: peak lr = factor / sqrt(d_model * warmup) (default 0.15)"},
         {"dropout", "dropout probability (default 0)"}},
        {},
        true};
    // --mine (EXERCISES.md): decode with your own beam-search step (exercise 06.2).
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    if (mine) {
        // The exercises it needs, in order: the first unsolved one is named before any work starts.
        if (const int rc = lesson::run_mine(true, [] { return exercises::probe_mine(), 0; })) return rc;
        config.beam_search = exercises::beam_search_mine;
    }

    std::vector<Task> tasks;
    try {
        tasks = tasks_from_flags(args.extra);
        apply_flags(args.extra, config);
    } catch (const Error& e) {
        return lesson::flag_error(info, e.what());
    }
    config.seed = args.seed;
    config.steps = args.steps;
    config.checkpoint.every = args.checkpoint_every;
    config.checkpoint.resume = args.resume;

    // A configuration the model refuses (say share_embeddings with translate's two
    // vocabularies) ends the run with its message, not with std::terminate.
    try {
        return run(args, config, tasks);
    } catch (const std::exception& e) {  // qkv::Error included
        std::fflush(stdout);
        std::fprintf(stderr, "lesson06: error: %s\n", e.what());
        return 1;
    }
}

namespace {

int run(const lesson::LessonArgs& args, const TrainConfig& config, const std::vector<Task>& tasks) {
    std::printf(lesson::tr("Lesson 06: the Transformer (seed %llu, %s)\n", "第 06 课:Transformer(种子 %llu,%s)\n"),
                static_cast<unsigned long long>(config.seed), config.norm_first ? "pre-norm" : "post-norm");
    {
        const TaskSpec spec = make_task(Task::Copy, config.seed);
        nn::Transformer model(model_config(spec, config));
        std::printf("model: %s, %lld parameters for a vocabulary of %zu\n", model.describe().c_str(),
                    static_cast<long long>(model.num_parameters()), spec.src_words.size());
        const TrainConfig& c = args.quick ? config_for(args, Task::Copy, config) : config;
        const double peak = c.lr_factor / std::sqrt(static_cast<double>(c.d_model * c.warmup));
        std::printf("training: %lld steps of %lld items, Adam (0.9, 0.98), Noam schedule (warmup %lld, peak lr %.5f), "
                    "label smoothing %.1f, clip norm %.1f, dropout %.1f\n",
                    static_cast<long long>(c.steps), static_cast<long long>(c.batch_size),
                    static_cast<long long>(c.warmup), peak, c.label_smoothing, c.clip_norm, c.dropout);
        if (args.quick)
            std::printf("--quick: copy trains as above; the other tasks %lld steps of 32, only to run every part\n",
                        static_cast<long long>(quick_other_steps));
        std::printf("\n");
    }

    std::vector<TaskReport> reports;
    std::vector<std::string> paths;
    for (Task t : tasks) {
        TrainConfig task_config = config_for(args, t, config);  // each task its own checkpoint file
        task_config.checkpoint.path = lesson::out_path(args, std::string("checkpoint_") + task_name(t) + ".safetensors");
        reports.push_back(run_task(t, task_config));
        const auto p = draw_attention(reports.back(), task_config, args, t == Task::Translate);
        paths.insert(paths.end(), p.begin(), p.end());
    }

    std::printf(lesson::tr("== summary: held-out exact match (%zu items each) ==\n", "== 汇总:留出集精确匹配率(每个任务 %zu 条) ==\n"),
                reports[0].trained.data.held_out.size());
    std::printf("%-10s %8s %8s %6s\n", "task", "greedy", "beam", "pass");
    for (const TaskReport& r : reports)
        std::printf("%-10s %8.3f %8.3f %6s\n", task_name(r.task), r.eval.greedy_exact, r.eval.beam_exact,
                    r.eval.greedy_exact >= r.pass_mark && r.eval.beam_exact >= r.eval.greedy_exact ? "yes" : "no");

    // The learning rate (the same schedule for every task) and the loss curves.
    const TrainResult& first = reports[0].trained;
    lesson::ChartOptions lo;
    lo.title = "learning rate: linear warmup, then 1/sqrt(step)";
    lo.x_label = "step", lo.y_label = "lr";
    paths.push_back(lesson::out_path(args, "learning_rate.svg"));
    lesson::write_line_chart_svg(paths.back(), {{"Noam schedule", first.steps, first.lr}}, lo);

    std::vector<lesson::Series> curves;
    const std::size_t window = std::max<std::size_t>(1, static_cast<std::size_t>(config.steps / 50));
    for (const TaskReport& r : reports) {
        curves.push_back(windowed(std::string(task_name(r.task)) + " train", r.trained.steps, r.trained.train_loss, window));
        curves.push_back({std::string(task_name(r.task)) + " held-out", r.trained.curve_steps, r.trained.held_loss});
    }
    lesson::ChartOptions co;
    co.title = "label-smoothed cross-entropy";
    co.x_label = "step", co.y_label = "loss";
    co.y_min = 0;
    paths.push_back(lesson::out_path(args, "loss.svg"));
    lesson::write_line_chart_svg(paths.back(), curves, co);

    std::printf("\n");
    for (const std::string& p : paths) std::printf("wrote %s\n", p.c_str());
    return 0;
}

}  // namespace

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
