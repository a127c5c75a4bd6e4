// Lesson 07: a tiny BERT (双向编码器), pre-trained (预训练) on a generated corpus with masked
// language modelling (掩码语言模型) and next-sentence prediction (下一句预测), then fine-tuned
// (微调) on a task with 100 labels, once from the pre-trained weights and once from scratch.
//
//   1. the corpus: a small world of facts, documents, a WordPiece vocabulary
//   2. BERT's masking: 15% of the tokens, of those 80% [MASK], 10% random, 10% kept
//   3. pre-training: MLM + NSP; held-out masked-token and next-sentence accuracy; checkpoint
//   4. what it learned: masked words filled in, every head of every layer on one input
//   5. fine-tuning with 100 labels: pre-trained versus from scratch, 3 seeds
//
// --load-hf DIR --fill TEXT instead runs a real BERT checkpoint (Hugging Face layout).
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "lessons/07_tiny_bert/exercises/masking.hpp"
#include "lessons/07_tiny_bert/exercises/mlm_loss.hpp"
#include "lessons/07_tiny_bert/fill_mask.hpp"
#include "lessons/07_tiny_bert/finetune.hpp"
#include "lessons/07_tiny_bert/pretrain.hpp"
#include "lessons/07_tiny_bert/settings.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/smooth.hpp"
#include "lessons/common/mine.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"
#include "nn/attention/recording.hpp"
#include "nn/bert/hf_checkpoint.hpp"

using namespace qkv;
using namespace qkv::lesson07;

namespace {

std::string join(const std::vector<std::string>& words) {
    std::string s;
    for (const std::string& w : words) s += (s.empty() ? "" : " ") + w;
    return s;
}

void show_corpus(const LessonData& data) {
    std::cout << lesson::tr("== 1. The corpus: ", "== 1. 语料:") << animals().size()
              << lesson::tr(" animals, 4 facts each ==\n", " 种动物,每种 4 条事实 ==\n");
    for (const Animal& a : animals())
        std::printf("  %-6s %-7s eats %-7s lives in the %-7s fears the %s\n", a.singular.c_str(), a.sound_s.c_str(),
                    a.food.c_str(), a.home.c_str(), animals()[static_cast<std::size_t>(a.fears)].singular.c_str());
    std::cout << data.train.docs.size() << " training documents, " << data.heldout.docs.size()
              << " held-out documents (generated apart). Two of them:\n";
    for (std::size_t d = 0; d < 2; ++d) {
        std::cout << "  doc " << d << ":";
        for (const Sentence& s : data.train.docs[d].sentences) std::cout << " " << s.text << ".";
        std::cout << "\n";
    }
    const nn::Vocab& vocab = data.tokenizer.vocab();
    std::vector<std::string> seen, split;
    for (const Document& d : data.train.docs)
        for (const Sentence& s : d.sentences)
            for (const std::string& w : data.tokenizer.basic().tokenize(s.text))
                if (std::find(seen.begin(), seen.end(), w) == seen.end()) {
                    seen.push_back(w);
                    if (!vocab.contains(w)) split.push_back(w);
                }
    std::cout << "WordPiece vocabulary (nn::build_wordpiece_vocab): " << vocab.size() << " tokens for " << seen.size()
              << " distinct words; " << split.size() << " words are split into pieces, e.g.";
    for (std::size_t i = 0; i < std::min<std::size_t>(4, split.size()); ++i)
        std::cout << (i ? ", " : " ") << split[i] << " = " << join(data.tokenizer.tokenize(split[i]));
    std::cout << "\n";
    std::cout << "most frequent token of the training corpus: \""
              << vocab.token(most_frequent_token(data.train)) << "\"\n\n";
}

void show_masking(const LessonData& data, std::uint64_t seed) {
    std::cout << lesson::tr("== 2. BERT's masking (nn::mask_tokens) ==\n", "== 2. BERT 的掩码(nn::mask_tokens) ==\n");
    const nn::Vocab& vocab = data.tokenizer.vocab();
    Generator gen(seed + 77);
    std::vector<SentencePair> pairs;
    for (int i = 0; i < 4000; ++i) pairs.push_back(sample_pair(data.train, gen));
    const Batch batch = make_pair_batch(pairs, vocab);
    const nn::MaskedTokens m = nn::mask_tokens(batch.input_ids, vocab, gen);
    const auto ids = batch.input_ids.to_vector<std::int64_t>();
    const auto shown = m.input_ids.to_vector<std::int64_t>();
    const auto chosen = m.chosen.to_vector<std::uint8_t>();
    std::int64_t candidates = 0, n_chosen = 0, n_mask = 0, n_random = 0, n_kept = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        candidates += !vocab.is_special(ids[i]);
        if (!chosen[i]) continue;
        ++n_chosen;
        if (shown[i] == vocab.mask_id()) ++n_mask;
        else if (shown[i] != ids[i]) ++n_random;
        else ++n_kept;
    }
    const std::int64_t T = batch.input_ids.size(1);
    std::vector<std::string> orig, seen, marks;
    for (std::int64_t t = 0; t < T; ++t) {
        const auto i = static_cast<std::size_t>(t);
        if (ids[i] == vocab.pad_id()) break;
        orig.push_back(vocab.token(ids[i]));
        seen.push_back(vocab.token(shown[i]));
        marks.push_back(chosen[i] ? "^" : "");
    }
    std::cout << "  pair:     " << join(orig) << "   (NSP label " << pairs[0].is_random_next
              << (pairs[0].is_random_next ? ", NotNext)\n" : ", IsNext)\n");
    std::cout << "  input:    " << join(seen) << "\n  targets:  ";
    for (std::size_t i = 0; i < orig.size(); ++i)
        if (!marks[i].empty()) std::cout << orig[i] << " (shown as " << seen[i] << ")  ";
    std::printf("\n  over %zu pairs: %lld of %lld ordinary tokens chosen (%.1f%%); of those [MASK] %.1f%%, random "
                "%.1f%%, kept %.1f%%\n\n",
                pairs.size(), static_cast<long long>(n_chosen), static_cast<long long>(candidates),
                100.0 * static_cast<double>(n_chosen) / static_cast<double>(candidates),
                100.0 * static_cast<double>(n_mask) / static_cast<double>(n_chosen),
                100.0 * static_cast<double>(n_random) / static_cast<double>(n_chosen),
                100.0 * static_cast<double>(n_kept) / static_cast<double>(n_chosen));
}

