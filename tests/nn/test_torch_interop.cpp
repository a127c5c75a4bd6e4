// PyTorch's names for qkv's layers (nn/interop/torch_names.hpp), against expectations built by
// hand: the key lists are PyTorch 1.13's state_dict() keys, written out; the packed in_proj
// matrices hold numbers that say which row they are; the attention output is recomputed in
// plain doubles from the packed matrix, sliced as PyTorch slices it.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "nn/interop/torch_names.hpp"
#include "nn/state_dict.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::testing::TempDir;

namespace {

// (rows, cols) float32 with entry (r, c) = base + 100 r + c: every entry says where it came from.
Tensor numbered(std::int64_t rows, std::int64_t cols, double base) {
    std::vector<float> values;
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) values.push_back(static_cast<float>(base + 100.0 * r + c));
    return from_vector(values, {rows, cols});
}

// (n) float32 with entry i = base + i.
Tensor numbered(std::int64_t n, double base) {
    std::vector<float> values;
    for (std::int64_t i = 0; i < n; ++i) values.push_back(static_cast<float>(base + i));
    return from_vector(values);
}

std::set<std::string> keys(const TensorMap& m) {
    std::set<std::string> out;
    for (const auto& [name, t] : m) out.insert(name);
    return out;
}

// The message of the Error that `f` throws ("" if it throws none).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A packed MultiheadAttention state for D = 4: in_proj_weight (12, 4), entry (r, c) = 100 r + c,
// so rows 0-3 are W_q, 4-7 W_k, 8-11 W_v; in_proj_bias 1000 + i; out_proj 5000 + 100 r + c, 6000 + i.
TensorMap packed_attention_state() {
    return {{"in_proj_weight", numbered(12, 4, 0.0)},
            {"in_proj_bias", numbered(12, 1000.0)},
            {"out_proj.weight", numbered(4, 4, 5000.0)},
            {"out_proj.bias", numbered(4, 6000.0)}};
}

// PyTorch 1.13's state_dict() keys, printed from torch.nn.TransformerEncoderLayer(8, 2, 16) and
// torch.nn.TransformerDecoderLayer, written out here without a prefix.
const std::vector<std::string> torch_encoder_layer_keys = {
    "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
    "linear1.weight",           "linear1.bias",           "linear2.weight",            "linear2.bias",
    "norm1.weight",             "norm1.bias",             "norm2.weight",              "norm2.bias"};
const std::vector<std::string> torch_decoder_layer_keys = {
    "self_attn.in_proj_weight",      "self_attn.in_proj_bias",      "self_attn.out_proj.weight",
    "self_attn.out_proj.bias",       "multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
    "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias", "linear1.weight",
    "linear1.bias",                  "linear2.weight",              "linear2.bias",
    "norm1.weight",                  "norm1.bias",                  "norm2.weight",
    "norm2.bias",                    "norm3.weight",                "norm3.bias"};

// torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
// dim_feedforward=16, norm_first=True)'s keys: the layers' under encoder.layers.i. and
// decoder.layers.i., then the final norms (left out for post-norm, whose twin has none).
std::set<std::string> torch_transformer_keys(std::int64_t encoder_layers, std::int64_t decoder_layers,
                                             bool final_norms) {
    std::set<std::string> out;
    for (std::int64_t i = 0; i < encoder_layers; ++i)
        for (const std::string& k : torch_encoder_layer_keys) out.insert(cat("encoder.layers.", i, ".", k));
    for (std::int64_t i = 0; i < decoder_layers; ++i)
        for (const std::string& k : torch_decoder_layer_keys) out.insert(cat("decoder.layers.", i, ".", k));
    if (final_norms)
        for (const char* k : {"encoder.norm.weight", "encoder.norm.bias", "decoder.norm.weight", "decoder.norm.bias"})
            out.insert(k);
    return out;
}

TransformerConfig interop_config(bool norm_first) {
    TransformerConfig c;
    c.src_vocab_size = 11;
    c.tgt_vocab_size = 9;
    c.d_model = 8;
    c.num_heads = 2;
    c.num_encoder_layers = 2;
    c.num_decoder_layers = 1;
    c.d_ff = 16;
    c.dropout = 0.0;
    c.max_len = 16;
    c.norm_first = norm_first;
    return c;
}

