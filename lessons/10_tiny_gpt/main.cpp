// Lesson 10: a tiny GPT that writes Tang poems.
//
//   1. the corpus: 唐诗三百首 from Debian's fortunes-zh, parsed, split, character tokens
//   2. the baselines: unigram and bigram models, their held-out cross-entropy and perplexity
//   3. the GPT: BERT's encoder with the future masked, trained to predict the next character
//   4. writing: greedy and sampled poems from prompts
//   5. the form of the lines: the share of 5- and 7-character clauses, by temperature and top-p
//   6. the KV cache: 200 characters with and without it
//   7. what a head looks at while writing the second line
//
// --sample-from DIR skips 1-7: it loads DIR/tiny_gpt.safetensors and writes from --prompt.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "lessons/10_tiny_gpt/corpus.hpp"
#include "lessons/10_tiny_gpt/line_form.hpp"
#include "lessons/10_tiny_gpt/ngram.hpp"
#include "lessons/10_tiny_gpt/poem_data.hpp"
#include "lessons/10_tiny_gpt/tiny_gpt.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/cpu_seconds.hpp"
#include "lessons/common/smooth.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"
#include "nn/attention/recording.hpp"
#include "nn/gpt/generate.hpp"
#include "nn/text/utf8.hpp"

using namespace qkv;
using namespace qkv::lesson10;

