// Lesson 08's invariants, quick: the data generators, what a band lets a model see (nothing
// beyond its receptive field leaks in), the article's image "attention" being a plain sum, the
// patch embedding equal to a convolution, head ablation that disconnects exactly one head.
#include <doctest/doctest.h>

#include <cmath>

#include "lessons/08_vision_and_local_attention/cost.hpp"
#include "lessons/08_vision_and_local_attention/experiments.hpp"
#include "lessons/08_vision_and_local_attention/head_ablation.hpp"
#include "lessons/08_vision_and_local_attention/vision.hpp"
#include "nn/attention/masks.hpp"

using namespace qkv;
using namespace qkv::lesson08;

namespace {

double max_diff(const Tensor& a, const Tensor& b) {
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    REQUIRE(x.size() == y.size());
    double m = 0;
    for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
    return m;
}

Tensor logits(LongRangeClassifier& model, const Tensor& ids) {
    NoGradGuard no_grad;
    model.eval();
    return model.forward(ids).data();
}

}  // namespace

TEST_SUITE("lesson08") {

TEST_CASE("lesson08: shape images are balanced, seeded, and differ between seeds") {
    const ShapeImages a = make_shape_images(50, 3), b = make_shape_images(50, 3), c = make_shape_images(50, 4);
    CHECK(a.images.shape() == Shape{50, 1, 16, 16});
    CHECK(max_diff(a.images, b.images) == 0.0);
    CHECK(max_diff(a.images, c.images) > 0.1);
    std::vector<int> count(kShapeClasses, 0);
    for (std::int64_t l : a.labels.to_vector<std::int64_t>()) ++count[static_cast<std::size_t>(l)];
    for (int n : count) CHECK(n == 10);
    // Every image has a stroke: some pixel well above the noise.
    for (std::int64_t n = 0; n < 50; ++n) CHECK(max(a.images.select(0, n)).item() > 0.6);
}

TEST_CASE("lesson08: each marked sequence has one mark, and its label is the marked symbol") {
    LongRangeConfig c;
    const MarkedSequences d = make_marked_sequences(200, 1, c);
    CHECK(d.ids.shape() == Shape{200, 65});
    const std::vector<std::int64_t> ids = d.ids.to_vector<std::int64_t>(), labels = d.labels.to_vector<std::int64_t>(),
                                    pos = d.mark_pos.to_vector<std::int64_t>();
    std::vector<int> where(65, 0);
    for (std::size_t n = 0; n < 200; ++n) {
        CHECK(ids[n * 65] == 0);  // [CLS]
        int marks = 0;
        for (std::size_t t = 1; t < 65; ++t) {
            const std::int64_t id = ids[n * 65 + t];
            CHECK((id >= 1 && id <= 16));
            if (id > 8) {
                ++marks;
                CHECK(static_cast<std::int64_t>(t) == pos[n]);
                CHECK(id - 9 == labels[n]);
            }
        }
        CHECK(marks == 1);
        ++where[static_cast<std::size_t>(pos[n])];
    }
    int far = 0;
    for (std::size_t t = 5; t < 65; ++t) far += where[t];
    CHECK(far > 150);  // most marks lie beyond the local model's reach of 4
}

TEST_CASE("lesson08: a local model's [CLS] output ignores tokens beyond its receptive field; a global token's does not") {
    LessonSettings s;
    const LongRangeConfig& c = s.long_range;
    const std::int64_t reach = nn::attention::band_reach(c.num_layers, c.window);  // 4
    const MarkedSequences d = make_marked_sequences(4, 2, c);
    Tensor changed = d.ids.clone();
    for (std::int64_t n = 0; n < 4; ++n) {
        std::int64_t* row = changed.data<std::int64_t>() + n * 65;
        row[reach + 1] = row[reach + 1] % 8 + 1;  // a different plain symbol just outside the field
        row[40] = row[40] > 8 ? row[40] : row[40] % 8 + 1;
    }
    LongRangeClassifier local = make_long_range_model(AttentionKind::Local, s, 0);
    CHECK(max_diff(logits(local, d.ids), logits(local, changed)) == 0.0);
    Tensor inside = d.ids.clone();
    for (std::int64_t n = 0; n < 4; ++n) {
        std::int64_t* row = inside.data<std::int64_t>() + n * 65;
        row[reach] = row[reach] % 8 + 1 + (row[reach] > 8 ? 8 : 0);  // inside the field: must matter
    }
    CHECK(max_diff(logits(local, d.ids), logits(local, inside)) > 1e-6);
    for (AttentionKind k : {AttentionKind::Global, AttentionKind::GlobalLocal, AttentionKind::LocalGlobalTokens}) {
        LongRangeClassifier m = make_long_range_model(k, s, 0);
        INFO(kind_name(k));
        CHECK(max_diff(logits(m, d.ids), logits(m, changed)) > 1e-6);
    }
}

TEST_CASE("lesson08: the four models have the same size, up to the learned lambda") {
    LessonSettings s;
    LongRangeClassifier g = make_long_range_model(AttentionKind::Global, s, 0);
    LongRangeClassifier l = make_long_range_model(AttentionKind::Local, s, 0);
    LongRangeClassifier gl = make_long_range_model(AttentionKind::GlobalLocal, s, 0);
    LongRangeClassifier lg = make_long_range_model(AttentionKind::LocalGlobalTokens, s, 0);
    CHECK(g.num_parameters() == l.num_parameters());
    CHECK(g.num_parameters() == lg.num_parameters());
    CHECK(gl.num_parameters() == g.num_parameters() + s.long_range.num_layers);
    CHECK(gl.global_weights() == std::vector<double>{0.5, 0.5});
}

TEST_CASE("lesson08: the article's image attention is a plain sum, and breaks unless H'W' = 64") {
    const ArticleImageAttention ok = run_article_image_attention(12, 0);
    REQUIRE(ok.ran);
    CHECK(ok.weights_shape == Shape{2, 64, 1});
    CHECK(ok.min_weight == 1.0);
    CHECK(ok.max_weight == 1.0);
    CHECK(ok.max_difference_from_sum == 0.0);
    const ArticleImageAttention bad = run_article_image_attention(16, 0);
    CHECK_FALSE(bad.ran);
    CHECK(bad.spatial == 144);
    CHECK(bad.error.find("144") != std::string::npos);
}

TEST_CASE("lesson08: the ViT's patch embedding equals its convolution, and position similarity is a cosine") {
    LessonSettings s;
    VisionModels m(s, 0);
    const ShapeImages img = make_shape_images(4, 0);
    const PatchConvComparison c = compare_patch_embedding_with_conv(m.vit.patch_embed, img.images);
    CHECK(c.linear_shape == Shape{4, 16, 32});
    CHECK(c.conv_shape == Shape{4, 32, 4, 4});
    CHECK(c.max_abs_difference < 1e-5);
    const Tensor sim = position_similarity(m.vit);
    CHECK(sim.shape() == Shape{16, 16});
    for (std::int64_t i = 0; i < 16; ++i) CHECK(sim.select(0, i).select(0, i).item() == doctest::Approx(1.0));
    CHECK(max_diff(sim, sim.transpose(0, 1).contiguous()) < 1e-12);
}

TEST_CASE("lesson08: grid_score separates a grid-shaped similarity from a flat one") {
    // Similarity falling with grid distance: neighbours score higher than the rest.
    std::vector<double> v;
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j) v.push_back(std::exp(-(std::abs(i / 4 - j / 4) + std::abs(i % 4 - j % 4))));
    const GridScore g = grid_score(from_vector(v, {16, 16}), 4);
    CHECK(g.neighbours == doctest::Approx(std::exp(-1.0)));
    CHECK(g.others < g.neighbours);
}