// Moves every LayerNorm off its ones and zeros, so loading one shows in the outputs.
void perturb_norms(Module& m, Generator& gen) {
    for (auto& [name, p] : m.named_parameters())
        if (name.find("norm") != std::string::npos) normal_(p.data(), 0.5, 0.3, gen);
}

// The logits for fixed source and target ids, in eval mode: (2, 5, V) as floats.
std::vector<float> logits(Transformer& model) {
    model.eval();
    const Tensor src = from_vector<std::int64_t>({3, 4, 5, 6, 7, 8, 9, 10, 3, 4}, {2, 5});
    const Tensor tgt = from_vector<std::int64_t>({1, 2, 3, 4, 5, 6, 7, 8, 1, 2}, {2, 5});
    return model.forward(src, tgt).data().to_vector<float>();
}

// Every element equal, compared as bits would (float == float, no tolerance).
void check_identical(const std::vector<float>& got, const std::vector<float>& want) {
    REQUIRE(got.size() == want.size());
    std::size_t differing = 0;
    for (std::size_t i = 0; i < got.size(); ++i) differing += got[i] != want[i] ? 1 : 0;
    CHECK_MESSAGE(differing == 0, differing, " of ", got.size(), " elements differ, e.g. element 0: ", got[0],
                  " vs ", want[0]);
}

}  // namespace

// ---- MultiheadAttention ----------------------------------------------------------------------------

TEST_CASE("torch interop: in_proj_weight's rows 0..D-1 become W_q, D..2D-1 W_k, 2D..3D-1 W_v") {
    Generator gen(1);
    MultiHeadAttention attn(4, 2, gen);
    load_torch_state_dict(attn, packed_attention_state());
    const Tensor q = attn.q_proj.weight.data(), k = attn.k_proj.weight.data(), v = attn.v_proj.weight.data();
    for (std::int64_t r = 0; r < 4; ++r)
        for (std::int64_t c = 0; c < 4; ++c) {
            CHECK(q.at({r, c}) == 100.0 * r + c);
            CHECK(k.at({r, c}) == 100.0 * (r + 4) + c);
            CHECK(v.at({r, c}) == 100.0 * (r + 8) + c);
            CHECK(attn.out_proj.weight.data().at({r, c}) == 5000.0 + 100.0 * r + c);
        }
    for (std::int64_t i = 0; i < 4; ++i) {
        CHECK(attn.q_proj.bias.data().at({i}) == 1000.0 + i);
        CHECK(attn.k_proj.bias.data().at({i}) == 1004.0 + i);
        CHECK(attn.v_proj.bias.data().at({i}) == 1008.0 + i);
        CHECK(attn.out_proj.bias.data().at({i}) == 6000.0 + i);
    }
}

