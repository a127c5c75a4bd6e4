// The pieces lesson 08 teaches: patch embedding (a reshape + Linear that equals a strided
// convolution), the ViT classifier, band and band + global-token masks, sliding-window
// attention, and the article's weighted sum of global and local attention.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/helpers.hpp"
#include "nn/attention/recording.hpp"
#include "nn/attention/global_local.hpp"
#include "nn/attention/masks.hpp"
#include "nn/attention/sliding_window.hpp"
#include "nn/vision/vit.hpp"
#include "tests/testing_nn.hpp"

using namespace qkv;
using qkv::test::f64;
using namespace qkv::nn;
using qkv::test::check_gradients;
using qkv::test::check_module_gradients;
using qkv::test::parameter_slots;

namespace {

double max_diff(const Tensor& a, const Tensor& b) {
    REQUIRE(a.shape() == b.shape());
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double m = 0;
    for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
    return m;
}

// mask[i][j] read back as plain numbers.
bool at(const Tensor& mask, std::int64_t i, std::int64_t j) { return mask.select(0, i).select(0, j).item() != 0; }

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("band_mask hides exactly the keys farther than w from the query") {
    const Tensor m = attention::band_mask(7, 2);
    CHECK(m.dtype() == DType::Bool);
    CHECK(m.shape() == Shape{7, 7});
    for (std::int64_t i = 0; i < 7; ++i)
        for (std::int64_t j = 0; j < 7; ++j) CHECK_MESSAGE(at(m, i, j) == (std::abs(i - j) > 2), "i=" << i << " j=" << j);
    CHECK(attention::open_scores(attention::band_mask(5, 0)) == 5);        // the diagonal only
    CHECK(attention::open_scores(attention::band_mask(5, 4)) == 25);       // w >= T-1: global
    CHECK(attention::open_scores(attention::band_mask(5, 100)) == 25);
    for (std::int64_t T : {1, 2, 7, 64})
        for (std::int64_t w : {0, 1, 2, 5})
            CHECK(attention::band_scores(T, w) == attention::open_scores(attention::band_mask(T, w)));
    CHECK(attention::band_scores(64, 2) == 64 * 5 - 6);  // the ends lose 2 + 1 scores on each side
}

TEST_CASE("band_global_mask opens the rows and columns of the global tokens") {
    const Tensor m = attention::band_global_mask(9, 1, {0, 5});
    for (std::int64_t i = 0; i < 9; ++i)
        for (std::int64_t j = 0; j < 9; ++j) {
            const bool global = i == 0 || j == 0 || i == 5 || j == 5;
            CHECK_MESSAGE(at(m, i, j) == (!global && std::abs(i - j) > 1), "i=" << i << " j=" << j);
        }
    CHECK(attention::open_scores(attention::band_global_mask(9, 1, {})) == attention::band_scores(9, 1));
    CHECK(attention::open_scores(attention::band_global_mask(9, 1, {3, 3})) ==
          attention::open_scores(attention::band_global_mask(9, 1, {3})));
}

TEST_CASE("masks refuse bad sizes and positions with clear messages") {
    CHECK_THROWS_WITH_AS(attention::band_mask(0, 2), "band_mask: T must be >= 1, got 0", Error);
    CHECK_THROWS_WITH_AS(attention::band_mask(4, -1), "band_mask: the half-width w must be >= 0, got -1", Error);
    CHECK_THROWS_WITH_AS(attention::band_global_mask(4, 1, {4}),
                         "band_global_mask: global position 4 lies outside [0, 4)", Error);
    CHECK_THROWS_WITH_AS(attention::band_global_mask(4, 1, {-1}), doctest::Contains("global position -1"), Error);
    CHECK_THROWS_WITH_AS(attention::open_scores(zeros({3, 3})), doctest::Contains("expected a (T, T) bool mask"), Error);
    CHECK_THROWS_AS(attention::band_reach(-1, 2), Error);
    CHECK_THROWS_AS(attention::reachable(8, 1, {}, 2, 8, 0), Error);
}

TEST_CASE("the receptive field of stacked band layers grows by w per layer, and a global token bridges it") {
    CHECK(attention::band_reach(2, 2) == 4);
    CHECK(attention::band_reach(3, 5) == 15);
    CHECK(attention::band_reach(0, 5) == 0);
    // The walk through the mask agrees with the formula: position 0 hears exactly 1..L w.
    for (std::int64_t L : {1, 2, 3})
        for (std::int64_t w : {1, 2})
            for (std::int64_t key = 0; key < 20; ++key)
                CHECK_MESSAGE(attention::reachable(20, w, {}, L, 0, key) == (key <= L * w), "L=" << L << " w=" << w << " key=" << key);
    // A global token at 10: 19 reaches 0 in two hops (19 -> 10 -> 0), never in one.
    CHECK_FALSE(attention::reachable(20, 1, {10}, 1, 0, 19));
    CHECK(attention::reachable(20, 1, {10}, 2, 0, 19));
    CHECK(attention::reachable(20, 1, {0}, 1, 0, 19));  // the global token itself sees everything
}

TEST_CASE("masked multi-head attention with a band gives zero weight outside it and rows that sum to 1") {
    Generator gen(5);
    const Var x(randn({2, 10, 8}, 0, 1, DType::Float32, gen));  // (B, T, D)
    AttentionMasks masks;
    masks.attn = attention::band_mask(10, 2);
    const Tensor w = multi_head_attention(x, x, x, 2, masks).weights.data();  // (B, H, T, T)
    const std::vector<double> v = w.to_vector<double>();
    for (std::int64_t r = 0; r < 2 * 2 * 10; ++r) {
        const std::int64_t i = r % 10;
        double row = 0;
        for (std::int64_t j = 0; j < 10; ++j) {
            const double a = v[static_cast<std::size_t>(r * 10 + j)];
            row += a;
            if (std::abs(i - j) > 2) CHECK(a == 0.0);
        }
        CHECK(row == doctest::Approx(1.0).epsilon(1e-6));
    }
}

TEST_CASE("sliding_window_attention equals dense attention under band_mask, and passes gradcheck") {
    Generator gen(7);
    for (std::int64_t w : {0, 1, 3, 9}) {
        const Tensor q = randn({2, 9, 4}, 0, 1, f64, gen), k = randn({2, 9, 4}, 0, 1, f64, gen),
                     v = randn({2, 9, 3}, 0, 1, f64, gen);
        const AttentionOutput dense = scaled_dot_product_attention(Var(q), Var(k), Var(v), attention::band_mask(9, w));
        const attention::WindowOutput win = attention::sliding_window_attention(Var(q), Var(k), Var(v), w);
        INFO("w = " << w);
        CHECK(max_diff(dense.output.data(), win.output.data()) < 1e-12);
        CHECK(max_diff(dense.weights.data(), attention::window_to_dense(win.weights.data(), w)) < 1e-12);
    }
    // Gradients, with a non-contiguous (transposed) query.
    const Tensor qt = randn({2, 4, 6}, 0, 1, f64, gen).transpose(1, 2);  // (2, 6, 4), not contiguous
    check_gradients("sliding_window_attention",
                    [](const std::vector<Var>& x) { return attention::sliding_window_attention(x[0], x[1], x[2], 2).output; },
                    {qt, randn({2, 6, 4}, 0, 1, f64, gen), randn({2, 6, 5}, 0, 1, f64, gen)});
    CHECK_THROWS_WITH_AS(attention::sliding_window_attention(Var(zeros({2, 6, 4})), Var(zeros({2, 5, 4})),
                                                             Var(zeros({2, 6, 4})), 1),
                         doctest::Contains("expected q and k (..., T, d) of one shape"), Error);
    CHECK_THROWS_AS(attention::sliding_window_attention(Var(zeros({6, 4})), Var(zeros({6, 4})), Var(zeros({6, 4})), -1),
                    Error);
}

TEST_CASE("patchify cuts row-major 4x4 patches, channel first, and unpatchify undoes it") {
    // Image (1, 2, 4, 8): value = 1000 c + 10 r + col, so every pixel says where it came from.
    std::vector<double> px;
    for (int c = 0; c < 2; ++c)
        for (int r = 0; r < 4; ++r)
            for (int col = 0; col < 8; ++col) px.push_back(1000.0 * c + 10.0 * r + col);
    const Tensor img = from_vector(px, {1, 2, 4, 8}).to(f64);
    const Tensor p = patchify(Var(img), 4).data();  // (1, 2, 32)
    REQUIRE(p.shape() == Shape{1, 2, 32});
    // Patch 1 is grid column 1 (image columns 4..7); its element (c, u, v) sits at c*16 + u*4 + v.
    CHECK(p.select(0, 0).select(0, 1).select(0, 0).item() == 4.0);             // c 0, row 0, col 4
    CHECK(p.select(0, 0).select(0, 1).select(0, 1 * 16 + 2 * 4 + 3).item() == 1027.0);  // c 1, row 2, col 7
    CHECK(max_diff(unpatchify(Var(p), 4, 2, 4, 8).data(), img) == 0.0);
    CHECK_THROWS_WITH_AS(patchify(Var(img), 3), doctest::Contains("is not a whole number of 3x3 patches"), Error);
    CHECK_THROWS_WITH_AS(patchify(Var(zeros({2, 4, 8})), 4), doctest::Contains("expected images (B, C, H, W)"), Error);
    CHECK_THROWS_AS(unpatchify(Var(p), 4, 2, 8, 8), Error);
}

TEST_CASE("PatchEmbedding equals a convolution with kernel = stride = patch size") {
    Generator gen(11);
    PatchEmbedding embed(3, 4, 6, gen);
    embed.to(f64);
    const Tensor images = randn({2, 3, 8, 12}, 0, 1, f64, gen);
    const Tensor tokens = embed.forward(Var(images)).data();                       // (2, 6, 6)
    const Tensor conv = conv2d(images, embed.conv_weight(), embed.proj.bias.data(), 4);  // (2, 6, 2, 3)
    REQUIRE(conv.shape() == Shape{2, 6, 2, 3});
    CHECK(max_diff(tokens, conv.reshape({2, 6, 6}).transpose(1, 2).contiguous()) < 1e-12);
    CHECK_THROWS_WITH_AS(embed.forward(Var(randn({2, 1, 8, 12}, 0, 1, f64, gen))),
                         doctest::Contains("expected 3 channels"), Error);
    CHECK_THROWS_AS(conv2d(images, randn({6, 2, 4, 4}, 0, 1, f64, gen), Tensor(), 4), Error);
    CHECK_THROWS_AS(conv2d(images, embed.conv_weight(), Tensor(), 0), Error);
}

TEST_CASE("conv2d matches a convolution worked by hand") {
    // x = [[1 2 3] [4 5 6] [7 8 9]], kernel [[1 0] [0 -1]], stride 1: x[i][j] - x[i+1][j+1] = -4 everywhere.
    const Tensor x = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3});
    const Tensor k = from_vector(std::vector<double>{1, 0, 0, -1}, {1, 1, 2, 2});
    const Tensor y = conv2d(x, k, from_vector(std::vector<double>{0.5}, {1}), 1);
    CHECK(y.shape() == Shape{1, 1, 2, 2});
    for (double v : y.to_vector<double>()) CHECK(v == -3.5);
    CHECK(conv2d(x, k, Tensor(), 2).shape() == Shape{1, 1, 1, 1});  // stride 2 fits one window
}