using lesson::smooth;

void pretrain_and_report(nn::BertForPreTraining& model, const LessonData& data, const LessonSettings& s,
                         const lesson::LessonArgs& args, std::vector<std::string>& written) {
    const nn::BertConfig& c = model.config();
    std::printf(lesson::tr("== 3. Pre-training: MLM + NSP ==\nmodel: BertForPreTraining, %lld layers, width %lld, %lld heads, "
                           "FFN %lld, vocab %lld: %lld parameters\n",
                           "== 3. 预训练:MLM + NSP ==\n模型:BertForPreTraining,%lld 层,宽 %lld,%lld 个头,"
                           "FFN %lld,词表 %lld:%lld 个参数\n"),
                static_cast<long long>(c.num_hidden_layers), static_cast<long long>(c.hidden_size),
                static_cast<long long>(c.num_attention_heads), static_cast<long long>(c.intermediate_size),
                static_cast<long long>(c.vocab_size), static_cast<long long>(model.num_parameters()));
    std::printf("training: %lld steps of %lld pairs, AdamW (weight decay %.2f), warmup %.0f%% then linear decay from "
                "lr %.0e, dropout %.1f, clip norm %.1f\n",
                static_cast<long long>(s.pretrain.steps), static_cast<long long>(s.pretrain.batch_size),
                s.pretrain.weight_decay, 100 * s.pretrain.warmup_fraction, s.pretrain.lr, c.hidden_dropout_prob,
                s.pretrain.clip_norm);
    PretrainCurves curves;
    {
        const char* label = s.pretrain.mlm_loss ? "pre-train (your masking and loss)" : "pre-train";
        lesson::Progress progress(s.pretrain.steps, label, std::cout);
        curves = pretrain(model, data, s.pretrain, [&](std::int64_t step, double mlm, double nsp) {
            progress.update(step, {{"mlm", mlm}, {"nsp", nsp}});
        });
    }
    const HeldoutPairs heldout = make_heldout_pairs(data, s.heldout_pairs, args.seed);
    const PretrainMetrics m = evaluate_pretraining(model, data, heldout);
    std::printf(lesson::tr("held-out, %lld pairs from the held-out documents (new pairings of sentences seen in training), %lld "
                           "chosen positions:\n",
                           "留出集:来自留出文档的 %lld 个句子对(训练中见过的句子的新配对),%lld 个被选中的位置:\n"),
                static_cast<long long>(s.heldout_pairs), static_cast<long long>(m.chosen_positions));
    std::printf("  masked-token accuracy  %.3f   (loss %.3f; at [MASK] %.3f, at a random token %.3f, at a kept token %.3f)\n",
                m.mlm_accuracy, m.mlm_loss, m.accuracy_masked, m.accuracy_random, m.accuracy_kept);
    std::printf("  at fact words          %.3f   (%lld of the positions: an animal, food, home or sound to recall)\n",
                m.fact_accuracy, static_cast<long long>(m.fact_positions));
    std::printf("  most-frequent baseline %.3f   (always \"%s\"): the model is %.1fx better\n", m.baseline_accuracy,
                m.baseline_token.c_str(), m.mlm_accuracy / m.baseline_accuracy);
    std::printf(lesson::tr("  next-sentence accuracy %.3f   (half the pairs IsNext, half NotNext)\n",
                           "  下一句预测准确率 %.3f   (一半句子对是 IsNext,一半是 NotNext)\n"),
                m.nsp_accuracy);

    lesson::ChartOptions o;
    o.title = "Pre-training loss (running mean of 20 steps)";
    o.x_label = "step";
    o.y_label = "cross-entropy";
    o.log_y = true;
    const std::string path = lesson::out_path(args, "pretraining_loss.svg");
    lesson::write_line_chart_svg(path,
                             {{"MLM (chosen positions)", curves.steps, smooth(curves.mlm_loss, 20)},
                              {"NSP", curves.steps, smooth(curves.nsp_loss, 20)}},
                             o);
    written.push_back(path);
    const std::string dir = lesson::out_path(args, "pretrained");
    nn::save_hf_pretrained(dir, model, data.tokenizer.vocab());
    std::cout << lesson::tr("saved the pre-trained model to ", "预训练模型已保存到 ") << dir
              << lesson::tr("/ (config.json, vocab.txt, model.safetensors: Hugging Face's names)\n\n",
                            "/(config.json、vocab.txt、model.safetensors:Hugging Face 的命名)\n\n");
}