TEST_CASE("torch interop: a MultiHeadAttention saves W_q, W_k, W_v stacked by rows under PyTorch's four names") {
    Generator gen(2);
    MultiHeadAttention attn(4, 2, gen);
    copy_(attn.q_proj.weight.data(), numbered(4, 4, 0.0));
    copy_(attn.k_proj.weight.data(), numbered(4, 4, 10000.0));
    copy_(attn.v_proj.weight.data(), numbered(4, 4, 20000.0));
    copy_(attn.v_proj.bias.data(), numbered(4, 300.0));
    const TensorMap torch = to_torch_state_dict(attn);
    CHECK(keys(torch) == std::set<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"});
    const Tensor& w = torch.at("in_proj_weight");
    REQUIRE(w.shape() == Shape{12, 4});
    for (std::int64_t r = 0; r < 4; ++r)
        for (std::int64_t c = 0; c < 4; ++c) {
            CHECK(w.at({r, c}) == 100.0 * r + c);
            CHECK(w.at({r + 4, c}) == 10000.0 + 100.0 * r + c);
            CHECK(w.at({r + 8, c}) == 20000.0 + 100.0 * r + c);
        }
    const Tensor& b = torch.at("in_proj_bias");
    REQUIRE(b.shape() == Shape{12});
    qkv::test::check_close("in_proj_bias[0:4]", attn.q_proj.bias.data(), b.narrow(0, 0, 4), 0, 0);
    qkv::test::check_close("in_proj_bias[4:8]", attn.k_proj.bias.data(), b.narrow(0, 4, 4), 0, 0);
    qkv::test::check_close("in_proj_bias[8:12]", {300, 301, 302, 303}, b.narrow(0, 8, 4), 0, 0);
    // Copies: writing into the result leaves the model as it was.
    copy_(torch.at("out_proj.weight"), zeros({4, 4}));
    CHECK(attn.out_proj.weight.data().to_vector<float>() != std::vector<float>(16, 0.0f));
}

TEST_CASE("torch interop: a MultiHeadAttention built without biases has PyTorch's bias=False names") {
    Generator gen(3);
    MultiHeadAttention attn(4, 2, {.bias = false}, gen);
    CHECK(keys(to_torch_state_dict(attn)) == std::set<std::string>{"in_proj_weight", "out_proj.weight"});
    // Biases on three projections but not on out_proj: torch has no such attention.
    MultiHeadAttention partial(4, 2, gen);
    partial.out_proj.bias = Var();
    CHECK(contains(error_of([&] { torch_names(partial); }), "bias on 3 of its 4 projections"));
}

// x (B, T, D) through PyTorch's packed computation, in doubles: [q k v] = x W_in^T + b_in, cut
// into three D-wide column blocks; head h takes columns [h dh, (h+1) dh) of each; softmax(q k^T
// / sqrt(dh)) v per head; the heads side by side; then x W_out^T + b_out.
std::vector<double> packed_attention_by_hand(const TensorMap& s, const Tensor& x, std::int64_t H) {
    const Tensor &w_in = s.at("in_proj_weight"), &b_in = s.at("in_proj_bias"), &w_out = s.at("out_proj.weight"),
                 &b_out = s.at("out_proj.bias");
    const std::int64_t B = x.size(0), T = x.size(1), D = x.size(2), dh = D / H;
    std::vector<double> out;
    for (std::int64_t b = 0; b < B; ++b) {
        std::vector<std::vector<double>> qkv(static_cast<std::size_t>(T), std::vector<double>(3 * D));  // (T, 3D)
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t o = 0; o < 3 * D; ++o) {
                double sum = b_in.at({o});
                for (std::int64_t c = 0; c < D; ++c) sum += x.at({b, t, c}) * w_in.at({o, c});
                qkv[t][o] = sum;
            }
        std::vector<std::vector<double>> heads(static_cast<std::size_t>(T), std::vector<double>(D, 0.0));  // (T, D)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t i = 0; i < T; ++i) {
                std::vector<double> scores(static_cast<std::size_t>(T));
                double top = -1e300, total = 0.0;
                for (std::int64_t j = 0; j < T; ++j) {
                    double dot = 0.0;
                    for (std::int64_t e = 0; e < dh; ++e) dot += qkv[i][h * dh + e] * qkv[j][D + h * dh + e];
                    scores[j] = dot / std::sqrt(static_cast<double>(dh));
                    top = std::max(top, scores[j]);
                }
                for (double& sc : scores) total += (sc = std::exp(sc - top));
                for (std::int64_t j = 0; j < T; ++j)
                    for (std::int64_t e = 0; e < dh; ++e)
                        heads[i][h * dh + e] += scores[j] / total * qkv[j][2 * D + h * dh + e];
            }
        for (std::int64_t t = 0; t < T; ++t)
            for (std::int64_t o = 0; o < D; ++o) {
                double sum = b_out.at({o});
                for (std::int64_t c = 0; c < D; ++c) sum += heads[t][c] * w_out.at({o, c});
                out.push_back(sum);
            }
    }
    return out;
}