TEST_CASE("PatchEmbedding and VisionTransformer pass gradcheck for inputs and parameters") {
    Generator gen(13);
    VitConfig c;
    c.image_size = 4, c.patch_size = 2, c.channels = 2, c.d_model = 4, c.num_heads = 2, c.d_ff = 6, c.num_layers = 1,
    c.num_classes = 3;
    VisionTransformer vit(c, gen);
    vit.to(f64);
    check_module_gradients("VisionTransformer", vit, [&](const std::vector<Var>& x) { return vit.forward(x[0]); },
                           {randn({2, 2, 4, 4}, 0, 1, f64, gen)});
    BagOfPatches bag(c, gen);
    bag.to(f64);
    check_module_gradients("BagOfPatches", bag, [&](const std::vector<Var>& x) { return bag.forward(x[0]); },
                           {randn({2, 2, 4, 4}, 0, 1, f64, gen)});
}

TEST_CASE("VisionTransformer: shapes, [CLS] first, refuses bad configs and images") {
    Generator gen(17);
    VitConfig c;  // 16x16, patch 4: 16 patches + [CLS]
    VisionTransformer vit(c, gen);
    RecordAttention record;
    CHECK(vit.forward(Var(randn({3, 1, 16, 16}, 0, 1, DType::Float32, gen))).shape() == Shape{3, 5});
    const std::vector<Tensor> a = vit.attention_weights();
    REQUIRE(a.size() == 2);
    CHECK(a[0].shape() == Shape{3, 2, 17, 17});
    CHECK(vit.pos_embed.shape() == Shape{1, 17, 32});
    CHECK_THROWS_WITH_AS(vit.forward(Var(zeros({3, 1, 12, 12}))), doctest::Contains("expected images (B, 1, 16, 16)"),
                         Error);
    VitConfig bad = c;
    bad.patch_size = 5;
    CHECK_THROWS_WITH_AS(VisionTransformer(bad, gen), doctest::Contains("must be a positive multiple of patch_size 5"),
                         Error);
    bad = c;
    bad.num_heads = 3;
    CHECK_THROWS_WITH_AS(VisionTransformer(bad, gen), doctest::Contains("not divisible by num_heads 3"), Error);
    bad = c;
    bad.num_classes = 1;
    CHECK_THROWS_AS(BagOfPatches(bad, gen), Error);
}

