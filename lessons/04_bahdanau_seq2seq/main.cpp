// Lesson 04: Bahdanau attention (加性注意力) in an RNN encoder-decoder (Seq2Seq), trained on two
// tasks whose right alignment is known, so we can watch it learn where to look.
//
//   1. the model: a bidirectional GRU encoder, a GRU decoder that queries with s_{i-1}
//   2. sequence reversal: exact match and the anti-diagonal alignment
//   3. the same model without attention: accuracy against input length
//   4. date normalisation in 12 formats: exact match and digit alignment
//   5. loss curves, and the bound the article's tanh-squashed score puts on attention
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "lessons/04_bahdanau_seq2seq/dates.hpp"
#include "lessons/04_bahdanau_seq2seq/reversal.hpp"
#include "lessons/04_bahdanau_seq2seq/training.hpp"
#include "lessons/common/cli.hpp"
#include "nn/plot/heatmap.hpp"
#include "nn/plot/line_chart.hpp"
#include "nn/plot/terminal.hpp"
#include "nn/progress.hpp"

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

Trained train_with_progress(const Task& task, const TrainConfig& c, const std::string& label) {
    nn::Progress progress(c.steps, label, std::cout);
    return train(task, c, [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
}

// The alignment of held-out example k as a heatmap: rows = what the model wrote (and its [EOS]),
// columns = the source.
std::string write_alignment(const lesson::LessonArgs& args, const Task& task, const Evaluation& ev, std::size_t k,
                            const std::string& name, const std::string& title) {
    nn::HeatmapOptions h;
    h.title = title;
    h.row_labels = labels(task.tgt_vocab, ev.decoded[k], true);
    h.row_labels.resize(static_cast<std::size_t>(ev.attention[k].size(0)));
    h.col_labels = labels(task.src_vocab, task.heldout[k].src);
    h.x_label = "source (key)", h.y_label = "output (query s_{i-1})";
    h.vmin = 0, h.vmax = 1;
    h.cell_size = 18;
    const std::string path = lesson::out_path(args, name);
    nn::write_heatmap_svg(path, ev.attention[k], h);
    return path;
}

void print_alignment(const Task& task, const Evaluation& ev, std::size_t k) {
    std::vector<std::string> rows = labels(task.tgt_vocab, ev.decoded[k], true);
    rows.resize(static_cast<std::size_t>(ev.attention[k].size(0)));
    nn::TerminalHeatmapOptions t;
    t.vmin = 0, t.vmax = 1;
    std::cout << nn::terminal_heatmap(ev.attention[k], rows, labels(task.src_vocab, task.heldout[k].src), t);
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
    std::vector<nn::Series> loss;
    std::vector<nn::Series> by_length;
};

nn::Series loss_series(const std::string& name, const std::vector<double>& losses) {
    nn::Series s{name, {}, {}};
    for (std::size_t i = 0; i < losses.size(); ++i) s.xs.push_back(static_cast<double>(i + 1)), s.ys.push_back(losses[i]);
    return s;
}

void show_model(const Task& task) {
    std::cout << "== 1. The model ==\n";
    nn::Seq2SeqConfig c;
    c.src_vocab = task.src_vocab.size(), c.tgt_vocab = task.tgt_vocab.size();
    nn::Seq2Seq model(c);
    std::cout << model.summary()
              << "each output step i:  e_ij = w_v . tanh(W_q s_{i-1} + W_k h_j),  a_i = softmax_j(e_ij),\n"
                 "                     c_i = sum_j a_ij h_j,  s_i = GRU([emb(y_{i-1}); c_i], s_{i-1}),\n"
                 "                     p(y_i) = softmax(W_o [s_i; c_i; emb(y_{i-1})])\n"
                 "the query is s_{i-1}: s_i is computed FROM c_i, so it cannot be used to find c_i\n\n";
}

void run_reversal(const lesson::LessonArgs& args, Curves& curves) {
    ReversalOptions ro;
    if (args.quick) ro.heldout = 100;
    const Task task = reversal_task(args.seed, ro);
    std::cout << "== 2. Task 1: reverse 3 to 8 symbols (0-9); " << task.heldout.size() << " held-out sequences ==\n";
    const TrainConfig c = reversal_config(args.seed, args.steps);
    Trained t = train_with_progress(task, c, "reversal, attention");
    const Evaluation ev = evaluate(t.model, task);
    std::printf("held-out exact match: %.3f\n", ev.exact_match);
    std::printf("largest weight on the mirrored input position (anti-diagonal): %.4f of %lld output positions\n",
                ev.alignment(), static_cast<long long>(ev.counted));
    std::printf("mean largest weight per output step: %.3f\n", mean_max_weight(ev));
    const auto of_length = [&](std::size_t n) {
        return find_example(task, [n](const Example& e) { return e.src.size() == n; });
    };
    const std::optional<std::size_t> k8 = of_length(8), k5 = of_length(5);
    if (k8) {
        std::cout << "example: " << text(task.src_vocab, task.heldout[*k8].src, " ") << "  ->  "
                  << text(task.tgt_vocab, ev.decoded[*k8], " ") << "\n";
        print_alignment(task, ev, *k8);
    }
    const std::pair<std::optional<std::size_t>, std::string> pictures[] = {{k8, "reversal_alignment_len8.svg"},
                                                                           {k5, "reversal_alignment_len5.svg"}};
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

    std::cout << "== 3. The same model without attention: the context is the final encoder state ==\n";
    Trained base = train_with_progress(task, reversal_config(args.seed, args.steps, false), "reversal, no attention");
    const Evaluation bev = evaluate(base.model, task);
    std::printf("held-out exact match: %.3f (attention: %.3f)\n", bev.exact_match, ev.exact_match);
    std::printf("%6s %8s %11s %14s\n", "length", "count", "attention", "no attention");
    nn::Series with{"attention", {}, {}}, without{"no attention (final state only)", {}, {}};
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
    nn::ChartOptions o;
    o.title = "reversal: held-out exact match by input length";
    o.x_label = "input length", o.y_label = "exact match";
    o.y_min = 0, o.y_max = 1;
    const std::string path = lesson::out_path(args, "accuracy_by_length.svg");
    nn::write_line_chart_svg(path, curves.by_length, o);
    std::cout << "wrote " << path << "\n\n";
}

void run_dates(const lesson::LessonArgs& args, const DatesOptions& dopt, Curves& curves) {
    const Task task = dates_task(args.seed, dopt);
    std::cout << "== 4. Task 2: dates in " << num_date_formats << " formats -> yyyy-mm-dd; " << task.heldout.size()
              << " held-out dates ==\n";
    Trained t = train_with_progress(task, dates_config(args.seed, args.steps), "dates, attention");
    const Evaluation ev = evaluate(t.model, task);
    std::printf("held-out exact match: %.3f\n", ev.exact_match);
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
    std::cout << "== 5. The article's score, tanh(w . [s; h]), lies in (-1, 1) ==\n";
    std::printf("so one key's weight is at most e^2 = %.2f times another's; over S keys the largest weight is at\n"
                "most 1 / (1 + (S-1) e^-2):", std::exp(2.0));
    for (int S : {3, 8, 29}) std::printf("  S = %d: %.3f", S, 1.0 / (1.0 + (S - 1) * std::exp(-2.0)));
    std::cout << "\n\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const lesson::LessonInfo info{
        "04_bahdanau_seq2seq",
        "Bahdanau attention in a GRU encoder-decoder: reversal, dates, and the same model without attention",
        default_steps,
        {{"task", "reversal, dates or all (default all)"},
         {"years", "FIRST-LAST within 1000-2999: the years of the dates (default 1000-2999); the two "
                   "two-digit-year formats write those within 1950-2049"}}};
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    const std::string task = args.extra.count("task") ? args.extra.at("task") : "all";
    if (task != "reversal" && task != "dates" && task != "all") {
        return lesson::flag_error(info, "--task must be reversal, dates or all, got '" + task + "'");
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
    if (const std::string problem = dates_options_error(years); task != "reversal" && !problem.empty())
        return lesson::flag_error(info, years_flag + ": " + problem);
    lesson::LessonArgs run = args;
    if (args.quick) run.steps = std::min<std::int64_t>(args.steps, 10);
    try {
        std::cout << "Lesson 04: Bahdanau attention in a seq2seq model (seed " << args.seed << ", " << run.steps
                  << " steps of 64 examples per model)\n\n";
        show_model(reversal_task(args.seed, {3, 8, 10, 0}));
        Curves curves;
        if (task != "dates") run_reversal(run, curves);
        if (task != "reversal") run_dates(run, years, curves);
        show_article_bound();
        nn::ChartOptions o;
        o.title = "training loss (cross-entropy per target token)";
        o.x_label = "step", o.y_label = "loss";
        o.log_y = true;
        const std::string path = lesson::out_path(args, "loss_curves.svg");
        nn::write_line_chart_svg(path, curves.loss, o);
        std::cout << "wrote " << path << "\n";
    } catch (const std::exception& e) {  // qkv::Error (a file that cannot be written, say), std::bad_alloc
        std::cerr << "lesson04: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