TEST_CASE("torch interop: a MultiHeadAttention loaded from a packed state computes what the packed matrices do") {
    Generator gen(4);
    const std::int64_t D = 6, H = 3;
    const TensorMap state = {{"in_proj_weight", randn({3 * D, D}, 0.0, 0.5, DType::Float32, gen)},
                             {"in_proj_bias", randn({3 * D}, 0.0, 0.5, DType::Float32, gen)},
                             {"out_proj.weight", randn({D, D}, 0.0, 0.5, DType::Float32, gen)},
                             {"out_proj.bias", randn({D}, 0.0, 0.5, DType::Float32, gen)}};
    MultiHeadAttention attn(D, H, gen);
    load_torch_state_dict(attn, state);
    const Tensor x = randn({2, 5, D}, 0.0, 1.0, DType::Float32, gen);  // (B, T, D)
    const std::vector<double> want = packed_attention_by_hand(state, x, H);
    const std::vector<double> got = attn.forward(Var(x)).output.data().to_vector<double>();
    REQUIRE(got.size() == want.size());
    double worst = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::abs(got[i] - want[i]));
    CHECK_MESSAGE(worst < 1e-5, "max |qkv - by hand| = ", worst);
}

TEST_CASE("torch interop: a MultiHeadAttention state with a missing, misshapen or unknown tensor is refused by name") {
    Generator gen(5);
    MultiHeadAttention attn(4, 2, gen);
    const std::vector<float> before = attn.q_proj.weight.data().to_vector<float>();

    TensorMap missing = packed_attention_state();
    missing.erase("in_proj_bias");
    const std::string e1 = error_of([&] { load_torch_state_dict(attn, missing); });
    CHECK(contains(e1, "missing: in_proj_bias (float32 (12), "
                       "qkv's q_proj.bias, k_proj.bias, v_proj.bias stacked by rows)"));

    TensorMap transposed = packed_attention_state();
    transposed["in_proj_weight"] = numbered(4, 12, 0.0);
    const std::string e2 = error_of([&] { load_torch_state_dict(attn, transposed); });
    CHECK(contains(e2, "mismatched: in_proj_weight: model float32 (12, 4)"));
    CHECK(contains(e2, "given float32 (4, 12)"));

    TensorMap with_bias_kv = packed_attention_state();
    with_bias_kv["bias_k"] = zeros({1, 1, 4});
    const std::string e3 = error_of([&] { load_torch_state_dict(attn, with_bias_kv); });
    CHECK(contains(e3, "unexpected: bias_k float32 (1, 1, 4) (torch's add_bias_kv=True"));

    TensorMap separate = packed_attention_state();
    separate.erase("in_proj_weight");
    separate["q_proj_weight"] = zeros({4, 4});
    const std::string e4 = error_of([&] { load_torch_state_dict(attn, separate); });
    CHECK(contains(e4, "missing: in_proj_weight"));
    CHECK(contains(e4, "unexpected: q_proj_weight float32 (4, 4) (torch's separate projections"));

    // Each failure loaded nothing, not even the tensors that were right.
    CHECK(attn.q_proj.weight.data().to_vector<float>() == before);
}

// ---- the layers and stacks -----------------------------------------------------------------------

TEST_CASE("torch interop: encoder and decoder layers have exactly PyTorch's names, cross_attn as multihead_attn") {
    Generator gen(6);
    LayerConfig layer{.d_model = 8, .num_heads = 2, .d_ff = 16, .dropout = 0.0};
    TransformerEncoderLayer encoder_layer(layer, gen);
    TransformerDecoderLayer decoder_layer(layer, gen);
    const TensorMap enc = to_torch_state_dict(encoder_layer), dec = to_torch_state_dict(decoder_layer);
    CHECK(keys(enc) == std::set<std::string>(torch_encoder_layer_keys.begin(), torch_encoder_layer_keys.end()));
    CHECK(keys(dec) == std::set<std::string>(torch_decoder_layer_keys.begin(), torch_decoder_layer_keys.end()));
    CHECK(enc.at("linear1.weight").shape() == Shape{16, 8});  // (F, D), as torch's
    CHECK(enc.at("linear2.weight").shape() == Shape{8, 16});
    CHECK(dec.at("multihead_attn.in_proj_weight").shape() == Shape{24, 8});

    const std::vector<TorchName> table = torch_names(decoder_layer);
    const auto row = std::find_if(table.begin(), table.end(),
                                  [](const TorchName& r) { return r.torch == "multihead_attn.in_proj_weight"; });
    REQUIRE(row != table.end());
    CHECK(row->qkv == std::vector<std::string>{"cross_attn.q_proj.weight", "cross_attn.k_proj.weight",
                                               "cross_attn.v_proj.weight"});
    // The cross-attention's key rows really are the second block of the packed matrix.
    CHECK(dec.at("multihead_attn.in_proj_weight").narrow(0, 8, 8).to_vector<float>() ==
          decoder_layer.cross_attn.k_proj.weight.data().to_vector<float>());
}