namespace {

// The flags beyond the standard ones, checked.
struct Flags {
    std::string corpus = default_corpus_path;
    std::optional<std::string> prompt;
    nn::SamplingOptions sampling{0.8, 0, 1.0};
    std::int64_t length = 200;
    std::optional<std::string> sample_from;
};

double perplexity(double nats) { return std::exp(nats); }

nn::GenerateOptions writing_options(const CharTokens& tokens, const nn::SamplingOptions& sampling, std::int64_t length) {
    nn::GenerateOptions o;
    o.sampling = sampling;
    o.max_new_tokens = length;
    o.stop_id = tokens.eos_id();
    o.never = {tokens.pad_id(), tokens.unk_id(), tokens.bos_id()};  // write characters, not markers
    return o;
}

// A poem's text indented for the terminal.
std::string indented(const std::string& text) {
    std::string out = "    ";
    for (char c : text) out += c == '\n' ? std::string("\n    ") : std::string(1, c);
    return out;
}

// [BOS] and the prompt's tokens. Throws when the prompt has characters and the model knows none
// of them (it would write from [UNK]s alone).
Ids prompt_ids(const CharTokens& tokens, const std::string& text) {
    Ids ids{tokens.bos_id()};
    for (std::int64_t id : tokens.encode_text(text)) ids.push_back(id);
    const auto unknown = std::count(ids.begin(), ids.end(), tokens.unk_id());
    const auto newlines = std::count(ids.begin(), ids.end(), tokens.newline_id());
    if (unknown > 0 && unknown + newlines + 1 == static_cast<std::int64_t>(ids.size()))
        fail("prompt", "none of the characters of '", text, "' is in the model's vocabulary (Tang-poem characters seen "
             "at least twice in training)");
    return ids;
}

// A tokens' labels for pictures: the character, ↵ for a line break, [BOS] / [EOS].
std::vector<std::string> labels(const CharTokens& tokens, const Ids& ids) {
    std::vector<std::string> out;
    for (std::int64_t id : ids) out.push_back(tokens.vocab().token(id));
    return out;
}

void write_poems(nn::GPT& model, const CharTokens& tokens, const std::vector<std::string>& prompts,
                 const Flags& flags, std::uint64_t seed) {
    Generator gen(seed);
    for (const std::string& prompt : prompts) {
        const Ids start = prompt_ids(tokens, prompt);
        const std::int64_t room = model.config().max_len - static_cast<std::int64_t>(start.size());
        const Ids out = nn::generate(model, {start}, writing_options(tokens, flags.sampling, std::min(flags.length, room)),
                                     gen)[0];
        std::string shown = tokens.decode(start);  // as the model read it: □ for a character it does not know
        if (!shown.empty() && shown.back() == '\n') shown.back() = ' ', shown += "(+ line break)";
        std::cout << lesson::tr("  prompt ", "  开头 ") << (prompt.empty() ? "[BOS]" : shown) << ":\n"
                  << indented(tokens.decode(start) + tokens.decode(out)) << (out.empty() || out.back() != tokens.eos_id() ? " …" : "")
                  << "\n";
    }
}

// ---- --sample-from ------------------------------------------------------------------------------

int sample_only(const Flags& flags, const lesson::LessonArgs& args) {
    const std::string path = (std::filesystem::path(*flags.sample_from) / "tiny_gpt.safetensors").string();
    LoadedGPT loaded = load_tiny_gpt(path);
    std::cout << lesson::tr("Lesson 10: writing with the saved model ", "第 10 课：用保存的模型写诗 ") << path << "\n";
    std::printf("  %s, %lld parameters\n\n", loaded.model.describe().c_str(),
                static_cast<long long>(loaded.model.num_parameters()));
    write_poems(loaded.model, loaded.tokens, {flags.prompt.value_or("")}, flags, args.seed);
    return 0;
}

// ---- 1. The corpus ------------------------------------------------------------------------------
PoemData read_poems(const Flags& flags, const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 1. The corpus ==\n", "== 1. 语料 ==\n");
    PoemData data = load_poem_data(flags.corpus, args.seed);
    if (data.generated)
        std::cout << lesson::tr("  no corpus at ", "  找不到语料 ") << flags.corpus
                  << lesson::tr(" (install it: sudo apt-get install fortunes-zh); using a generated stand-in\n",
                                "（安装：sudo apt-get install fortunes-zh）；改用生成的替代语料\n");
    const Corpus& corpus = data.corpus;
    const Split& split = data.split;
    const CharTokens& tokens = data.tokens;
    if (flags.prompt) prompt_ids(tokens, *flags.prompt);  // a prompt the model cannot read fails now, not after training
    const CorpusStats stats = corpus_stats(corpus.poems);
    std::printf("  read %s: %lld poems, %lld characters, %lld distinct; %lld malformed records skipped%s%s\n",
                corpus.source.c_str(), static_cast<long long>(stats.poems), static_cast<long long>(stats.characters),
                static_cast<long long>(stats.distinct), static_cast<long long>(corpus.malformed),
                corpus.malformed ? " (first: " : "", corpus.malformed ? (corpus.first_problem + ")").c_str() : "");
    Ids train_flat, heldout_flat;  // every poem's tokens, end to end
    for (const Ids& p : data.train) train_flat.insert(train_flat.end(), p.begin(), p.end());
    for (const Ids& p : data.heldout) heldout_flat.insert(heldout_flat.end(), p.begin(), p.end());
    std::printf("  split by seed: %zu training poems (%zu tokens), %zu held out (%zu tokens)\n", split.train.size(),
                train_flat.size(), split.validation.size(), heldout_flat.size());
    std::printf("  vocabulary: %lld tokens = 4 specials + line break + %lld characters seen twice or more in "
                "training; [UNK] is %.1f%% of held-out tokens\n\n",
                static_cast<long long>(tokens.size()), static_cast<long long>(tokens.size() - 5),
                100 * unknown_share(heldout_flat, tokens));
    return data;
}

// ---- 2. Baselines -------------------------------------------------------------------------------
// The unigram and bigram models with their held-out cross-entropies (nats per token).
struct Baselines {
    NGramModel unigram, bigram;
    double uni_nats, bi_nats;
};

Baselines count_baselines(const PoemData& data) {
    std::cout << lesson::tr("== 2. Baselines: counting characters and pairs ==\n", "== 2. 基线：数字频和字对 ==\n");
    Baselines b{choose_k(1, data.tokens.size(), data.train, data.heldout), choose_k(2, data.tokens.size(), data.train, data.heldout), 0, 0};
    std::int64_t scored = 0;
    b.uni_nats = b.unigram.cross_entropy(data.heldout, &scored);
    b.bi_nats = b.bigram.cross_entropy(data.heldout);
    std::printf("  held-out tokens scored: %lld (each poem's tokens after [BOS])\n", static_cast<long long>(scored));
    std::printf("  unigram (add-k, k = %g):  %.3f nats/token, perplexity %.0f\n", b.unigram.k(), b.uni_nats,
                perplexity(b.uni_nats));
    std::printf("  bigram  (add-k, k = %g):  %.3f nats/token, perplexity %.0f\n\n", b.bigram.k(), b.bi_nats,
                perplexity(b.bi_nats));
    return b;
}

// ---- 3. The GPT ---------------------------------------------------------------------------------
void train_and_score(nn::GPT& model, const PoemData& data, const Baselines& base, const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 3. The GPT: causal self-attention, next-character prediction ==\n",
                            "== 3. GPT：因果自注意力，预测下一个字 ==\n");
    TrainOptions train;
    train.steps = args.quick ? std::min<std::int64_t>(args.steps, 70) : args.steps;
    train.seed = args.seed;
    train.eval_every = args.quick ? 35 : 50;
    std::printf("  %s: %lld parameters\n", model.describe().c_str(), static_cast<long long>(model.num_parameters()));
    std::printf("  %lld steps of %lld poems each; AdamW lr %.0e (warmup %.0f%%, cosine "
                "to %.0f%%), weight decay %.1f, dropout %.1f, clip %.1f\n",
                static_cast<long long>(train.steps), static_cast<long long>(train.batch), train.lr, 100 * train.warmup_fraction,
                100 * train.final_lr_fraction, train.weight_decay, model.config().dropout, train.clip_norm);
    lesson::Progress progress(train.steps, "train");
    TrainCurves curves;
    const double train_seconds = lesson::cpu_seconds([&] {
        curves = train_gpt(model, data.train, data.heldout, train,
                           [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
    });
    progress.finish();
    for (std::size_t i = 0; i < curves.val_loss.size(); ++i)
        std::printf("  step %4.0f: held-out %.3f nats/token\n", curves.eval_steps[i], curves.val_loss[i]);
    const double gpt_nats = curves.val_loss.back();
    std::printf("  trained in %.1f CPU s\n\n", train_seconds);
    std::cout << lesson::tr("  held-out cross-entropy and perplexity:\n", "  验证集交叉熵与困惑度：\n");
    std::printf("    unigram  %.3f  %6.1f\n    bigram   %.3f  %6.1f\n    GPT      %.3f  %6.1f\n", base.uni_nats,
                perplexity(base.uni_nats), base.bi_nats, perplexity(base.bi_nats), gpt_nats, perplexity(gpt_nats));
    const double ratio = perplexity(gpt_nats) / perplexity(base.bi_nats);
    std::printf("  GPT perplexity / bigram perplexity = %.2f (pass: <= 0.80) %s\n", ratio,
                ratio <= 0.80 ? "ok" : "NOT YET");
    const std::string model_path = lesson::out_path(args, "tiny_gpt.safetensors");
    save_tiny_gpt(model_path, model, data.tokens, args.seed);
    std::cout << "wrote " << model_path << " (--sample-from " << args.out_dir << ")\n";
    {
        lesson::Series train_curve{"GPT, training batches (mean of 10)", curves.steps, lesson::smooth(curves.train_loss, 10)};
        lesson::Series val_curve{"GPT, held-out poems", curves.eval_steps, curves.val_loss};
        const double last = curves.steps.back();
        lesson::Series uni_line{"unigram, held-out", {1, last}, {base.uni_nats, base.uni_nats}};
        lesson::Series bi_line{"bigram, held-out", {1, last}, {base.bi_nats, base.bi_nats}};
        lesson::ChartOptions o;
        o.title = "Held-out cross-entropy: GPT vs counting";
        o.x_label = "training step";
        o.y_label = "nats per token";
        const std::string path = lesson::out_path(args, "loss_vs_baselines.svg");
        lesson::write_line_chart_svg(path, {train_curve, val_curve, uni_line, bi_line}, o);
        std::cout << "wrote " << path << "\n\n";
    }
}

// ---- 4. Writing ---------------------------------------------------------------------------------
void write_some(nn::GPT& model, const PoemData& data, const Flags& flags, const lesson::LessonArgs& args) {
    const Split& split = data.split;
    const CharTokens& tokens = data.tokens;
    std::cout << lesson::tr("== 4. Writing poems ==\n", "== 4. 写诗 ==\n");
    std::vector<std::string> prompts;
    if (flags.prompt) {
        prompts.push_back(*flags.prompt);
    } else {
        for (std::size_t i = 0; i < std::min<std::size_t>(2, split.validation.size()); ++i) {
            const std::string& body = split.validation[i].body;
            prompts.push_back(body.substr(0, body.find('\n')) + "\n");  // the first line of a held-out poem
        }
        prompts.push_back("");
    }
    nn::SamplingOptions greedy{0.0, 0, 1.0};
    std::cout << lesson::tr("  greedy (the most likely character every time):\n", "  贪心（每次取最可能的字）：\n");
    {
        Flags g = flags;
        g.sampling = greedy;
        g.length = std::min<std::int64_t>(flags.length, 60);  // it soon repeats itself
        write_poems(model, tokens, {prompts.back()}, g, args.seed + 1);
    }
    std::printf("  sampled (temperature %g, top-k %lld, top-p %g):\n", flags.sampling.temperature,
                static_cast<long long>(flags.sampling.top_k), flags.sampling.top_p);
    write_poems(model, tokens, prompts, flags, args.seed + 2);
    std::cout << "\n";
}

// ---- 5. The form of the lines -------------------------------------------------------------------
void line_forms(nn::GPT& model, const PoemData& data, const NGramModel& bigram, const lesson::LessonArgs& args) {
    const Split& split = data.split;
    const CharTokens& tokens = data.tokens;
    const std::int64_t samples = args.quick ? 8 : 32;
    std::cout << lesson::tr("== 5. Do the lines have 5 or 7 characters? ", "== 5. 每句是五言或七言吗？")
              << samples << lesson::tr(" poems per setting ==\n", " 首/设置 ==\n");
    LineForm real;
    for (const Poem& p : split.validation) real.add(line_form(p.body));
    std::printf("  held-out poems:                 %5.1f%% of %lld clauses\n", 100 * real.share(),
                static_cast<long long>(real.clauses));
    const std::vector<double> temperatures{0.5, 0.7, 0.9, 1.0, 1.2};
    lesson::Series gpt_series{"GPT", {}, {}}, nucleus_series{"GPT, top-p 0.9", {}, {}}, bigram_series{"bigram", {}, {}};
    for (double tau : temperatures) {
        for (int kind = 0; kind < 3; ++kind) {
            const nn::SamplingOptions s{tau, 0, kind == 1 ? 0.9 : 1.0};
            Generator gen(args.seed + 3);
            LineForm f;
            if (kind < 2) {
                const std::vector<Ids> starts(static_cast<std::size_t>(samples), Ids{tokens.bos_id()});
                for (const Ids& out : nn::generate(model, starts, writing_options(tokens, s, 200), gen))
                    f.add(line_form(tokens.decode(out)));
            } else {
                for (std::int64_t i = 0; i < samples; ++i)
                    f.add(line_form(tokens.decode(ngram_generate(bigram, {tokens.bos_id()}, writing_options(tokens, s, 200), gen))));
            }
            lesson::Series& series = kind == 0 ? gpt_series : kind == 1 ? nucleus_series : bigram_series;
            series.xs.push_back(tau), series.ys.push_back(100 * f.share());
            std::printf("  %-15s temperature %.1f: %5.1f%% of %lld clauses\n",
                        kind == 0 ? "GPT" : kind == 1 ? "GPT, top-p 0.9" : "bigram", tau, 100 * f.share(),
                        static_cast<long long>(f.clauses));
        }
    }
    {
        lesson::Series corpus_line{"held-out poems", {temperatures.front(), temperatures.back()},
                               {100 * real.share(), 100 * real.share()}};
        lesson::ChartOptions o;
        o.title = "Clauses of 5 or 7 characters, by temperature";
        o.x_label = "temperature";
        o.y_label = "% of clauses";
        o.y_min = 0;
        const std::string path = lesson::out_path(args, "line_form_vs_temperature.svg");
        lesson::write_line_chart_svg(path, {gpt_series, nucleus_series, bigram_series, corpus_line}, o);
        std::cout << "wrote " << path << "\n\n";
    }
}

// ---- 6. The KV cache ----------------------------------------------------------------------------
void time_the_cache(nn::GPT& model, const CharTokens& tokens, const lesson::LessonArgs& args) {
    std::cout << lesson::tr("== 6. The KV cache: 200 characters from [BOS], temperature 1 ==\n",
                            "== 6. KV 缓存：从 [BOS] 写 200 个字，温度 1 ==\n");
    {
        nn::GenerateOptions o = writing_options(tokens, {1.0, 0, 1.0}, 200);
        o.stop_id = -1;  // on past the end of a poem: 200 tokens whatever comes
        std::vector<std::vector<std::int64_t>> with, without;
        Generator a(args.seed + 4), b(args.seed + 4);
        o.use_cache = true;
        const double fast = lesson::cpu_seconds([&] { with = nn::generate(model, {{tokens.bos_id()}}, o, a); });
        o.use_cache = false;
        const double slow = lesson::cpu_seconds([&] { without = nn::generate(model, {{tokens.bos_id()}}, o, b); });
        std::printf("  without the cache %.0f CPU ms, with it %.0f (%.1fx less); the same %zu tokens: %s\n\n",
                    1e3 * slow, 1e3 * fast, slow / fast, with[0].size(), with == without ? "yes" : "NO");
    }
}

// ---- 7. Attention while writing -----------------------------------------------------------------
void attention_while_writing(nn::GPT& model, const PoemData& data, const Flags& flags, const lesson::LessonArgs& args) {
    const Split& split = data.split;
    const CharTokens& tokens = data.tokens;
    std::cout << lesson::tr("== 7. What each head looks at while writing the second line ==\n",
                            "== 7. 写第二句时，每个头在看什么 ==\n");
    {
        // A held-out poem's first line (the first of five-character clauses, or the model's own
        // with --prompt), then the model writes the second.
        std::string first_line = flags.prompt.value_or("");
        if (!flags.prompt)
            for (const Poem& p : split.validation) {
                const std::string line = p.body.substr(0, p.body.find('\n'));
                if (line_form(line).lengths.count(5) && line_form(line).clauses == line_form(line).lengths[5]) {
                    first_line = line + "\n";
                    break;
                }
            }
        Generator gen(args.seed + 5);
        Ids poem = prompt_ids(tokens, first_line);
        nn::GenerateOptions o = writing_options(tokens, {0.7, 0, 1.0}, 40);
        o.stop_id = tokens.newline_id();                   // one line at a time
        o.never.push_back(tokens.eos_id());                // and no end of the poem before two lines
        if (first_line.empty() || first_line.back() != '\n') {
            const Ids first = nn::generate(model, {poem}, o, gen)[0];
            poem.insert(poem.end(), first.begin(), first.end());
            if (poem.back() != tokens.newline_id()) poem.push_back(tokens.newline_id());  // 40 tokens and no line end
        }
        const Ids second = nn::generate(model, {poem}, o, gen)[0];
        poem.insert(poem.end(), second.begin(), second.end());
        std::cout << indented(tokens.decode(poem)) << "\n";
        const auto T = static_cast<std::int64_t>(poem.size());
        {
            nn::RecordAttention record;  // the layers keep this forward's weights
            nn::EvalGuard eval(model);
            NoGradGuard no_grad;
            model(from_vector(poem, {1, T}));  // the weights the cache computed, row by row (causal)
        }
        const std::vector<Tensor> weights = model.attention_weights();  // per layer (1, H, T, T)
        std::int64_t line1 = 1, line2 = -1;  // token index where each line starts
        for (std::int64_t i = 0; i < T; ++i)
            if (poem[static_cast<std::size_t>(i)] == tokens.newline_id()) { line2 = i + 1; break; }
        if (line2 < 0 || line2 >= T) fail("part 7", "the first line has no line break after it");
        std::vector<std::vector<Tensor>> grid;  // the rows of line 2 only: (T - line2, T) per head
        for (const Tensor& w : weights) {
            std::vector<Tensor> row;
            for (std::int64_t h = 0; h < w.size(1); ++h) row.push_back(w.select(0, 0).select(0, h).narrow(0, line2, T - line2));
            grid.push_back(row);
        }
        // Two things a head may look back at while line 2 is written. The query reading offset j
        // of line 2 predicts offset j + 1: (a) the character above that one in line 1 (offset
        // j + 1 there) says what comes, a clause's end or not yet; (b) the punctuation and line
        // breaks so far mark where clauses began, from which a head can count.
        const auto is_mark = [&](std::int64_t k) {
            const std::string& t = tokens.vocab().token(poem[static_cast<std::size_t>(k)]);
            return t == "，" || t == "。" || t == "？" || t == "！" || t == "；" || t == line_break;
        };
        double uniform_above = 0, uniform_marks = 0;  // what attention spread evenly over the q + 1 keys gives
        std::int64_t above_n = 0, marks_n = 0;
        for (std::int64_t q = line2; q < T - 1; ++q) {
            std::int64_t marks = 0;
            for (std::int64_t k = 0; k <= q; ++k) marks += is_mark(k);
            uniform_marks += static_cast<double>(marks) / static_cast<double>(q + 1), ++marks_n;
            if (line1 + (q - line2) + 1 < line2 - 1) uniform_above += 1.0 / static_cast<double>(q + 1), ++above_n;
        }
        std::printf("  attention of line 2's positions, mean per head (above: on the character above the one "
                    "predicted; marks: on the ，。↵ so far)\n");
        std::printf("  (spread evenly it would be: above %.3f, marks %.3f)\n", uniform_above / std::max<double>(1, static_cast<double>(above_n)),
                    uniform_marks / std::max<double>(1, static_cast<double>(marks_n)));
        double best = -1;
        std::int64_t best_layer = 0, best_head = 0;
        for (std::size_t l = 0; l < weights.size(); ++l) {
            for (std::int64_t h = 0; h < weights[l].size(1); ++h) {
                double above = 0, marks = 0;
                for (std::int64_t q = line2; q < T - 1; ++q) {
                    for (std::int64_t k = 0; k <= q; ++k)
                        if (is_mark(k)) marks += weights[l].at({0, h, q, k});
                    if (line1 + (q - line2) + 1 < line2 - 1) above += weights[l].at({0, h, q, line1 + (q - line2) + 1});
                }
                above /= std::max<double>(1, static_cast<double>(above_n));
                marks /= std::max<double>(1, static_cast<double>(marks_n));
                if (marks > best) best = marks, best_layer = static_cast<std::int64_t>(l), best_head = h;
                std::printf("    layer %zu head %lld:  above %.3f  marks %.3f\n", l, static_cast<long long>(h), above, marks);
            }
        }
        const std::vector<std::string> names = labels(tokens, poem);
        const std::vector<std::string> rows(names.begin() + line2, names.end());
        std::printf("  layer %lld head %lld, rows = the character being read in line 2 (it predicts the next one):\n",
                    static_cast<long long>(best_layer), static_cast<long long>(best_head));
        // At most the last 45 keys fit a terminal (two columns a character); the SVG has them all.
        const std::int64_t shown = std::min<std::int64_t>(T, 45);
        if (shown < T) std::printf("  (the last %lld of %lld keys)\n", static_cast<long long>(shown), static_cast<long long>(T));
        const Tensor& map = grid[static_cast<std::size_t>(best_layer)][static_cast<std::size_t>(best_head)];
        std::cout << lesson::terminal_heatmap(map.narrow(1, T - shown, shown), rows,
                                          std::vector<std::string>(names.end() - shown, names.end()));
        lesson::GridOptions g;
        g.title = "Attention while writing the second line (rows: the character read; columns: the poem so far)";
        g.row_labels = rows;
        g.col_labels = names;
        g.vmin = 0;
        g.vmax = 1;
        const std::string path = lesson::out_path(args, "attention_while_writing.svg");
        lesson::write_heatmap_grid_svg(path, grid, g);
        std::cout << "wrote " << path << "\n";
    }
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const lesson::LessonInfo info{
        "10_tiny_gpt",
        "a tiny GPT (decoder-only Transformer) that writes Tang poems, against unigram and bigram baselines",
        300,
        {{"corpus", "the poems, a fortune file (default /usr/share/games/fortunes/tang300, from apt-get install "
                    "fortunes-zh; without it a generated stand-in)"},
         {"prompt", "the start of the poems written in part 4 (default: first lines of held-out poems)"},
         {"temperature", "sampling temperature for part 4, >= 0 (0: greedy; default 0.8)"},
         {"top-k", "keep the k most likely characters when sampling, 0: off (default 0)"},
         {"top-p", "nucleus sampling: keep the most likely characters up to this mass, in (0, 1] (default 1: off)"},
         {"length", "most characters written per poem in part 4 (default 200)"},
         {"sample-from", "a folder holding tiny_gpt.safetensors (a previous run's --out): write from --prompt and "
                         "exit, without training"}}};
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    Flags flags;
    const auto number = [&](const std::string& name, double lo, double hi, double& out) -> bool {
        const auto it = args.extra.find(name);
        if (it == args.extra.end()) return true;
        std::size_t used = 0;
        try {
            out = std::stod(it->second, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        return used != 0 && used == it->second.size() && out >= lo && out <= hi;
    };
    double temperature = flags.sampling.temperature, top_k = 0, top_p = 1, length = 200;
    if (!number("temperature", 0, 100, temperature))
        return lesson::flag_error(info, "--temperature must be a number in [0, 100], got '" + args.extra.at("temperature") + "'");
    if (!number("top-k", 0, 1e6, top_k) || top_k != std::floor(top_k))
        return lesson::flag_error(info, "--top-k must be a whole number >= 0, got '" + args.extra.at("top-k") + "'");
    if (!number("top-p", 0, 1, top_p) || top_p == 0)
        return lesson::flag_error(info, "--top-p must be a number in (0, 1], got '" + args.extra.at("top-p") + "'");
    if (!number("length", 1, 255, length) || length != std::floor(length))
        return lesson::flag_error(info, "--length must be a whole number in [1, 255], got '" + args.extra.at("length") + "'");
    flags.sampling = {temperature, static_cast<std::int64_t>(top_k), top_p};
    flags.length = static_cast<std::int64_t>(length);
    if (args.extra.count("corpus")) {
        flags.corpus = args.extra.at("corpus");
        // Only the default path falls back to the generated stand-in: a mistyped --corpus is an error.
        if (!std::filesystem::exists(flags.corpus))
            return lesson::flag_error(info, "--corpus: no file '" + flags.corpus + "'");
    }
    if (args.extra.count("prompt")) {
        flags.prompt = args.extra.at("prompt");
        if (!nn::utf8::is_valid(*flags.prompt)) return lesson::flag_error(info, "--prompt is not valid UTF-8");
        if (nn::utf8::decode(*flags.prompt).size() > 40)
            return lesson::flag_error(info, "--prompt may hold at most 40 characters");
    }
    if (args.extra.count("sample-from")) flags.sample_from = args.extra.at("sample-from");
    try {
        lesson::out_path(args, "");  // an unwritable --out fails here, before any work
        if (flags.sample_from) return sample_only(flags, args);

        std::cout << lesson::tr("Lesson 10: a tiny GPT writes Tang poems (seed ", "第 10 课：一个小 GPT 写唐诗（种子 ")
                  << args.seed << lesson::tr(")\n\n", "）\n\n");

        const PoemData data = read_poems(flags, args);
        const Baselines base = count_baselines(data);
        Generator init(args.seed);
        nn::GPT model(tiny_gpt_config(data.tokens.size()), init);
        train_and_score(model, data, base, args);
        write_some(model, data, flags, args);
        line_forms(model, data, base.bigram, args);
        time_the_cache(model, data.tokens, args);
        attention_while_writing(model, data, flags, args);
    } catch (const std::exception& e) {
        std::cerr << "lesson10: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