void show_what_it_learned(nn::BertForPreTraining& model, const LessonData& data, const lesson::LessonArgs& args,
                          std::vector<std::string>& written) {
    std::cout << lesson::tr("== 4. What pre-training put in the weights ==\n", "== 4. 预训练往权重里放了什么 ==\n");
    for (const char* text : {"the cat eats [MASK]", "[MASK] is what the horse eats", "the [MASK] lives in the hive",
                             "cows [MASK] when they are hungry", "the lion is afraid of the [MASK]"}) {
        std::cout << "\"" << text << "\"\n" << format_fill(fill_masks(model, data.tokenizer, text, 3));
    }

    // Every head of every layer on one input: a fact to recall in segment A, its animal in B.
    const std::string a = "the [MASK] is afraid of the bee", b = "lions eat meat";
    const nn::BertEncoding enc = data.tokenizer.encode_pair(a, b, model.config().max_position_embeddings);
    const auto T = static_cast<std::int64_t>(enc.input_ids.size());
    const std::vector<std::string> tokens = data.tokenizer.vocab().tokens(enc.input_ids);
    {
        nn::RecordAttention record;  // the layers keep this forward's weights
        nn::EvalGuard eval(model);
        NoGradGuard no_grad;
        model.forward(from_vector(enc.input_ids, {1, T}), from_vector(enc.token_type_ids, {1, T}));
    }
    const std::vector<Tensor> attention = model.attention_weights();  // per layer (1, H, T, T)
    const std::int64_t L = model.config().num_hidden_layers, H = model.config().num_attention_heads;
    std::vector<std::vector<Tensor>> grid;
    Tensor cls_rows = zeros({L * H, T});  // the [CLS] query's row of every head
    std::vector<std::string> head_names;
    for (std::int64_t l = 0; l < L; ++l) {
        grid.emplace_back();
        for (std::int64_t h = 0; h < H; ++h) {
            const Tensor w = attention[static_cast<std::size_t>(l)].select(0, 0).select(0, h);  // (T, T)
            grid.back().push_back(w);
            copy_(cls_rows.select(0, l * H + h), w.select(0, 0));
            head_names.push_back("L" + std::to_string(l) + " H" + std::to_string(h));
        }
    }
    std::cout << "\nattention on \"[CLS] " << a << " [SEP] " << b << " [SEP]\"; the [CLS] query's weights, one row per "
              << "layer and head:\n";
    lesson::TerminalHeatmapOptions to;
    to.vmin = 0, to.vmax = 1;
    std::cout << lesson::terminal_heatmap(cls_rows, head_names, tokens, to);

    lesson::GridOptions go;
    go.title = "Every head of every layer (rows: queries, columns: keys)";
    go.row_labels = tokens;
    go.col_labels = tokens;
    go.vmin = 0, go.vmax = 1;
    const std::string grid_path = lesson::out_path(args, "attention_heads.svg");
    lesson::write_heatmap_grid_svg(grid_path, grid, go);
    lesson::HeatmapOptions ho;
    ho.title = "[CLS] attention: what the pooled vector reads";
    ho.row_labels = head_names;
    ho.col_labels = tokens;
    ho.x_label = "key";
    ho.y_label = "layer, head";
    ho.vmin = 0, ho.vmax = 1;
    const std::string cls_path = lesson::out_path(args, "cls_attention.svg");
    lesson::write_heatmap_svg(cls_path, cls_rows, ho);
    written.push_back(grid_path);
    written.push_back(cls_path);
    std::cout << "\n";
}