TEST_CASE("torch interop: a decoder layer saved and loaded into another gives the same output, bit for bit") {
    Generator gen(7);
    LayerConfig layer{.d_model = 8, .num_heads = 2, .d_ff = 16, .dropout = 0.0, .norm_first = true};
    TransformerDecoderLayer a(layer, gen), b(layer, gen);
    perturb_norms(a, gen);
    load_torch_state_dict(b, to_torch_state_dict(a));
    const Var x(randn({2, 4, 8}, 0.0, 1.0, DType::Float32, gen));       // (B, Tt, D)
    const Var memory(randn({2, 3, 8}, 0.0, 1.0, DType::Float32, gen));  // (B, Ts, D)
    a.eval(), b.eval();
    AttentionMasks causal;
    causal.causal = true;
    check_identical(b.forward(x, memory, causal).data().to_vector<float>(),
                    a.forward(x, memory, causal).data().to_vector<float>());
}

// A layer grown a tensor PyTorch's layer has no place for.
struct GatedEncoderLayer : TransformerEncoderLayer {
    using TransformerEncoderLayer::TransformerEncoderLayer;
    Var gate = parameter(ones({8}));
    void visit(Visitor& v) override {
        TransformerEncoderLayer::visit(v);
        v.param("gate", gate);
    }
};

TEST_CASE("torch interop: a qkv tensor the table does not name is refused, not given a guessed name") {
    Generator gen(8);
    GatedEncoderLayer layer(LayerConfig{.d_model = 8, .num_heads = 2, .d_ff = 16, .dropout = 0.0}, gen);
    const std::string e = error_of([&] { to_torch_state_dict(layer); });
    CHECK(contains(e, "qkv's 'gate' float32 (8) has no counterpart in torch.nn.TransformerEncoderLayer"));
}

// ---- the Transformer and its file ------------------------------------------------------------------

TEST_CASE("torch interop: a Transformer's stacks have nn.Transformer's names; post-norm has no final norms") {
    Generator gen(9);
    Transformer pre(interop_config(true), gen), post(interop_config(false), gen);
    CHECK(keys(to_torch_state_dict(pre, {.stacks_only = true})) == torch_transformer_keys(2, 1, true));
    CHECK(keys(to_torch_state_dict(post, {.stacks_only = true})) == torch_transformer_keys(2, 1, false));
    // Without stacks_only, also the parts outside nn.Transformer, under qkv's names.
    std::set<std::string> whole = torch_transformer_keys(2, 1, true);
    for (const auto& [name, t] : state_dict(pre))
        if (name.rfind("encoder.", 0) != 0 && name.rfind("decoder.", 0) != 0) whole.insert(name);
    CHECK(whole.contains("src_embed.weight"));
    CHECK(keys(to_torch_state_dict(pre)) == whole);
}

TEST_CASE("torch interop: a Transformer saved under PyTorch's names loads back into another with identical logits") {
    for (const bool norm_first : {false, true}) {
        CAPTURE(norm_first);
        Generator gen(10);
        Transformer a(interop_config(norm_first), gen), b(interop_config(norm_first), gen);
        perturb_norms(a, gen);
        const std::vector<float> want = logits(a);
        REQUIRE(logits(b) != want);  // b starts elsewhere

        TempDir dir;
        const std::string path = dir.file("transformer.safetensors");
        save_torch_safetensors(path, a, {{"note", "round trip"}});
        CHECK(dir.entries() == std::vector<std::string>{"transformer.safetensors"});  // no temporary left
        const std::map<std::string, std::string> meta = load_torch_safetensors(b, path);
        check_identical(logits(b), want);
        CHECK(meta.at("note") == "round trip");
        CHECK(meta.at("torch.nhead") == "2");
        CHECK(meta.at("torch.norm_first") == (norm_first ? "True" : "False"));
        CHECK(meta.at("torch.final_norms") == (norm_first ? "True" : "False"));
        CHECK(meta.at("torch.activation") == "relu");
        CHECK(meta.at("torch.batch_first") == "True");
        CHECK(keys(load_safetensors(path).tensors) == keys(to_torch_state_dict(a)));
    }
}