TEST_CASE("lesson08: zeroing a head's W_o columns disconnects exactly that head, and restoring undoes it") {
    const lesson07::LessonData data = lesson07::make_lesson_data(0, 20, 10, 120);
    nn::BertForPreTraining model = lesson07::make_tiny_bert(data.tokenizer.vocab().size(), 0);
    model.eval();
    const lesson07::HeldoutPairs held = lesson07::make_heldout_pairs(data, 8, 0);
    auto run = [&] {
        NoGradGuard no_grad;
        return model.forward(held.masked.input_ids, held.batch.token_type_ids, held.batch.padding_mask).mlm_logits.data();
    };
    const Tensor before = run();
    const Tensor w_o = model.bert.encoder.layer[1].attention_output.weight.data().clone();
    const Tensor saved = zero_head(model, 1, 2);
    const Tensor ablated = run();
    CHECK(max_diff(before, ablated) > 1e-6);
    // With head 2 of layer 1 cut off, its value projection no longer matters.
    const Tensor& wv = model.bert.encoder.layer[1].value.weight.data();  // (D, D): rows 32..47 feed head 2
    copy_(wv.narrow(0, 32, 16), randn({16, 64}));
    CHECK(max_diff(ablated, run()) < 1e-6);
    copy_(wv.narrow(0, 16, 16), randn({16, 64}));  // head 1's rows: still connected
    CHECK(max_diff(ablated, run()) > 1e-6);
    restore_head(model, 1, 2, saved);
    CHECK(max_diff(model.bert.encoder.layer[1].attention_output.weight.data(), w_o) == 0.0);
    CHECK_THROWS_WITH_AS(zero_head(model, 2, 0), doctest::Contains("no head 0 in layer 2"), Error);
}

TEST_CASE("lesson08: spearman ranks with ties") {
    CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == doctest::Approx(1.0));
    CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == doctest::Approx(-1.0));
    CHECK(spearman({1, 1, 2, 3}, {5, 5, 6, 7}) == doctest::Approx(1.0));
    CHECK_THROWS_AS(spearman({1}, {1}), Error);
}

TEST_CASE("lesson08: cost counts match the masks, also past the size where the lesson stops building them") {
    const std::vector<CostRow> rows = attention_cost({64, 2048}, 2, 16, 1, 0, false);
    CHECK(rows[0].global_scores == 64 * 64);
    CHECK(rows[0].local_scores == 64 * 5 - 6);
    CHECK(rows[0].local_global_scores ==
          nn::attention::open_scores(nn::attention::band_global_mask(64, 2, {0})));
    CHECK(rows[1].local_global_scores ==
          nn::attention::open_scores(nn::attention::band_global_mask(2048, 2, {0})));
    CHECK(rows[1].global_flops == 4.0 * 16 * 2048 * 2048);
}

}  // TEST_SUITE
