// Lesson 08: attention beyond text. A Vision Transformer (视觉Transformer) on generated images,
// local (局部注意力) versus global attention (全局注意力) on a task that needs the far end of the
// sequence, and what ablating BERT's heads says about reading attention maps (可解释性).
//
//   1. a tiny ViT: patches as tokens (a Linear that is a strided convolution), [CLS], learned
//      positions, lesson 06's pre-norm encoder; against a bag-of-patches baseline; the
//      article's image "attention" run as written
//   2. local versus global: four models on "find the marked symbol among 64", the receptive
//      field of a band, cost counted and timed from T = 64 to 4096, the masks, the maps
//   3. head ablation on lesson 07's tiny BERT: which heads matter, and do they look it?
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "lessons/08_vision_and_local_attention/cost.hpp"
#include "lessons/08_vision_and_local_attention/experiments.hpp"
#include "lessons/08_vision_and_local_attention/head_ablation.hpp"
#include "lessons/08_vision_and_local_attention/overlay.hpp"
#include "lessons/08_vision_and_local_attention/settings.hpp"
#include "lessons/08_vision_and_local_attention/shapes.hpp"
#include "lessons/08_vision_and_local_attention/vision.hpp"
#include "lessons/08_vision_and_local_attention/exercises/local_vision.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/mine.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "lessons/common/progress.hpp"
#include "nn/attention/masks.hpp"
#include "nn/attention/recording.hpp"
#include "tensor/atomic_file.hpp"

using namespace qkv;
using namespace qkv::lesson08;