TEST_CASE("torch interop: a bare nn.Transformer state loads with stacks_only and leaves the embeddings alone") {
    Generator gen(11);
    Transformer a(interop_config(true), gen), b(interop_config(true), gen);
    perturb_norms(a, gen);
    const TensorMap bare = to_torch_state_dict(a, {.stacks_only = true});
    const std::vector<float> b_embed = b.src_embed.weight.data().to_vector<float>();

    const std::string refused = error_of([&] { load_torch_state_dict(b, bare); });
    CHECK(contains(refused, "missing: src_embed.weight"));
    CHECK(contains(refused, "a bare nn.Transformer state dict loads with stacks_only"));

    load_torch_state_dict(b, bare, {.stacks_only = true});
    CHECK(b.src_embed.weight.data().to_vector<float>() == b_embed);
    a.eval(), b.eval();
    const Var x(randn({2, 5, 8}, 0.0, 1.0, DType::Float32, gen));  // the embedded source, as nn.Transformer takes it
    check_identical(b.encoder.forward(x).data().to_vector<float>(), a.encoder.forward(x).data().to_vector<float>());

    // The other way round: stacks_only refuses the parts outside nn.Transformer.
    const TensorMap whole = to_torch_state_dict(a);
    const std::string extra = error_of([&] { load_torch_state_dict(b, whole, {.stacks_only = true}); });
    CHECK(contains(extra, "unexpected: src_embed.weight float32 (11, 8) (not part of nn.Transformer"));
}

TEST_CASE("torch interop: nn.Transformer's final norms are refused for a post-norm qkv Transformer") {
    Generator gen(12);
    Transformer post(interop_config(false), gen);
    TensorMap torch_default = to_torch_state_dict(post, {.stacks_only = true});
    torch_default["encoder.norm.weight"] = ones({8});
    torch_default["encoder.norm.bias"] = zeros({8});
    const std::string e = error_of([&] { load_torch_state_dict(post, torch_default, {.stacks_only = true}); });
    CHECK(contains(e, "unexpected: encoder.norm.weight float32 (8) (the final LayerNorm nn.Transformer builds"));
    CHECK(contains(e, "norm_first=True"));
}

TEST_CASE("torch interop: a file saved from another head count is refused, though every shape fits") {
    Generator gen(13);
    TransformerConfig four_heads = interop_config(true);
    four_heads.num_heads = 4;
    Transformer two(interop_config(true), gen), four(four_heads, gen);
    TempDir dir;
    const std::string path = dir.file("two_heads.safetensors");
    save_torch_safetensors(path, two);
    CHECK(contains(error_of([&] { load_torch_safetensors(four, path); }),
                   "was saved from a model with torch.nhead = 2; this model has 4"));
    CHECK(contains(error_of([&] { save_torch_safetensors(path, two, {{"torch.nhead", "8"}}); }),
                   "metadata key 'torch.nhead' is reserved"));
}

TEST_CASE("torch interop: float64 PyTorch tensors load into a float32 model, rounded") {
    Generator gen(14);
    MultiHeadAttention attn(4, 2, gen);
    TensorMap state = packed_attention_state();
    for (auto& [name, t] : state) t = t.to(DType::Float64) + 0.25;
    load_torch_state_dict(attn, state);
    CHECK(attn.k_proj.weight.dtype() == DType::Float32);
    CHECK(attn.k_proj.weight.data().at({1, 2}) == 100.0 * 5 + 2 + 0.25);
}
