// Lesson 04: Bahdanau attention (加性注意力) in an RNN encoder-decoder (Seq2Seq), trained on two
// tasks whose right alignment is known, so we can watch it learn where to look.
//
//   1. the model: a bidirectional GRU encoder, a GRU decoder that queries with s_{i-1}
//   2. sequence reversal: exact match and the anti-diagonal alignment
//   3. the same model without attention: accuracy against input length
//   4. date normalisation in 12 formats: exact match and digit alignment
//   5. loss curves, and the bound the article's tanh-squashed score puts on attention
//   6. the article's NERModel: softmax over the batch instead of the sequence
//   7. why GRUs: a plain tanh RNN and a GRU on a task that needs a long memory, the gradient
//      that reaches step 1, and the update gate over a sequence; cross-entropy; clipping
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "lessons/04_bahdanau_seq2seq/article_ner.hpp"
#include "lessons/04_bahdanau_seq2seq/dates.hpp"
#include "lessons/04_bahdanau_seq2seq/exercises/decoder_step.hpp"
#include "lessons/04_bahdanau_seq2seq/gates.hpp"
#include "lessons/04_bahdanau_seq2seq/reversal.hpp"
#include "lessons/04_bahdanau_seq2seq/training.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/mine.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"

using namespace qkv;
using namespace qkv::lesson04;

namespace {

// Token labels for pictures: a space shows as "␣" so it is visible.
std::vector<std::string> labels(const nn::Vocab& vocab, const std::vector<std::int64_t>& ids, bool eos = false) {
    std::vector<std::string> out;
    for (std::int64_t id : ids) out.push_back(vocab.token(id) == " " ? "␣" : vocab.token(id));
    if (eos) out.push_back(nn::special::eos);
    return out;
}

std::string text(const nn::Vocab& vocab, const std::vector<std::int64_t>& ids, const char* sep = "") {
    std::string s;
    for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? sep : "") + vocab.token(ids[i]);
    return s;
}

bool use_mine = false;  // --mine: models with attention train with exercises::decoder_step