TEST_CASE("GlobalLocalAttention mixes the two attentions with sigmoid(gate), and passes gradcheck") {
    Generator gen(19);
    GlobalLocalAttention attn(4, 2, {.initial_weight = 0.25}, gen);
    attn.to(f64);
    CHECK(attn.global_weight() == doctest::Approx(0.25));
    const Tensor x = randn({2, 6, 4}, 0, 1, f64, gen);
    const Tensor band = attention::band_mask(6, 1);
    // By hand: the same projections through both masks, mixed 1:3, then W_o.
    {
        NoGradGuard no_grad;
        const Var q = attn.q_proj(Var(x)), k = attn.k_proj(Var(x)), v = attn.v_proj(Var(x));
        AttentionMasks m;
        m.attn = band;
        const Var g = multi_head_attention(q, k, v, 2).output, l = multi_head_attention(q, k, v, 2, m).output;
        const double lambda = attn.global_weight();  // 0.25 up to the float32 rounding of the gate
        const Tensor expected = attn.out_proj(g * lambda + l * (1 - lambda)).data();
        CHECK(max_diff(attn.forward(Var(x), band).output.data(), expected) < 1e-12);
    }
    REQUIRE(parameter_slots(attn).size() == 9);  // 4 Linears with bias, and the gate
    check_module_gradients("GlobalLocalAttention", attn,
                           [&](const std::vector<Var>& in) { return attn.forward(in[0], band).output; }, {x});
    GlobalLocalAttention fixed(4, 2, {.learn_gate = false}, gen);
    CHECK(parameter_slots(fixed).size() == 8);  // no gate to learn
    CHECK_THROWS_WITH_AS(attn.forward(Var(x), attention::band_mask(5, 1)), doctest::Contains("local_mask must be (6, 6)"),
                         Error);
    CHECK_THROWS_AS(GlobalLocalAttention(4, 2, {.initial_weight = 1.0}, gen), Error);
    CHECK_THROWS_AS(GlobalLocalAttention(6, 4, gen), Error);
}

}  // TEST_SUITE