void finetune_and_report(nn::BertForPreTraining& model, const nn::BertTokenizer& tokenizer, const LessonSettings& s,
                         const lesson::LessonArgs& args, std::vector<std::string>& written) {
    const FinetuneOptions& f = s.finetune;
    std::printf(lesson::tr("== 5. Fine-tuning: is the sentence true? %lld labelled sentences, %lld held out ==\n",
                           "== 5. 微调:这个句子是真的吗?%lld 个标注句子,%lld 个留出 ==\n"),
                static_cast<long long>(f.train_examples), static_cast<long long>(f.eval_examples));
    std::printf("each arm: %lld steps of %lld, AdamW lr %.0e, warmup %.0f%% then linear decay; seeds %llu..%llu\n",
                static_cast<long long>(f.steps), static_cast<long long>(f.batch_size), f.lr, 100 * f.warmup_fraction,
                static_cast<unsigned long long>(args.seed),
                static_cast<unsigned long long>(args.seed + static_cast<std::uint64_t>(f.seeds) - 1));
    const FinetuneComparison c = compare_finetuning(
        model.config(), model, tokenizer, f, args.seed, [](const std::string& arm, std::uint64_t seed, const FinetuneRun& r) {
            std::printf("  seed %llu  %-12s held-out accuracy %.3f (train loss at the end %.3f)\n",
                        static_cast<unsigned long long>(seed), arm.c_str(), r.final_accuracy, r.train_loss.back());
            std::fflush(stdout);
        });
    std::printf(lesson::tr("mean of %lld seeds: pre-trained %.3f, from scratch %.3f: pre-training adds %.1f points\n",
                           "%lld 个种子的均值:预训练 %.3f,从头训练 %.3f:预训练多出 %.1f 个百分点\n"),
                static_cast<long long>(f.seeds), c.mean_pretrained, c.mean_scratch,
                100 * (c.mean_pretrained - c.mean_scratch));
    std::cout << "  e.g. \"" << c.eval.texts[0] << "\" (true), \"" << c.eval.texts[1] << "\" (false)\n";

    auto mean_curve = [](const std::vector<FinetuneRun>& runs) {
        std::vector<double> ys(runs[0].eval_accuracy.size(), 0.0);
        for (const FinetuneRun& r : runs)
            for (std::size_t i = 0; i < ys.size(); ++i) ys[i] += r.eval_accuracy[i] / static_cast<double>(runs.size());
        return ys;
    };
    std::vector<lesson::Series> series = {{"from pre-trained (mean)", c.pretrained[0].eval_steps, mean_curve(c.pretrained)},
                                      {"from scratch (mean)", c.scratch[0].eval_steps, mean_curve(c.scratch)}};
    for (std::size_t k = 0; k < c.pretrained.size(); ++k) {
        series.push_back({"pre-trained, seed " + std::to_string(args.seed + k), c.pretrained[k].eval_steps,
                          c.pretrained[k].eval_accuracy});
        series.push_back(
            {"scratch, seed " + std::to_string(args.seed + k), c.scratch[k].eval_steps, c.scratch[k].eval_accuracy});
    }
    lesson::ChartOptions o;
    o.title = "Fine-tuning with 100 labels: held-out accuracy";
    o.x_label = "step";
    o.y_label = "accuracy";
    o.y_min = 0.4, o.y_max = 1.0;
    o.width = 760;
    const std::string path = lesson::out_path(args, "finetuning_curves.svg");
    lesson::write_line_chart_svg(path, series, o);
    written.push_back(path);
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const LessonSettings defaults;
    const lesson::LessonInfo info{
        "07_tiny_bert",
        "a tiny BERT pre-trained with MLM + NSP on a generated corpus, fine-tuned with 100 labels vs from scratch "
        "(--mine: pre-train with your own masking and MLM loss, EXERCISES.md 07.1 and 07.2)",
        defaults.pretrain.steps,
        {{"finetune-from", "skip pre-training: fine-tune from a checkpoint folder the lesson saved (OUT/pretrained)"},
         {"finetune-steps", "fine-tuning steps of each run (default 150)"},
         {"load-hf", "run a BERT checkpoint folder (config.json, vocab.txt, model.safetensors) on --fill and exit"},
         {"fill", "with --load-hf: a sentence with [MASK] words to fill in (default \"the [MASK] eats fish\")"}},
        {},
        true};
    // --mine (EXERCISES.md): pre-train with your own masking and MLM loss (exercises 07.1, 07.2).
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    LessonSettings s = args.quick ? LessonSettings::quick() : defaults;
    if (mine) {
        // The exercises it needs, in order: the first unsolved one is named before any work starts.
        if (const int rc = lesson::run_mine(true, [] { return exercises::probe_mine(), 0; })) return rc;
        s.pretrain.mask_tokens = [](const Tensor& ids, const nn::Vocab& v, Generator& g) {
            return exercises::mask_tokens(ids, v, g);
        };
        s.pretrain.mlm_loss = exercises::masked_lm_loss;
    }
    if (args.extra.count("fill") && !args.extra.count("load-hf"))
        return lesson::flag_error(info, "--fill needs --load-hf DIR");
    if (args.extra.count("finetune-steps")) {
        const std::string& v = args.extra.at("finetune-steps");
        const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), s.finetune.steps);
        if (ec != std::errc() || end != v.data() + v.size() || s.finetune.steps < 1)
            return lesson::flag_error(info, "--finetune-steps needs a whole number >= 1, got '" + v + "'");
    }
    if (args.extra.count("load-hf")) {
        try {
            const std::string text = args.extra.count("fill") ? args.extra.at("fill") : "the [MASK] eats fish";
            run_load_hf(args.extra.at("load-hf"), text, std::cout);
            return 0;
        } catch (const std::exception& e) {  // qkv::Error, and std::bad_alloc from a model too big to build
            std::cerr << "lesson07: " << e.what() << "\n";
            return 1;
        }
    }
    s.pretrain.steps = args.quick ? std::min(args.steps, s.pretrain.steps) : args.steps;
    s.pretrain.seed = args.seed;
    s.pretrain.checkpoint = {lesson::out_path(args, "pretraining_checkpoint.safetensors"), args.checkpoint_every, args.resume};

    std::printf(lesson::tr("Lesson 07: a tiny BERT, pre-trained and fine-tuned (seed %llu)\n\n",
                           "第 07 课:一个小小的 BERT,预训练与微调(种子 %llu)\n\n"),
                static_cast<unsigned long long>(args.seed));
    std::vector<std::string> written;
    try {
        if (args.extra.count("finetune-from")) {
            nn::HfBert hf = nn::load_hf_pretrained(args.extra.at("finetune-from"));
            std::cout << "loaded the pre-trained model from " << args.extra.at("finetune-from") << "\n\n";
            finetune_and_report(hf.model, hf.tokenizer, s, args, written);
        } else {
            const LessonData data = make_lesson_data(args.seed, s.train_docs, s.heldout_docs, s.vocab_size);
            show_corpus(data);
            show_masking(data, args.seed);
            nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), args.seed);
            pretrain_and_report(model, data, s, args, written);
            show_what_it_learned(model, data, args, written);
            finetune_and_report(model, data.tokenizer, s, args, written);
        }
    } catch (const std::exception& e) {
        std::cerr << "lesson07: " << e.what() << "\n";
        return 1;
    }
    std::cout << "\nwrote:\n";
    for (const std::string& p : written) std::cout << "  " << p << "\n";
    return 0;
}

int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