Trained train_with_progress(const Task& task, TrainConfig c, const std::string& label) {
    if (use_mine && c.use_attention) c.forward = exercises::forward_mine;
    lesson::Progress progress(c.steps, label + (use_mine && c.use_attention ? " (your decoder step)" : ""), std::cout);
    return train(task, c, [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
}

// The alignment of held-out example k as a heatmap: rows = what the model wrote (and its [EOS]),
// columns = the source.
std::string write_alignment(const lesson::LessonArgs& args, const Task& task, const Evaluation& ev, std::size_t k,
                            const std::string& name, const std::string& title) {
    lesson::HeatmapOptions h;
    h.title = title;
    h.row_labels = labels(task.tgt_vocab, ev.decoded[k], true);
    h.row_labels.resize(static_cast<std::size_t>(ev.attention[k].size(0)));
    h.col_labels = labels(task.src_vocab, task.heldout[k].src);
    h.x_label = "source (key)", h.y_label = "output (query s_{i-1})";
    h.vmin = 0, h.vmax = 1;
    h.cell_size = 18;
    const std::string path = lesson::out_path(args, name);
    lesson::write_heatmap_svg(path, ev.attention[k], h);
    return path;
}

void print_alignment(const Task& task, const Evaluation& ev, std::size_t k) {
    std::vector<std::string> rows = labels(task.tgt_vocab, ev.decoded[k], true);
    rows.resize(static_cast<std::size_t>(ev.attention[k].size(0)));
    lesson::TerminalHeatmapOptions t;
    t.vmin = 0, t.vmax = 1;
    std::cout << lesson::terminal_heatmap(ev.attention[k], rows, labels(task.src_vocab, task.heldout[k].src), t);
}

// The first held-out example satisfying `pred`, if any.
template <class Pred> std::optional<std::size_t> find_example(const Task& task, Pred pred) {
    for (std::size_t k = 0; k < task.heldout.size(); ++k)
        if (pred(task.heldout[k])) return k;
    return std::nullopt;
}

// The mean over counted rows of the largest weight: how sharp the alignment is.
double mean_max_weight(const Evaluation& ev) {
    double total = 0;
    std::int64_t rows = 0;
    for (const Tensor& a : ev.attention)
        for (std::int64_t i = 0; i < a.size(0); ++i) total += max(a.select(0, i)).item(), ++rows;
    return rows ? total / static_cast<double>(rows) : 0;
}

struct Curves {
    std::vector<lesson::Series> loss;
    std::vector<lesson::Series> by_length;
};

lesson::Series loss_series(const std::string& name, const std::vector<double>& losses) {
    lesson::Series s{name, {}, {}};
    for (std::size_t i = 0; i < losses.size(); ++i) s.xs.push_back(static_cast<double>(i + 1)), s.ys.push_back(losses[i]);
    return s;
}

void show_model(const Task& task) {
    std::cout << lesson::tr("== 1. The model ==\n", "== 1. 模型 ==\n");
    nn::Seq2SeqConfig c;
    c.src_vocab = task.src_vocab.size(), c.tgt_vocab = task.tgt_vocab.size();
    nn::Seq2Seq model(c);
    std::cout << model.summary()
              << "each output step i:  e_ij = w_v . tanh(W_q s_{i-1} + W_k h_j),  a_i = softmax_j(e_ij),\n"
                 "                     c_i = sum_j a_ij h_j,  s_i = GRU([emb(y_{i-1}); c_i], s_{i-1}),\n"
                 "                     p(y_i) = softmax(W_o [s_i; c_i; emb(y_{i-1})])\n"
              << lesson::tr("the query is s_{i-1}: s_i is computed FROM c_i, so it cannot be used to find c_i\n\n",
                            "查询是 s_{i-1}:s_i 是由 c_i 算出来的,所以不能用它去求 c_i\n\n");
}

void run_reversal(const lesson::LessonArgs& args, Curves& curves) {
    const ReversalOptions ro = args.quick ? quick_reversal_options() : ReversalOptions{};
    const Task task = reversal_task(args.seed, ro);
    std::cout << lesson::tr("== 2. Task 1: reverse ", "== 2. 任务 1:反转 ") << ro.min_len
              << lesson::tr(" to ", " 到 ") << ro.max_len << lesson::tr(" symbols (0-9); ", " 个符号(0-9);")
              << task.heldout.size() << lesson::tr(" held-out sequences ==\n", " 条留出序列 ==\n");
    const TrainConfig c = reversal_config(args.seed, args.steps);
    Trained t = train_with_progress(task, c, "reversal, attention");
    const Evaluation ev = evaluate(t.model, task);
    std::printf(lesson::tr("held-out exact match: %.3f\n", "留出集精确匹配率:%.3f\n"), ev.exact_match);
    std::printf(lesson::tr("largest weight on the mirrored input position (anti-diagonal): %.4f of %lld output positions\n",
                           "最大权重落在镜像输入位置(反对角线)上:%.4f,共 %lld 个输出位置\n"),
                ev.alignment(), static_cast<long long>(ev.counted));
    std::printf(lesson::tr("mean largest weight per output step: %.3f\n", "每个输出步最大权重的均值:%.3f\n"), mean_max_weight(ev));
    const auto of_length = [&](std::size_t n) {
        return find_example(task, [n](const Example& e) { return e.src.size() == n; });
    };
    const std::optional<std::size_t> k8 = of_length(static_cast<std::size_t>(ro.max_len)), k5 = of_length(5);
    if (k8) {
        std::cout << "example: " << text(task.src_vocab, task.heldout[*k8].src, " ") << "  ->  "
                  << text(task.tgt_vocab, ev.decoded[*k8], " ") << "\n";
        print_alignment(task, ev, *k8);
    }
    const std::string longest = "reversal_alignment_len" + std::to_string(ro.max_len) + ".svg";
    std::vector<std::pair<std::optional<std::size_t>, std::string>> pictures = {{k8, longest}};
    if (ro.max_len != 5) pictures.push_back({k5, "reversal_alignment_len5.svg"});
    for (const auto& [k, name] : pictures) {
        if (!k) {
            std::cout << "no held-out sequence of that length: " << name << " not written\n";
            continue;
        }
        const std::string title = "reversal, " + text(task.src_vocab, task.heldout[*k].src);
        const std::string path = write_alignment(args, task, ev, *k, name, title);
        std::cout << "wrote " << path << "\n";
    }
    std::cout << "\n";

    std::cout << lesson::tr("== 3. The same model without attention: the context is the final encoder state ==\n",
                            "== 3. 去掉注意力的同一个模型:上下文是编码器的最终状态 ==\n");
    Trained base = train_with_progress(task, reversal_config(args.seed, args.steps, false), "reversal, no attention");
    const Evaluation bev = evaluate(base.model, task);
    std::printf(lesson::tr("held-out exact match: %.3f (attention: %.3f)\n", "留出集精确匹配率:%.3f(带注意力:%.3f)\n"),
                bev.exact_match, ev.exact_match);
    std::printf("%6s %8s %11s %14s\n", "length", "count", "attention", "no attention");
    lesson::Series with{"attention", {}, {}}, without{"no attention (final state only)", {}, {}};
    for (std::int64_t len = ro.min_len; len <= ro.max_len; ++len) {
        std::printf("%6lld %8lld %11.3f %14.3f\n", static_cast<long long>(len),
                    static_cast<long long>(ev.total_at(len)), ev.accuracy_at(len),
                    bev.accuracy_at(len));
        with.xs.push_back(static_cast<double>(len)), with.ys.push_back(ev.accuracy_at(len));
        without.xs.push_back(static_cast<double>(len)), without.ys.push_back(bev.accuracy_at(len));
    }
    curves.by_length = {with, without};
    curves.loss.push_back(loss_series("reversal, attention", t.losses));
    curves.loss.push_back(loss_series("reversal, no attention", base.losses));
    lesson::ChartOptions o;
    o.title = "reversal: held-out exact match by input length";
    o.x_label = "input length", o.y_label = "exact match";
    o.y_min = 0, o.y_max = 1;
    const std::string path = lesson::out_path(args, "accuracy_by_length.svg");
    lesson::write_line_chart_svg(path, curves.by_length, o);
    std::cout << "wrote " << path << "\n\n";
}

void run_dates(const lesson::LessonArgs& args, const DatesOptions& dopt, Curves& curves) {
    const Task task = dates_task(args.seed, dopt);
    std::cout << lesson::tr("== 4. Task 2: dates in ", "== 4. 任务 2:") << num_date_formats
              << lesson::tr(" formats -> yyyy-mm-dd; ", " 种格式的日期 -> yyyy-mm-dd;") << task.heldout.size()
              << lesson::tr(" held-out dates ==\n", " 个留出日期 ==\n");
    const std::int64_t steps = args.quick ? std::min(args.steps, quick_dates_steps) : args.steps;
    Trained t = train_with_progress(task, dates_config(args.seed, steps), "dates, attention");
    const Evaluation ev = evaluate(t.model, task);
    std::printf(lesson::tr("held-out exact match: %.3f\n", "留出集精确匹配率:%.3f\n"), ev.exact_match);
    if (args.quick)
        std::cout << lesson::tr("(--quick: too few steps to learn dates; this only runs the part)\n",
                                "(--quick:步数太少,学不会日期;这里只是把这一部分跑一遍)\n");
    // The day and the year separately: both should be read where the source writes them.
    std::printf("largest weight on the matching source digit\n"
                "  day digits:                            %.4f of %lld\n"
                "  year digits (those the source writes): %.4f of %lld\n",
                ev.alignment_over(iso_day_first, iso_day_last),
                static_cast<long long>(ev.counted_over(iso_day_first, iso_day_last)),
                ev.alignment_over(iso_year_first, iso_year_last),
                static_cast<long long>(ev.counted_over(iso_year_first, iso_year_last)));
    for (std::size_t k = 0; k < std::min<std::size_t>(6, task.heldout.size()); ++k)
        std::cout << "  " << text(task.src_vocab, task.heldout[k].src) << "  ->  " << text(task.tgt_vocab, ev.decoded[k])
                  << (ev.decoded[k] == task.heldout[k].tgt ? "" : "   (wrong)") << "\n";

    const std::vector<std::pair<int, std::string>> shown = {{2, "dates_alignment_weekday.svg"},
                                                            {3, "dates_alignment_ddmmyy.svg"},
                                                            {4, "dates_alignment_chinese.svg"}};
    std::vector<std::string> notes;
    for (const auto& [format, name] : shown) {
        const std::optional<std::size_t> k =
            find_example(task, [format = format](const Example& e) { return e.kind == format; });
        if (!k) {  // e.g. --years outside 1950 .. 2049 leaves out the two-digit-year formats
            notes.push_back("no held-out date in format " + date_format_name(format) + ": " + name + " not written");
            continue;
        }
        if (format == 2) print_alignment(task, ev, *k);
        notes.push_back("wrote " + write_alignment(args, task, ev, *k, name, "dates, " + date_format_name(format)));
    }
    for (const std::string& n : notes) std::cout << n << "\n";
    curves.loss.push_back(loss_series("dates, attention", t.losses));
    std::cout << "\n";
}

void show_article_bound() {
    std::cout << lesson::tr("== 5. The article's score, tanh(w . [s; h]), lies in (-1, 1) ==\n",
                            "== 5. 文章的分数 tanh(w . [s; h]) 落在 (-1, 1) 内 ==\n");
    std::printf(lesson::tr("so one key's weight is at most e^2 = %.2f times another's; over S keys the largest weight is at\n"
                           "most 1 / (1 + (S-1) e^-2):",
                           "所以一个键的权重至多是另一个键的 e^2 = %.2f 倍;S 个键中最大的权重\n"
                           "至多为 1 / (1 + (S-1) e^-2):"),
                std::exp(2.0));
    for (int S : {3, 8, 29}) std::printf("  S = %d: %.3f", S, 1.0 / (1.0 + (S - 1) * std::exp(-2.0)));
    std::cout << "\n\n";
}

std::string values(const Tensor& t) {
    std::string s = "[";
    for (const double x : t.to_vector<double>()) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%.4f", s.size() > 1 ? ", " : "", x);
        s += buf;
    }
    return s + "]";
}

void show_article_ner(std::uint64_t seed) {
    const NerSoftmax r = ner_softmax_over_batch(seed);
    std::cout << lesson::tr("== 6. The article's NERModel: softmax(dim=1) on a sequence-first LSTM's (T, B, 1) scores ==\n",
                            "== 6. 文章的 NERModel:在序列维在前的 LSTM 的 (T, B, 1) 分数上做 softmax(dim=1) ==\n")
              << "random rnn_output (T, B, 2H) = (" << r.T << ", " << r.B << ", " << r.features << ")\n"
              << "  article, softmax over dim 1 (the batch): sums over the batch  " << values(r.article_sums_over_batch)
              << "\n"
              << "                                           sums over each sentence " << values(r.article_sums_per_sentence)
              << "\n";
    std::printf("  change only sentence 1: sentence 0's weights move by %.4f (dim 1), %.4f (softmax over dim 0, the sequence)\n",
                r.article_leak, r.right_leak);
    std::cout << "  sum(rnn_output * weights, dim=1) is " << shape_str(r.article_pooled_shape)
              << ", one vector per position; over dim 0 it is " << shape_str(r.right_pooled_shape)
              << ", one per sentence\n\n";
}

void run_gates(const lesson::LessonArgs& args) {
    const RecallOptions o = args.quick ? quick_recall_options(args.seed) : recall_options(args.seed);
    std::cout << lesson::tr("== 7. Why GRUs: the gradient that reaches step 1 ==\n",
                            "== 7. 为什么用 GRU:能传到第 1 步的梯度 ==\n");
    std::printf("recall: read %lld symbols (0-%lld), then name the FIRST one; %lld steps of %lld, Adam lr %g,\n"
                "hidden %lld, %lld held-out sequences; chance is %.3f\n",
                static_cast<long long>(o.length), static_cast<long long>(o.symbols - 1),
                static_cast<long long>(o.steps), static_cast<long long>(o.batch_size), o.lr,
                static_cast<long long>(o.hidden_size), static_cast<long long>(o.heldout),
                1.0 / static_cast<double>(o.symbols));
    std::printf("%-9s %28s %16s %10s\n", "cell", "|dL/dh_1| / |dL/dh_T|: init", "trained", "accuracy");
    std::vector<lesson::Series> losses;
    std::vector<double> first_loss;
    std::optional<RecallModel> gru;
    for (CellKind kind : {CellKind::Tanh, CellKind::Gru}) {
        Generator gen(o.seed + 1);  // the same draws for both cells' weights
        RecallModel model(kind, o, gen);
        const RecallResult r = train_recall(model, o);
        std::printf("%-9s %28.2e %16.2e %10.3f\n", cell_name(kind), r.start_ratio_before, r.start_ratio_after,
                    r.accuracy);
        losses.push_back(loss_series(cell_name(kind), r.losses));
        first_loss.push_back(r.losses.front());
        if (kind == CellKind::Gru) gru.emplace(std::move(model));
    }
    std::cout << "at initialisation, by sequence length T:\n";
    std::printf("%-9s", "T");
    const std::int64_t lengths[] = {5, 10, 20, 40};
    for (std::int64_t T : lengths) std::printf(" %10lld", static_cast<long long>(T));
    std::cout << "\n";
    for (CellKind kind : {CellKind::Tanh, CellKind::Gru}) {
        std::printf("%-9s", cell_name(kind));
        for (std::int64_t T : lengths) {
            RecallOptions ot = o;
            ot.length = T;
            Generator gen(o.seed + 1), data(o.seed + 2);
            RecallModel fresh(kind, ot, gen);
            std::printf(" %10.2e", gradient_reaching_start(fresh, recall_batch(ot, ot.batch_size, data)));
        }
        std::cout << "\n";
    }

    // The trained GRU's update gate on one held-out sequence: (H, T), units by steps.
    const Tensor ids = recall_heldout(o).narrow(0, 0, 1).contiguous();  // (1, T): held-out sequence 0
    Tensor z;
    {
        NoGradGuard no_grad;
        const RecallModel::Run run = gru->forward(ids);
        std::vector<Tensor> columns;
        for (const Var& zt : run.update) columns.push_back(zt.data().select(0, 0));  // (H)
        z = stack(columns, 1);                                                      // (H, T)
    }
    // The units that write the first symbol in and then hold it: z low at step 1, high after.
    std::vector<std::string> steps;
    for (std::int64_t t = 0; t < o.length; ++t)
        steps.push_back(std::to_string(static_cast<long long>(ids.select(1, t).item())));
    std::string holders;
    std::int64_t count = 0;
    for (std::int64_t u = 0; u < o.hidden_size; ++u) {
        const Tensor later = z.select(0, u).narrow(0, 1, o.length - 1);  // steps 2 .. T
        if (min(later).item() > 0.9) holders += " " + std::to_string(u), ++count;
    }
    std::printf("the trained GRU's update gate z on one held-out sequence: %lld of %lld units keep z > 0.9 at\n"
                "every step after the first (units%s): they hold the first symbol; mean z at step 1: %.2f\n",
                static_cast<long long>(count), static_cast<long long>(o.hidden_size), holders.c_str(),
                mean(z.select(1, 0)).item());
    std::string read;
    for (const std::string& s : steps) read += s;
    std::printf("cross-entropy -log p(right symbol) at step 1: %.3f for the tanh RNN, %.3f for the GRU; "
                "ln %lld = %.3f\n", first_loss[0], first_loss[1], static_cast<long long>(o.symbols),
                std::log(static_cast<double>(o.symbols)));

    // Clipping: one SGD step on a batch with every label wrong, taken by the trained GRU.
    const double lr = 1, max_norm = 1;  // max_norm as the lesson's seq2seq training
    const SpikeDemo d = spike_demo(*gru, o, lr, max_norm);
    std::printf("a spike: one batch with every label wrong; gradient norm %.2f (a clean batch: %.4f)\n"
                "one SGD step (lr %g) on it: held-out accuracy %.3f -> %.3f unclipped, %.3f clipped to norm %g\n",
                d.spike_norm, d.clean_norm, lr, d.accuracy_before, d.accuracy_unclipped, d.accuracy_clipped, max_norm);
    lesson::HeatmapOptions h;
    h.title = "GRU update gate z (1 = keep the old state) while reading " + read;
    h.col_labels = steps;
    h.x_label = "input symbol at each step", h.y_label = "hidden unit";
    h.vmin = 0, h.vmax = 1;
    h.cell_size = 14;
    std::string path = lesson::out_path(args, "gru_update_gate.svg");
    lesson::write_heatmap_svg(path, z, h);
    std::cout << "wrote " << path << "\n";
    lesson::ChartOptions c;
    c.title = "recall the first of " + std::to_string(o.length) + " symbols: training loss";
    c.x_label = "step", c.y_label = "cross-entropy";
    path = lesson::out_path(args, "recall_loss.svg");
    lesson::write_line_chart_svg(path, losses, c);
    std::cout << "wrote " << path << "\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const lesson::LessonInfo info{
        "04_bahdanau_seq2seq",
        "Bahdanau attention in a GRU encoder-decoder: reversal, dates, and the same model without attention "
        "(--mine: train with your own decoder step, EXERCISES.md 04.1-04.3)",
        default_steps,
        {{"task", "reversal, dates, gru or all (default all)"},
         {"years", "FIRST-LAST within 1000-2999: the years of the dates (default 1000-2999); the two "
                   "two-digit-year formats write those within 1950-2049"}}};
    // --mine (EXERCISES.md): train with your own decoder step (exercises 04.1-04.3).
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    if (mine) {
        // The exercises it needs, in order: the first unsolved one is named before any work starts.
        if (const int rc = lesson::run_mine(true, [] { return exercises::probe_mine(), 0; })) return rc;
        use_mine = true;
    }
    const std::string task = args.extra.count("task") ? args.extra.at("task") : "all";
    if (task != "reversal" && task != "dates" && task != "gru" && task != "all") {
        return lesson::flag_error(info, "--task must be reversal, dates, gru or all, got '" + task + "'");
    }
    DatesOptions years;
    if (args.quick) years.heldout = 100;
    std::string years_flag = "--years (default)";
    if (args.extra.count("years")) {
        const std::string y = args.extra.at("years");
        int first = 0, last = 0;
        char dash = 0, extra = 0;
        if (std::sscanf(y.c_str(), "%d%c%d%c", &first, &dash, &last, &extra) != 3 || dash != '-' || first < 1000 ||
            last > 2999 || first > last) {
            return lesson::flag_error(info, "--years must be FIRST-LAST within 1000-2999, got '" + y + "'");
        }
        years.first_year = first, years.last_year = last;
        years_flag = "--years " + y;
    }
    if (const std::string problem = dates_options_error(years); (task == "dates" || task == "all") && !problem.empty())
        return lesson::flag_error(info, years_flag + ": " + problem);
    lesson::LessonArgs run = args;
    if (args.quick) run.steps = std::min(args.steps, quick_steps);
    try {
        std::cout << lesson::tr("Lesson 04: Bahdanau attention in a seq2seq model (seed ",
                                "第 04 课:序列到序列模型里的 Bahdanau 注意力(种子 ")
                  << args.seed << ", " << run.steps
                  << lesson::tr(" steps of 64 examples per model)\n\n", " 步,每个模型每步 64 条样本)\n\n");
        if (task != "gru") show_model(reversal_task(args.seed, {3, 8, 10, 0}));
        Curves curves;
        if (task != "dates" && task != "gru") run_reversal(run, curves);
        if (task != "reversal" && task != "gru") run_dates(run, years, curves);
        if (task != "gru") {
            show_article_bound();
            show_article_ner(args.seed);
            lesson::ChartOptions o;
            o.title = "training loss (cross-entropy per target token)";
            o.x_label = "step", o.y_label = "loss";
            o.log_y = true;
            const std::string path = lesson::out_path(args, "loss_curves.svg");
            lesson::write_line_chart_svg(path, curves.loss, o);
            std::cout << "wrote " << path << "\n";
        }
        if (task == "all") std::cout << "\n";
        if (task == "gru" || task == "all") run_gates(args);
    } catch (const std::exception& e) {  // qkv::Error (a file that cannot be written, say), std::bad_alloc
        std::cerr << "lesson04: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