namespace {

using Written = std::vector<std::string>;

long long ll(std::int64_t v) { return static_cast<long long>(v); }

// ---- part 1 ----------------------------------------------------------------------------------

void show_images(const ShapeImages& data) {
    // One image of each class side by side, one character per pixel.
    std::vector<std::string> lines(kImageSide + 1);
    for (std::int64_t k = 0; k < kShapeClasses; ++k) {
        char head[32];
        std::snprintf(head, sizeof head, "%-18s", shape_names()[static_cast<std::size_t>(k)].c_str());
        lines[0] += head;
        const std::vector<double> px = data.images.select(0, k).to_vector<double>();
        for (std::int64_t r = 0; r < kImageSide; ++r) {
            std::string row = "|";
            for (std::int64_t c = 0; c < kImageSide; ++c) {
                const double v = std::clamp(px[static_cast<std::size_t>(r * kImageSide + c)], 0.0, 0.999);
                row += " .:-=+*#%@"[static_cast<int>(v * 10)];
            }
            lines[static_cast<std::size_t>(r + 1)] += row + "| ";
        }
    }
    for (const std::string& l : lines) std::cout << "  " << l << "\n";
}

void show_patch_embedding(const nn::VisionTransformer& vit, const ShapeImages& data, bool mine) {
    const Tensor images = data.images.narrow(0, 0, 8).contiguous();  // (8, 1, 16, 16)
    const PatchConvComparison c = compare_patch_embedding_with_conv(vit.patch_embed, images);
    std::cout << "patch embedding (nn::PatchEmbedding), two ways on 8 images:\n";
    std::cout << "  patchify (reshape + permute) then Linear(16 -> 32): " << shape_str(c.linear_shape) << "\n";
    std::cout << "  Conv2d(1 -> 32, kernel 4, stride 4), the Linear's weight as its kernel: " << shape_str(c.conv_shape)
              << ", flattened to (B, N, D)\n";
    std::printf("  largest difference: %.2g (float32 rounding: the same sums in another order)\n", c.max_abs_difference);
    if (mine) {  // exercise 08.1
        const Tensor yours = exercises::patchify(images, vit.patch_embed.patch());
        const Tensor ours = nn::patchify(Var(images), vit.patch_embed.patch()).data();
        const double diff = max(abs(sub(yours.contiguous(), ours))).item();
        std::printf("  --mine: your patchify (exercise 08.1) gives %s, largest difference from nn::patchify %.2g\n",
                    shape_str(yours.shape()).c_str(), diff);
    }
    std::cout << "\n";
}

void show_article_code(std::uint64_t seed) {
    std::cout << "the article's AttentionImageClassification (解码注意力Attention机制, 五), run as written:\n";
    for (const std::int64_t side : {12, 16}) {
        const ArticleImageAttention r = run_article_image_attention(side, seed);
        std::printf("  %lldx%lld input -> after two 3x3 convs %lldx%lld = %lld positions: ", ll(side), ll(side),
                    ll(side - 4), ll(side - 4), ll(r.spatial));
        if (!r.ran) {
            std::cout << "Linear(64, 1) on the position axis fails:\n    " << r.error << "\n";
            continue;
        }
        std::cout << "weights " << shape_str(r.weights_shape);
        std::printf(", softmax(dim=2) over that size-1 axis: every weight is %.6f..%.6f;\n"
                    "    the \"attended\" features differ from a plain sum over positions by %.2g\n",
                    r.min_weight, r.max_weight, r.max_difference_from_sum);
    }
    std::cout << "\n";
}

Tensor cls_rows_of_last_layer(nn::VisionTransformer& vit, const Tensor& image) {  // image (1, S, S) -> (H, N)
    {
        nn::RecordAttention record;  // the layers keep this forward's weights
        nn::EvalGuard eval(vit);
        NoGradGuard no_grad;
        (void)vit.forward(Var(image.unsqueeze(0)));
    }
    const Tensor a = vit.attention_weights().back().select(0, 0);  // (H, N+1, N+1)
    return a.select(1, 0).narrow(1, 1, a.size(2) - 1).contiguous();  // (H, N): [CLS] over the patches
}

void part1(const LessonSettings& s, const lesson::LessonArgs& args, bool mine, Written& written) {
    std::cout << "== 1. A tiny Vision Transformer on 16x16 shapes ==\n";
    const VisionData data = make_vision_data(s, args.seed);
    const ShapeImages& heldout = data.heldout;
    std::printf("%lld training images, %lld held-out images (generated apart), 5 classes; one of each:\n",
                ll(s.train_images), ll(s.heldout_images));
    show_images(heldout);
    VisionModels models(s, args.seed);
    nn::VisionTransformer& vit = models.vit;
    nn::BagOfPatches& baseline = models.baseline;
    show_patch_embedding(vit, heldout, mine);
    show_article_code(args.seed);

    std::printf("ViT: %lld patches of 4x4 + [CLS] = %lld tokens, width %lld, %lld heads, %lld pre-norm layers, FFN %lld: "
                "%lld parameters\n",
                ll(s.vit.num_patches()), ll(s.vit.num_patches() + 1), ll(s.vit.d_model), ll(s.vit.num_heads),
                ll(s.vit.num_layers), ll(s.vit.d_ff), ll(vit.num_parameters()));
    std::printf("baseline: the same patch embedding, GELU(Linear %lld -> %lld) on each patch, mean over patches, Linear -> 5: "
                "%lld parameters\n",
                ll(s.vit.d_model), ll(s.vit.d_ff), ll(baseline.num_parameters()));
    std::printf("training: %lld steps of %lld images, Adam lr %.0e, warmup then cosine decay\n", ll(s.vit_train.steps),
                ll(s.vit_train.batch_size), s.vit_train.lr);
    TrainResult vit_run, base_run;
    {
        lesson::Progress progress(s.vit_train.steps, "ViT", std::cout);
        vit_run = train_vit(models, data, s.vit_train,
                                   [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
    }
    {
        lesson::Progress progress(s.baseline_train.steps, "bag of patches", std::cout);
        base_run = train_baseline(models, data, s.baseline_train,
                                    [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
    }
    std::printf("held-out accuracy on %lld images:\n  ViT             %.3f\n  bag of patches  %.3f   (no attention, no "
                "positions: %.1f points behind)\n",
                ll(s.heldout_images), vit_run.heldout_accuracy, base_run.heldout_accuracy,
                100 * (vit_run.heldout_accuracy - base_run.heldout_accuracy));

    // The [CLS] attention of the last layer on one image of each class.
    std::vector<OverlaySample> samples;
    for (std::int64_t k = 0; k < kShapeClasses; ++k) {
        const Tensor image = heldout.images.select(0, k);  // (1, S, S)
        OverlaySample o;
        o.image = image.select(0, 0);
        o.cls_attention = cls_rows_of_last_layer(vit, image);
        o.caption = shape_names()[static_cast<std::size_t>(k)];
        samples.push_back(o);
    }
    const Tensor cross = samples[2].cls_attention;  // (H, N)
    std::cout << "\nthe [CLS] query of the last layer on the cross above, each head's weights on the 4x4 patch grid:\n";
    lesson::TerminalHeatmapOptions to;
    to.vmin = 0;
    for (std::int64_t h = 0; h < cross.size(0); ++h) {
        std::cout << "head " << h << ":\n" << lesson::terminal_heatmap(cross.select(0, h).reshape({4, 4}), {"r0", "r1", "r2", "r3"},
                                                                  {"c0", "c1", "c2", "c3"}, to);
    }
    const std::string overlay = lesson::out_path(args, "vit_cls_attention.svg");
    write_file_atomically(overlay, attention_overlay_svg(samples, s.vit.patch_size,
                                                         "ViT: where [CLS] looks in the last layer (orange = more weight)"));
    written.push_back(overlay);

    const Tensor sim = position_similarity(vit);  // (N, N)
    const std::int64_t g = s.vit.image_size / s.vit.patch_size;
    const GridScore gs = grid_score(sim, g);
    std::printf("\nlearned position embeddings: cosine similarity of grid neighbours %.3f, of all other pairs %.3f\n",
                gs.neighbours, gs.others);
    std::vector<std::vector<Tensor>> grid(static_cast<std::size_t>(g));
    std::vector<std::string> names;
    for (std::int64_t n = 0; n < g * g; ++n) names.push_back("r" + std::to_string(n / g) + "c" + std::to_string(n % g));
    for (std::int64_t n = 0; n < g * g; ++n) grid[static_cast<std::size_t>(n / g)].push_back(sim.select(0, n).reshape({g, g}));
    lesson::GridOptions go;
    go.title = "Position embeddings: each patch's similarity to every other, laid out on the image grid";
    go.row_titles = {"row 0", "row 1", "row 2", "row 3"};
    go.col_titles = {"col 0", "col 1", "col 2", "col 3"};
    go.vmin = -1, go.vmax = 1;
    go.cell_size = 14;
    const std::string grid_path = lesson::out_path(args, "vit_position_similarity_grid.svg");
    lesson::write_heatmap_grid_svg(grid_path, grid, go);
    lesson::HeatmapOptions ho;
    ho.title = "Cosine similarity of the learned position embeddings (patches row by row)";
    ho.row_labels = names, ho.col_labels = names;
    ho.vmin = -1, ho.vmax = 1;
    ho.cell_size = 22;
    const std::string sim_path = lesson::out_path(args, "vit_position_similarity.svg");
    lesson::write_heatmap_svg(sim_path, sim, ho);
    lesson::ChartOptions co;
    co.title = "Part 1: training loss (running mean of 20 steps)";
    co.x_label = "step", co.y_label = "cross-entropy";
    co.log_y = true;
    const std::string loss_path = lesson::out_path(args, "vit_training_loss.svg");
    lesson::write_line_chart_svg(loss_path,
                             {{"ViT", vit_run.steps, smooth(vit_run.loss, 20)},
                              {"bag of patches", base_run.steps, smooth(base_run.loss, 20)}},
                             co);
    written.insert(written.end(), {sim_path, grid_path, loss_path});
    std::cout << "\n";
}

// ---- part 2 ----------------------------------------------------------------------------------

std::string shade_row(const std::vector<double>& w) {
    std::string s;
    double top = 0;
    for (double v : w) top = std::max(top, v);
    for (double v : w) s += " .:-=+*#%@"[std::min(9, static_cast<int>(10 * v / (top > 0 ? top : 1)))];
    return s;
}

void part2(const LessonSettings& s, const lesson::LessonArgs& args, bool mine, Written& written) {
    const LongRangeConfig& c = s.long_range;
    std::cout << "== 2. Local versus global attention: find the marked symbol among " << c.seq_len << " ==\n";
    const LongRangeData data = make_long_range_data(s, args.seed);
    const MarkedSequences& heldout = data.heldout;
    const std::vector<std::int64_t> ids = heldout.ids.select(0, 0).to_vector<std::int64_t>();
    std::cout << "an example (the answer is the starred symbol, read at [CLS]):\n ";
    for (std::int64_t id : ids) std::cout << " " << token_label(id, c.symbols);
    std::printf("\n  -> %c (at position %lld)\n", static_cast<char>('a' + heldout.labels.data<std::int64_t>()[0]),
                ll(heldout.mark_pos.data<std::int64_t>()[0]));

    const std::int64_t reach = mine ? exercises::band_reach(c.num_layers, c.window)  // exercise 08.3
                                    : nn::attention::band_reach(c.num_layers, c.window);
    std::int64_t reachable_marks = 0;
    for (std::int64_t p = 1; p < c.tokens(); ++p)
        reachable_marks += nn::attention::reachable(c.tokens(), c.window, {}, c.num_layers, 0, p);
    const double ceiling = (static_cast<double>(reachable_marks) + static_cast<double>(c.seq_len - reachable_marks) /
                                                                         static_cast<double>(c.symbols)) /
                           static_cast<double>(c.seq_len);
    std::printf("receptive field of a band of +-w after L layers: reach L*w = %lld*%lld = %lld positions each side, "
                "field 2Lw+1 = %lld\n",
                ll(c.num_layers), ll(c.window), ll(reach), ll(2 * reach + 1));
    std::printf("  [CLS] at 0 can hear from positions 1..%lld: %lld of the %lld places the mark can be (walked through the "
                "mask: nn::attention::reachable);\n  the best a local model can do is those, and a 1-in-%lld guess "
                "elsewhere: accuracy %.3f\n",
                ll(reach), ll(reachable_marks), ll(c.seq_len), ll(c.symbols), ceiling);
    std::printf("  with [CLS] global (band_global_mask), every position is 1 hop from it: %s\n\n",
                nn::attention::reachable(c.tokens(), c.window, {0}, 1, 0, c.seq_len) ? "reachable in 1 layer" : "NOT reachable");

    const std::vector<AttentionKind> kinds = {AttentionKind::Global, AttentionKind::Local, AttentionKind::GlobalLocal,
                                              AttentionKind::LocalGlobalTokens};
    std::printf("four models, each: width %lld, %lld heads, %lld pre-norm layers, FFN %lld; %lld steps of %lld, Adam lr "
                "%.0e\n",
                ll(c.d_model), ll(c.num_heads), ll(c.num_layers), ll(c.d_ff), ll(s.long_train.steps),
                ll(s.long_train.batch_size), s.long_train.lr);
    std::vector<std::vector<Tensor>> cls_rows;  // [model][layer] -> (T) the [CLS] row, head-averaged
    std::vector<std::string> row_names;
    Tensor cls_map = zeros({static_cast<std::int64_t>(kinds.size()) * c.num_layers, c.tokens()});
    std::vector<lesson::Series> curves;
    for (std::size_t m = 0; m < kinds.size(); ++m) {
        LongRangeClassifier model = make_long_range_model(kinds[m], s, args.seed);
        if (mine && kinds[m] != AttentionKind::Global)  // exercises 08.2 and 08.4: your masks train the models
            model.set_mask(kinds[m] == AttentionKind::LocalGlobalTokens
                               ? exercises::band_global_mask(c.tokens(), c.window, {0})
                               : exercises::band_mask(c.tokens(), c.window));
        TrainResult run;
        {
            lesson::Progress progress(s.long_train.steps, kind_name(kinds[m]), std::cout);
            run = train_long_range(model, data, s.long_train,
                                   [&](std::int64_t step, double loss) { progress.update(step, {{"loss", loss}}); });
        }
        std::printf("  %-13s %lld parameters   held-out accuracy %.3f", kind_name(kinds[m]), ll(model.num_parameters()),
                    run.heldout_accuracy);
        if (kinds[m] == AttentionKind::GlobalLocal) {
            std::cout << "   learned lambda (weight of global) per layer:";
            for (double l : model.global_weights()) std::printf(" %.3f", l);
        }
        std::cout << "\n";
        curves.push_back({kind_name(kinds[m]), run.steps, smooth(run.loss, 20)});
        {
            nn::RecordAttention record;
            NoGradGuard no_grad;
            model.eval();
            (void)model.forward(heldout.ids.narrow(0, 0, 1).contiguous());
        }
        const std::vector<Tensor> maps = model.attention_weights();
        for (std::size_t l = 0; l < maps.size(); ++l) {
            const Tensor row = mean(maps[l].select(0, 0), {0}).select(0, 0);  // (T): [CLS] row, mean of heads
            copy_(cls_map.select(0, static_cast<std::int64_t>(m * maps.size() + l)), row);
            row_names.push_back(std::string(kind_name(kinds[m])) + " L" + std::to_string(l));
        }
    }
    const std::int64_t mark = heldout.mark_pos.data<std::int64_t>()[0];
    std::cout << "\nthe [CLS] query's weights on the example (mean of heads, each row scaled to its largest), mark at "
              << mark << ":\n";
    for (std::int64_t r = 0; r < cls_map.size(0); ++r) {
        std::printf("  %-17s |%s|\n", row_names[static_cast<std::size_t>(r)].c_str(),
                    shade_row(cls_map.select(0, r).to_vector<double>()).c_str());
    }
    std::printf("  %-17s  %s^\n\n", "", std::string(static_cast<std::size_t>(mark), ' ').c_str());

    std::vector<std::string> tok;
    for (std::int64_t id : ids) tok.push_back(token_label(id, c.symbols));
    lesson::HeatmapOptions ho;
    ho.title = "Where [CLS] looks, each model and layer (mean of heads); the mark is " + tok[static_cast<std::size_t>(mark)];
    ho.row_labels = row_names, ho.col_labels = tok;
    ho.x_label = "key", ho.y_label = "model, layer";
    ho.vmin = 0, ho.vmax = 1;
    ho.cell_size = 13;
    const std::string cls_path = lesson::out_path(args, "long_range_cls_attention.svg");
    lesson::write_heatmap_svg(cls_path, cls_map, ho);
    lesson::HeatmapOptions mo;
    mo.vmin = 0, mo.vmax = 1;
    mo.cell_size = 16;
    mo.x_label = "key", mo.y_label = "query";
    mo.title = "band_mask(16, 2): yellow = masked (true), dark = may attend";
    const std::string band_path = lesson::out_path(args, "mask_band.svg");
    lesson::write_heatmap_svg(band_path, nn::attention::band_mask(16, 2), mo);
    mo.title = "band_global_mask(16, 2, {0}): token 0 sees all keys, all queries see it";
    const std::string global_path = lesson::out_path(args, "mask_band_global.svg");
    lesson::write_heatmap_svg(global_path, nn::attention::band_global_mask(16, 2, {0}), mo);
    lesson::ChartOptions co;
    co.title = "Part 2: training loss (running mean of 20 steps)";
    co.x_label = "step", co.y_label = "cross-entropy";
    co.log_y = true;
    const std::string loss_path = lesson::out_path(args, "long_range_training_loss.svg");
    lesson::write_line_chart_svg(loss_path, curves, co);
    written.insert(written.end(), {band_path, global_path, cls_path, loss_path});

    // Cost as T grows.
    const std::int64_t d = c.d_model / c.num_heads;
    const std::vector<CostRow> rows = attention_cost(s.cost_lengths, c.window, d, 1, args.seed);
    std::printf("cost of one head (d = %lld) as T grows: scores computed, FLOPs (4 d per score), and time (best of a few; "
                "a shared machine: the times vary from run to run)\n",
                ll(d));
    std::printf("  %6s  %12s %9s %9s  %12s %10s  %10s %9s\n", "T", "global", "local", "local+G", "global FLOPs",
                "local", "global ms", "local ms");
    std::vector<double> ts, gsc, lsc, lgsc, gms, lms;
    for (const CostRow& r : rows) {
        std::printf("  %6lld  %12lld %9lld %9lld  %12.3g %10.3g  %10.3f %9.3f\n", ll(r.T), ll(r.global_scores),
                    ll(r.local_scores), ll(r.local_global_scores), r.global_flops, r.local_flops, r.global_ms, r.local_ms);
        ts.push_back(static_cast<double>(r.T));
        gsc.push_back(static_cast<double>(r.global_scores) / static_cast<double>(r.T));
        lsc.push_back(static_cast<double>(r.local_scores) / static_cast<double>(r.T));
        lgsc.push_back(static_cast<double>(r.local_global_scores) / static_cast<double>(r.T));
        gms.push_back(r.global_ms);
        lms.push_back(r.local_ms);
    }
    std::printf("  per token: global scores T keys; local at most 2w+1 = %lld; local+[CLS] about 2w+3\n\n",
                ll(2 * c.window + 1));
    lesson::ChartOptions sc;
    sc.title = "Scores computed per token (counted)";
    sc.x_label = "sequence length T";
    sc.y_label = "scores per token";
    sc.log_y = true;
    const std::string scores_path = lesson::out_path(args, "cost_scores_per_token.svg");
    lesson::write_line_chart_svg(scores_path,
                             {{"global", ts, gsc}, {"local, w = 2", ts, lsc}, {"local + 1 global token", ts, lgsc}}, sc);
    sc.title = "Time of one attention (measured, best of a few runs)";
    sc.y_label = "milliseconds";
    const std::string time_path = lesson::out_path(args, "cost_time.svg");
    lesson::write_line_chart_svg(time_path, {{"global (all T^2 scores)", ts, gms}, {"sliding window, w = 2", ts, lms}}, sc);
    written.insert(written.end(), {scores_path, time_path});
}

// ---- part 3 ----------------------------------------------------------------------------------

void part3(const LessonSettings& s, const lesson::LessonArgs& args, Written& written) {
    std::cout << "== 3. Reading attention maps: ablating each head of lesson 07's tiny BERT ==\n";
    const lesson07::LessonData data =
        lesson07::make_lesson_data(args.seed, s.bert_train_docs, s.bert_heldout_docs, s.bert_vocab);
    nn::BertForPreTraining model = lesson07::make_tiny_bert(data.tokenizer.vocab().size(), args.seed);
    lesson07::PretrainOptions p = s.pretrain;
    p.seed = args.seed;
    std::printf("pre-training (lesson07::pretrain, MLM + NSP): %lld documents, %lld steps of %lld pairs\n",
                ll(s.bert_train_docs), ll(p.steps), ll(p.batch_size));
    {
        lesson::Progress progress(p.steps, "pre-train", std::cout);
        lesson07::pretrain(model, data, p, [&](std::int64_t step, double mlm, double nsp) {
            progress.update(step, {{"mlm", mlm}, {"nsp", nsp}});
        });
    }
    const lesson07::HeldoutPairs heldout = lesson07::make_heldout_pairs(data, s.bert_heldout_pairs, args.seed);
    const AblationResult r = ablate_heads(model, data, heldout);
    std::printf("held-out masked-token accuracy %.3f on %lld pairs; each head zeroed in turn (its W_o columns):\n",
                r.base_accuracy, ll(s.bert_heldout_pairs));
    std::printf("  %-6s %9s %7s %15s %13s\n", "head", "accuracy", "drop", "mean max weight", "entropy (nats)");
    const nn::BertConfig& c = model.config();
    Tensor drops = zeros({c.num_hidden_layers, c.num_attention_heads}, DType::Float64);
    Tensor peaks = zeros({c.num_hidden_layers, c.num_attention_heads}, DType::Float64);
    std::vector<double> drop, peak;
    for (const HeadReport& h : r.heads) {
        std::printf("  L%lld H%lld  %9.3f %+7.3f %15.3f %13.3f\n", ll(h.layer), ll(h.head), h.ablated_accuracy, h.drop,
                    h.mean_max_weight, h.mean_entropy);
        drops.data<double>()[h.layer * c.num_attention_heads + h.head] = h.drop;
        peaks.data<double>()[h.layer * c.num_attention_heads + h.head] = h.mean_max_weight;
        drop.push_back(h.drop);
        peak.push_back(h.mean_max_weight);
    }
    auto top = [&](const std::vector<double>& v) {
        std::vector<std::size_t> order(v.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] > v[b]; });
        std::string out;
        for (std::size_t i = 0; i < 3 && i < order.size(); ++i)
            out += (i ? ", " : "") + std::string("L") + std::to_string(r.heads[order[i]].layer) + " H" +
                   std::to_string(r.heads[order[i]].head);
        return out;
    };
    std::printf("the 3 heads that matter most (largest drop): %s\n", top(drop).c_str());
    std::printf("the 3 most peaked heads (largest mean max weight): %s\n", top(peak).c_str());
    std::printf("Spearman rank correlation of drop and peakedness over the %zu heads: %+.2f\n\n", drop.size(),
                spearman(drop, peak));
    std::vector<std::string> layers, heads;
    for (std::int64_t l = 0; l < c.num_hidden_layers; ++l) layers.push_back("layer " + std::to_string(l));
    for (std::int64_t h = 0; h < c.num_attention_heads; ++h) heads.push_back("head " + std::to_string(h));
    lesson::HeatmapOptions ho;
    ho.title = "Masked-token accuracy lost when the head is zeroed";
    ho.row_labels = layers, ho.col_labels = heads;
    ho.show_values = true;
    ho.cell_size = 60;
    ho.vmin = 0;
    const std::string drop_path = lesson::out_path(args, "bert_head_ablation.svg");
    lesson::write_heatmap_svg(drop_path, drops, ho);
    ho.title = "How peaked each head's maps are (mean largest weight of a row)";
    ho.vmin = 0, ho.vmax = 1;
    const std::string peak_path = lesson::out_path(args, "bert_head_peakedness.svg");
    lesson::write_heatmap_svg(peak_path, peaks, ho);
    written.insert(written.end(), {drop_path, peak_path});
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const LessonSettings defaults;
    const lesson::LessonInfo info{
        "08_vision_and_local_attention",
        "a tiny Vision Transformer, local versus global attention, and BERT head ablation (--mine: with your "
        "exercise 08.1-08.4 functions)",
        defaults.vit_train.steps,
        {{"part", "run one part only: 1 (ViT), 2 (local vs global) or 3 (head ablation); default all"}}};
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    LessonSettings s = args.quick ? LessonSettings::quick() : defaults;
    if (args.steps != defaults.vit_train.steps) {  // --steps sets the ViT's and baseline's steps
        s.vit_train.steps = args.steps, s.baseline_train.steps = args.steps;
    }
    s.vit_train.seed = s.baseline_train.seed = s.long_train.seed = args.seed;
    std::string part = args.extra.count("part") ? args.extra.at("part") : "all";
    if (part != "all" && part != "1" && part != "2" && part != "3")
        return lesson::flag_error(info, "--part must be 1, 2, 3 or all, got '" + part + "'");

    std::printf("Lesson 08: attention beyond text: a Vision Transformer, local versus global attention, head ablation "
                "(seed %llu)\n\n",
                static_cast<unsigned long long>(args.seed));
    return lesson::run_mine(mine, [&] {
        Written written;
        if (part == "all" || part == "1") part1(s, args, mine, written);
        if (part == "all" || part == "2") part2(s, args, mine, written);
        if (part == "all" || part == "3") part3(s, args, written);
        std::cout << "wrote:\n";
        for (const std::string& p : written) std::cout << "  " << p << "\n";
        return 0;
    });
}
int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
