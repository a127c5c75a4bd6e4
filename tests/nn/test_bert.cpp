// BERT (nn/bert/): Hugging Face's parameter names, one layer and the whole BertModel (embeddings,
// layers, tanh pooler) against a naive reference written from the formulas, the tied MLM decoder,
// the MLM loss over chosen positions only, BERT's 15% / 80-10-10 masking, the checkpoint round
// trip under Hugging Face's names and where each named tensor lands, refused configs and inputs,
// and the gradient checker on a one-layer BERT in float64.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "nn/attention/recording.hpp"
#include "nn/bert/classification.hpp"
#include "nn/bert/hf_checkpoint.hpp"
#include "nn/bert/masking.hpp"
#include "temp_dir.hpp"
#include "tests/testing_nn.hpp"
#include "tensor/atomic_file.hpp"

using namespace qkv;
using qkv::test::max_abs_diff;
using namespace qkv::nn;

namespace {

BertConfig tiny_config(std::int64_t layers = 1) {
    BertConfig c;
    c.vocab_size = 11;
    c.hidden_size = 8;
    c.num_hidden_layers = layers;
    c.num_attention_heads = 2;
    c.intermediate_size = 12;
    c.max_position_embeddings = 10;
    c.hidden_dropout_prob = 0.0;
    c.attention_probs_dropout_prob = 0.0;
    c.initializer_range = 0.5;  // large weights, so every part of the model moves the outputs
    return c;
}

// A vocabulary with BERT's five specials (ids 0-4) and `words` ordinary tokens.
Vocab small_vocab(int words) {
    std::vector<std::string> tokens = special::bert;
    for (int i = 0; i < words; ++i) tokens.push_back(std::string(1, 'w').append(std::to_string(i)));
    return Vocab(tokens);
}

// ---- a naive BertLayer, straight from the formulas, on plain row-major doubles -------------------

using Mat = std::vector<std::vector<double>>;  // [row][col]

Mat to_mat(const Tensor& t) {  // 2-d tensor
    Mat m(static_cast<std::size_t>(t.size(0)), std::vector<double>(static_cast<std::size_t>(t.size(1))));
    for (std::int64_t i = 0; i < t.size(0); ++i)
        for (std::int64_t j = 0; j < t.size(1); ++j) m[i][j] = t.at({i, j});
    return m;
}

// y = x W^T + b with W stored (out, in).
Mat affine(const Mat& x, const Linear& l) {
    const Mat W = to_mat(l.weight.data());
    const auto b = l.bias.data().to(DType::Float64).to_vector<double>();
    Mat y(x.size(), std::vector<double>(W.size()));
    for (std::size_t t = 0; t < x.size(); ++t)
        for (std::size_t o = 0; o < W.size(); ++o) {
            double s = b[o];
            for (std::size_t i = 0; i < x[t].size(); ++i) s += x[t][i] * W[o][i];
            y[t][o] = s;
        }
    return y;
}

// LayerNorm over each row with the given eps (BERT's is 1e-12, taken from the config, not from
// the module, so a module built with the wrong eps disagrees).
Mat layer_norm_ref(const Mat& x, const LayerNorm& ln, double eps) {
    const auto g = ln.weight.data().to(DType::Float64).to_vector<double>();
    const auto b = ln.bias.data().to(DType::Float64).to_vector<double>();
    Mat y = x;
    for (std::size_t t = 0; t < x.size(); ++t) {
        double mean = 0, var = 0;
        for (double v : x[t]) mean += v / static_cast<double>(x[t].size());
        for (double v : x[t]) var += (v - mean) * (v - mean) / static_cast<double>(x[t].size());
        for (std::size_t i = 0; i < x[t].size(); ++i) y[t][i] = (x[t][i] - mean) / std::sqrt(var + eps) * g[i] + b[i];
    }
    return y;
}

// One sequence x (T, D) through a post-norm BERT layer; `pad[j]` marks padding keys.
Mat bert_layer_ref(BertLayer& layer, const Mat& x, const std::vector<bool>& pad, std::int64_t H, double eps) {
    const Mat q = affine(x, layer.query), k = affine(x, layer.key), v = affine(x, layer.value);
    const std::size_t T = x.size(), D = x[0].size(), dh = D / static_cast<std::size_t>(H);
    Mat heads(T, std::vector<double>(D, 0.0));
    for (std::size_t h = 0; h < static_cast<std::size_t>(H); ++h)  // head h owns features [h dh, (h+1) dh)
        for (std::size_t i = 0; i < T; ++i) {
            std::vector<double> w(T, 0.0);
            double z = 0;
            for (std::size_t j = 0; j < T; ++j) {
                if (pad[j]) continue;
                double s = 0;
                for (std::size_t c = h * dh; c < (h + 1) * dh; ++c) s += q[i][c] * k[j][c];
                w[j] = std::exp(s / std::sqrt(static_cast<double>(dh)));
                z += w[j];
            }
            for (std::size_t j = 0; j < T; ++j)
                for (std::size_t c = h * dh; c < (h + 1) * dh; ++c) heads[i][c] += w[j] / z * v[j][c];
        }
    Mat a = affine(heads, layer.attention_output);
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t i = 0; i < D; ++i) a[t][i] += x[t][i];
    a = layer_norm_ref(a, layer.attention_norm, eps);
    Mat f = affine(a, layer.intermediate);
    for (auto& row : f)
        for (double& u : row) u = 0.5 * u * (1.0 + std::erf(u / std::sqrt(2.0)));  // exact GELU
    Mat y = affine(f, layer.output);
    for (std::size_t t = 0; t < T; ++t)
        for (std::size_t i = 0; i < D; ++i) y[t][i] += a[t][i];
    return layer_norm_ref(y, layer.output_norm, eps);
}

struct BertRef {
    Mat hidden;                  // (T, D)
    std::vector<double> pooled;  // (D)
};

// One sequence through a whole BertModel: e_t = word[id_t] + position[t] + token_type[type_t],
// LayerNorm, the layers, then pooled = tanh(W_p h_0 + b_p).
BertRef bert_model_ref(BertModel& m, const std::vector<std::int64_t>& ids, const std::vector<std::int64_t>& types,
                       const std::vector<bool>& pad) {
    const BertConfig& c = m.config();
    const Mat word = to_mat(m.embeddings.word_embeddings.weight.data());
    const Mat position = to_mat(m.embeddings.position_embeddings.weight.data());
    const Mat segment = to_mat(m.embeddings.token_type_embeddings.weight.data());
    Mat x(ids.size(), std::vector<double>(static_cast<std::size_t>(c.hidden_size)));
    for (std::size_t t = 0; t < ids.size(); ++t)
        for (std::size_t i = 0; i < x[t].size(); ++i)
            x[t][i] = word[static_cast<std::size_t>(ids[t])][i] + position[t][i] + segment[static_cast<std::size_t>(types[t])][i];
    x = layer_norm_ref(x, m.embeddings.layer_norm, c.layer_norm_eps);
    for (BertLayer& l : m.encoder.layer) x = bert_layer_ref(l, x, pad, c.num_attention_heads, c.layer_norm_eps);
    BertRef r{x, {}};
    const Mat pre = affine(Mat{x[0]}, m.pooler);  // (1, D): the [CLS] row only
    for (double v : pre[0]) r.pooled.push_back(std::tanh(v));
    return r;
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("bert parameter names and shapes are those of Hugging Face's BertForPreTraining") {
    // Written out by hand from transformers' BertForPreTraining (modeling_bert.py), one layer.
    const std::vector<std::pair<std::string, Shape>> expected = {
        {"bert.embeddings.word_embeddings.weight", {11, 8}},
        {"bert.embeddings.position_embeddings.weight", {10, 8}},
        {"bert.embeddings.token_type_embeddings.weight", {2, 8}},
        {"bert.embeddings.LayerNorm.weight", {8}},
        {"bert.embeddings.LayerNorm.bias", {8}},
        {"bert.encoder.layer.0.attention.self.query.weight", {8, 8}},
        {"bert.encoder.layer.0.attention.self.query.bias", {8}},
        {"bert.encoder.layer.0.attention.self.key.weight", {8, 8}},
        {"bert.encoder.layer.0.attention.self.key.bias", {8}},
        {"bert.encoder.layer.0.attention.self.value.weight", {8, 8}},
        {"bert.encoder.layer.0.attention.self.value.bias", {8}},
        {"bert.encoder.layer.0.attention.output.dense.weight", {8, 8}},
        {"bert.encoder.layer.0.attention.output.dense.bias", {8}},
        {"bert.encoder.layer.0.attention.output.LayerNorm.weight", {8}},
        {"bert.encoder.layer.0.attention.output.LayerNorm.bias", {8}},
        {"bert.encoder.layer.0.intermediate.dense.weight", {12, 8}},  // (out, in)
        {"bert.encoder.layer.0.intermediate.dense.bias", {12}},
        {"bert.encoder.layer.0.output.dense.weight", {8, 12}},
        {"bert.encoder.layer.0.output.dense.bias", {8}},
        {"bert.encoder.layer.0.output.LayerNorm.weight", {8}},
        {"bert.encoder.layer.0.output.LayerNorm.bias", {8}},
        {"bert.pooler.dense.weight", {8, 8}},
        {"bert.pooler.dense.bias", {8}},
        {"cls.predictions.transform.dense.weight", {8, 8}},
        {"cls.predictions.transform.dense.bias", {8}},
        {"cls.predictions.transform.LayerNorm.weight", {8}},
        {"cls.predictions.transform.LayerNorm.bias", {8}},
        {"cls.predictions.bias", {11}},
        {"cls.seq_relationship.weight", {2, 8}},
        {"cls.seq_relationship.bias", {2}},
    };
    BertForPreTraining model(tiny_config());
    const NamedParameters params = model.named_parameters();
    REQUIRE(params.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(params[i].first == expected[i].first);
        CHECK(params[i].second.shape() == expected[i].second);
    }
    // The classifier model: the same bert.* plus classifier.*.
    BertForSequenceClassification cls(tiny_config(), 3);
    const NamedParameters cp = cls.named_parameters();
    CHECK(cp.front().first == "bert.embeddings.word_embeddings.weight");
    CHECK(cp[cp.size() - 2].first == "classifier.weight");
    CHECK(cp.back().first == "classifier.bias");
    CHECK(cp[cp.size() - 2].second.shape() == Shape{3, 8});
}

TEST_CASE("bert init follows BERT: N(0, 0.02) weights, zero biases and padding row, unit LayerNorm") {
    BertConfig c = tiny_config();
    c.initializer_range = 0.02;
    c.vocab_size = 400;
    c.hidden_size = 32;
    c.num_attention_heads = 4;
    BertForPreTraining model(c);
    const auto w = model.bert.embeddings.word_embeddings.weight.data().to(DType::Float64).to_vector<double>();
    double sq = 0;
    for (double x : w) sq += x * x;
    const double std = std::sqrt(sq / static_cast<double>(w.size() - 32));  // the padding row is all 0
    CHECK(std > 0.018);
    CHECK(std < 0.022);
    for (std::int64_t j = 0; j < 32; ++j) CHECK(model.bert.embeddings.word_embeddings.weight.data().at({0, j}) == 0.0);
    CHECK(model.bert.encoder.layer[0].query.bias.data().at({3}) == 0.0);
    CHECK(model.transform_norm.weight.data().at({5}) == 1.0);
}

TEST_CASE("bert layer matches a naive post-norm layer with exact GELU and a padding mask") {
    BertConfig c = tiny_config();
    Generator gen(3);
    BertLayer layer(c, gen);
    layer.to(DType::Float64);
    layer.eval();
    const Tensor x = randn({2, 5, 8}, 0, 1, DType::Float64, gen);
    Tensor pad = zeros({2, 5}, DType::Bool);
    pad.set({1, 3}, 1), pad.set({1, 4}, 1);  // sequence 1 has 3 real tokens
    RecordAttention record;
    const Var hidden = layer.forward(Var(x), pad);
    const Tensor attention = layer.attention_weights;
    REQUIRE(hidden.shape() == Shape{2, 5, 8});
    REQUIRE(attention.shape() == Shape{2, 2, 5, 5});
    for (std::int64_t b = 0; b < 2; ++b) {
        std::vector<bool> p(5, false);
        if (b == 1) p[3] = p[4] = true;
        const Mat ref = bert_layer_ref(layer, to_mat(x.select(0, b)), p, 2, c.layer_norm_eps);
        std::vector<double> expected;  // (T, D), row-major
        for (const std::vector<double>& row : ref) expected.insert(expected.end(), row.begin(), row.end());
        qkv::test::check_close(cat("BertLayer output, sequence ", b), expected, hidden.data().select(0, b), 0, 1e-10);
    }
    // No weight on padding keys; each row sums to 1.
    for (std::int64_t h = 0; h < 2; ++h)
        for (std::int64_t i = 0; i < 5; ++i) {
            CHECK(attention.at({1, h, i, 3}) == 0.0);
            CHECK(attention.at({1, h, i, 4}) == 0.0);
            double s = 0;
            for (std::int64_t j = 0; j < 5; ++j) s += attention.at({1, h, i, j});
            CHECK(std::abs(s - 1.0) < 1e-12);
        }
}

TEST_CASE("bert mlm decoder is tied to the word embeddings") {
    BertConfig c = tiny_config();
    Generator gen(5);
    BertForPreTraining model(c, gen);
    model.eval();
    const Tensor ids = from_vector(std::vector<std::int64_t>{2, 7, 8, 3}, {1, 4});
    const PreTrainingOutput out = model.forward(ids);
    REQUIRE(out.mlm_logits.shape() == Shape{1, 4, 11});
    REQUIRE(out.nsp_logits.shape() == Shape{1, 2});
    // logits = LayerNorm(GELU(h W_t + b_t)) E^T + b, computed here from the parts.
    const Var h = model.bert.forward(ids).last_hidden_state;
    const Var t = model.transform_norm(gelu(model.transform_dense(h)));
    const Tensor expected = add(matmul(t.data(), model.bert.embeddings.word_embeddings.weight.data().t()),
                                model.decoder_bias.data());
    CHECK(max_abs_diff(out.mlm_logits.data(), expected) < 1e-5);
    // Tied: changing one embedding row changes that token's logit everywhere.
    const double before = out.mlm_logits.data().at({0, 1, 9});
    Tensor(model.bert.embeddings.word_embeddings.weight.data()).set({9, 0}, 5.0);
    CHECK(model.forward(ids).mlm_logits.data().at({0, 1, 9}) != doctest::Approx(before));
    // And MLM gradients reach the embedding rows of tokens that never appear in the input.
    model.zero_grad();
    masked_lm_loss(model.forward(ids).mlm_logits, from_vector(std::vector<std::int64_t>{0, 10, 0, 0}, {1, 4}),
                   from_vector(std::vector<std::uint8_t>{0, 1, 0, 0}, {1, 4}).to(DType::Bool))
        .backward();
    double g = 0;
    for (std::int64_t j = 0; j < 8; ++j) g += std::abs(model.bert.embeddings.word_embeddings.weight.grad().at({10, j}));
    CHECK(g > 0);
}

TEST_CASE("masked lm loss is the mean over chosen positions and ignores labels anywhere else") {
    Generator gen(7);
    const std::int64_t B = 3, T = 6, V = 9;
    const Var logits(randn({B, T, V}, 0, 1, DType::Float64, gen));
    Tensor targets = randint(5, V, {B, T}, gen);
    Tensor chosen = zeros({B, T}, DType::Bool);
    chosen.set({0, 1}, 1), chosen.set({0, 4}, 1), chosen.set({1, 2}, 1), chosen.set({2, 0}, 1);
    // Row 2 is padding from position 3 on; its targets there hold the pad id 0.
    for (std::int64_t t = 3; t < T; ++t) targets.set({2, t}, 0);

    // Naive reference: -log softmax at the chosen positions, averaged over them.
    double total = 0;
    int count = 0;
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T; ++t) {
            if (!chosen.at({b, t})) continue;
            double z = 0;
            for (std::int64_t v = 0; v < V; ++v) z += std::exp(logits.data().at({b, t, v}));
            total += -(logits.data().at({b, t, static_cast<std::int64_t>(targets.at({b, t}))}) - std::log(z));
            ++count;
        }
    const double loss = masked_lm_loss(logits, targets, chosen).item();
    CHECK(loss == doctest::Approx(total / count).epsilon(1e-12));

    // Changing the labels at unchosen and padded positions leaves the loss unchanged...
    Tensor other = targets.clone();
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T; ++t)
            if (!chosen.at({b, t})) other.set({b, t}, static_cast<double>((static_cast<std::int64_t>(targets.at({b, t})) + 1 + b + t) % V));
    CHECK(masked_lm_loss(logits, other, chosen).item() == loss);
    // ...while changing one at a chosen position changes it (so the check above can fail).
    other.set({0, 4}, static_cast<double>((static_cast<std::int64_t>(targets.at({0, 4})) + 1) % V));
    CHECK(masked_lm_loss(logits, other, chosen).item() != doctest::Approx(loss));
    // The tutorial mistake, a loss over every position, is a different number.
    CHECK(cross_entropy(logits, targets).item() != doctest::Approx(loss));
    // No gradient reaches the logits of unchosen positions.
    masked_lm_loss(Var(logits.data(), true), targets, chosen);
    Var l(logits.data(), true);
    masked_lm_loss(l, targets, chosen).backward();
    for (std::int64_t v = 0; v < V; ++v) {
        CHECK(l.grad().at({0, 0, v}) == 0.0);
        CHECK(l.grad().at({2, 5, v}) == 0.0);
    }
}

TEST_CASE("bert masking chooses 15 percent of ordinary tokens, 80-10-10, never specials") {
    const Vocab vocab = small_vocab(40);  // ids 5..44 ordinary
    Generator data_gen(11);
    const std::int64_t B = 2000, T = 24;
    // [CLS] 10 words [SEP] 9 words [SEP] [PAD] [PAD]: 19 ordinary tokens per row.
    std::vector<std::int64_t> ids;
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T; ++t) {
            if (t == 0) ids.push_back(vocab.cls_id());
            else if (t == 11 || t == 21) ids.push_back(vocab.sep_id());
            else if (t > 21) ids.push_back(vocab.pad_id());
            else ids.push_back(5 + static_cast<std::int64_t>(data_gen.below(40)));
        }
    const Tensor input = from_vector(ids, {B, T});
    Generator gen(12);
    const MaskedTokens m = mask_tokens(input, vocab, gen);
    const auto shown = m.input_ids.to_vector<std::int64_t>();
    const auto chosen = m.chosen.to_vector<std::uint8_t>();
    const auto labels = m.labels.to_vector<std::int64_t>();
    CHECK(m.targets.to_vector<std::int64_t>() == ids);
    std::int64_t n_chosen = 0, n_mask = 0, n_random = 0, n_kept = 0;
    for (std::int64_t b = 0; b < B; ++b) {
        std::int64_t row = 0;
        for (std::int64_t t = 0; t < T; ++t) {
            const auto i = static_cast<std::size_t>(b * T + t);
            if (vocab.is_special(ids[i])) {
                CHECK_FALSE(chosen[i]);  // [CLS], [SEP], [PAD] are never targets...
                CHECK(shown[i] == ids[i]);  // ...nor changed
            }
            if (!chosen[i]) {
                CHECK(labels[i] == -100);
                CHECK(shown[i] == ids[i]);
                continue;
            }
            ++row;
            CHECK(labels[i] == ids[i]);
            if (shown[i] == vocab.mask_id()) ++n_mask;
            else if (shown[i] != ids[i]) {
                ++n_random;
                CHECK_FALSE(vocab.is_special(shown[i]));  // random replacements are ordinary tokens
            } else ++n_kept;
        }
        CHECK(row == 3);  // round(0.15 * 19) = 3 in every row
        n_chosen += row;
    }
    const double c = static_cast<double>(n_chosen);
    // 6000 targets: the standard error of a share near 0.8 is 0.005, near 0.1 is 0.004.
    CHECK(std::abs(n_mask / c - 0.8) < 0.02);
    // A random draw equals the original 1 time in 40, so "random" shows 0.1 * 39/40 and "kept" 0.1 + 0.1/40.
    CHECK(std::abs(n_random / c - 0.1 * 39 / 40) < 0.015);
    CHECK(std::abs(n_kept / c - (0.1 + 0.1 / 40)) < 0.015);

    // The chosen positions are spread over every ordinary position, not clumped.
    std::vector<std::int64_t> per_position(static_cast<std::size_t>(T), 0);
    for (std::size_t i = 0; i < chosen.size(); ++i) per_position[i % static_cast<std::size_t>(T)] += chosen[i];
    for (std::int64_t t : {1, 5, 10, 12, 20}) CHECK(std::abs(per_position[static_cast<std::size_t>(t)] / double(B) - 3.0 / 19) < 0.03);

    // Same seed, same masks.
    Generator again(12);
    CHECK(mask_tokens(input, vocab, again).input_ids.to_vector<std::int64_t>() == shown);
}

TEST_CASE("bert checkpoint round trip under Hugging Face names, and load-hf") {
    qkv::testing::TempDir dir;
    const std::string path = dir.path().string();
    BertConfig c = tiny_config(2);
    c.vocab_size = 12;
    Generator gen(21);
    BertForPreTraining model(c, gen);
    model.eval();
    Vocab vocab = small_vocab(7);  // 12 tokens
    save_hf_pretrained(path, model, vocab, /*include_decoder=*/true);

    // The file holds exactly the Hugging Face names, plus the decoder copies transformers writes.
    const SafetensorsFile file = load_safetensors(path + "/model.safetensors");
    std::set<std::string> names;
    for (const auto& [n, t] : file.tensors) names.insert(n);
    CHECK(names.count("bert.encoder.layer.1.attention.self.query.weight") == 1);
    CHECK(names.count("cls.predictions.decoder.weight") == 1);
    CHECK(names.count("cls.predictions.transform.LayerNorm.bias") == 1);
    CHECK(names.size() == 30 + 16 + 2);  // one-layer list, a second layer's 16, the decoder's 2
    CHECK(file.metadata.at("format") == "pt");

    HfBert loaded = load_hf_pretrained(path);
    CHECK(loaded.config.num_hidden_layers == 2);
    CHECK(loaded.tokenizer.vocab().size() == 12);
    const Tensor ids = from_vector(std::vector<std::int64_t>{2, 5, 4, 9, 3, 0}, {1, 6});
    const Tensor types = from_vector(std::vector<std::int64_t>{0, 0, 0, 1, 1, 1}, {1, 6});
    Tensor pad = zeros({1, 6}, DType::Bool);
    pad.set({0, 5}, 1);
    const PreTrainingOutput a = model.forward(ids, types, pad), b = loaded.model.forward(ids, types, pad);
    CHECK(max_abs_diff(a.mlm_logits.data(), b.mlm_logits.data()) == 0.0);
    CHECK(max_abs_diff(a.nsp_logits.data(), b.nsp_logits.data()) == 0.0);

    // A fresh model differs, so the equality above says the weights were loaded.
    BertForPreTraining fresh(c);
    fresh.eval();
    CHECK(max_abs_diff(fresh.forward(ids, types, pad).mlm_logits.data(), a.mlm_logits.data()) > 1e-3);

    // Older files: LayerNorm gamma/beta and a position_ids buffer load too.
    TensorMap old = hf_state_dict(model);
    old["bert.embeddings.LayerNorm.gamma"] = old.at("bert.embeddings.LayerNorm.weight");
    old["bert.embeddings.LayerNorm.beta"] = old.at("bert.embeddings.LayerNorm.bias");
    old.erase("bert.embeddings.LayerNorm.weight");
    old.erase("bert.embeddings.LayerNorm.bias");
    old["bert.embeddings.position_ids"] = arange(10).reshape({1, 10});
    load_hf_state_dict(fresh, old);
    CHECK(max_abs_diff(fresh.forward(ids, types, pad).mlm_logits.data(), a.mlm_logits.data()) == 0.0);
}

TEST_CASE("bert checkpoint errors name the missing, mismatched and untied tensors") {
    BertForPreTraining model(tiny_config());
    auto message = [&](const TensorMap& m) {
        try {
            load_hf_state_dict(model, m);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    TensorMap missing = hf_state_dict(model);
    missing.erase("cls.seq_relationship.bias");
    CHECK(message(missing).find("missing: cls.seq_relationship.bias") != std::string::npos);
    TensorMap wrong = hf_state_dict(model);
    wrong["bert.pooler.dense.weight"] = zeros({8, 4});
    CHECK(message(wrong).find("bert.pooler.dense.weight") != std::string::npos);
    TensorMap untied = hf_state_dict(model, true);
    untied["cls.predictions.decoder.weight"] = zeros({11, 8});
    CHECK(message(untied).find("not tied") != std::string::npos);

    qkv::testing::TempDir dir;
    CHECK_THROWS_WITH_AS(load_hf_pretrained(dir.path().string()), doctest::Contains("config.json"), Error);
    BertConfig bad = tiny_config();
    bad.hidden_act = "relu";
    CHECK_THROWS_WITH_AS(BertConfig::from_json(bad.to_json()), doctest::Contains("hidden_act"), Error);
    bad = tiny_config();
    bad.num_attention_heads = 3;
    CHECK_THROWS_WITH_AS(BertConfig::from_json(bad.to_json()), doctest::Contains("divisible"), Error);
    Json relative = tiny_config().to_json();
    relative["position_embedding_type"] = "relative_key";
    CHECK_THROWS_WITH_AS(BertConfig::from_json(relative), doctest::Contains("position_embedding_type"), Error);
    relative["position_embedding_type"] = "absolute";
    CHECK(BertConfig::from_json(relative).hidden_size == 8);
}

TEST_CASE("bert layer built straight from a bad config names the config field") {
    BertConfig c = tiny_config();
    c.hidden_dropout_prob = 1.5;  // the layer's Dropout would refuse it too, without the field's name
    CHECK_THROWS_WITH_AS(BertLayer{c}, doctest::Contains("BertConfig: hidden_dropout_prob must be in [0, 1)"), Error);
}

TEST_CASE("bert config json round trip keeps every field") {
    BertConfig c = tiny_config(3);
    c.layer_norm_eps = 1e-7;
    c.hidden_act = "gelu_new";
    c.pad_token_id = 2;
    const BertConfig r = BertConfig::from_json(parse_json(c.to_json().dump()));
    CHECK(r.vocab_size == 11);
    CHECK(r.num_hidden_layers == 3);
    CHECK(r.intermediate_size == 12);
    CHECK(r.max_position_embeddings == 10);
    CHECK(r.layer_norm_eps == 1e-7);
    CHECK(r.hidden_act == "gelu_new");
    CHECK(r.pad_token_id == 2);
    CHECK(r.initializer_range == 0.5);
}

TEST_CASE("gradcheck a one-layer bert for pre-training in float64 with padding") {
    BertConfig c = tiny_config();
    c.vocab_size = 7;
    c.hidden_size = 4;
    c.intermediate_size = 6;
    c.max_position_embeddings = 5;
    c.initializer_range = 0.4;
    Generator gen(31);
    BertForPreTraining model(c, gen);
    model.to(DType::Float64);
    model.eval();
    // Row 1 is padded after 3 tokens; both segments appear.
    const Tensor ids = from_vector(std::vector<std::int64_t>{2, 5, 6, 3, 5, 2, 6, 3, 0, 0}, {2, 5});
    const Tensor types = from_vector(std::vector<std::int64_t>{0, 0, 0, 0, 1, 0, 0, 0, 0, 0}, {2, 5});
    Tensor pad = zeros({2, 5}, DType::Bool);
    pad.set({1, 3}, 1), pad.set({1, 4}, 1);
    const auto f = [&](const std::vector<Var>&) {  // the parameters are the only inputs
        const PreTrainingOutput out = model.forward(ids, types, pad);
        // The real positions' outputs only: the [PAD] row of the embedding gets no gradient from
        // its lookups (padding_idx, as PyTorch), so the outputs AT padded positions, the only
        // ones those lookups reach (padded keys are masked), would disagree with the numeric
        // derivative by design. Its gradient through the tied decoder is still checked.
        const Var real = concat({out.mlm_logits.select(0, 0), out.mlm_logits.select(0, 1).slice(0, 0, 3)}, 0);  // (8, V)
        return concat({real.reshape({-1}), out.nsp_logits.reshape({-1})}, 0);
    };
    qkv::test::check_module_gradients("one-layer BertForPreTraining", model, f, {});
}

TEST_CASE("sequence classifier copies the pre-trained encoder and keeps its own head") {
    Generator g1(41), g2(42);
    BertForPreTraining pre(tiny_config(), g1);
    BertForSequenceClassification cls(tiny_config(), 2, g2);
    const Tensor head_before = cls.classifier.weight.data().clone();
    cls.load_pretrained(pre);
    CHECK(max_abs_diff(cls.bert.encoder.layer[0].value.weight.data(), pre.bert.encoder.layer[0].value.weight.data()) == 0.0);
    CHECK(max_abs_diff(cls.classifier.weight.data(), head_before) == 0.0);
    // Copies, not shared: training the classifier's encoder leaves the pre-trained one alone.
    Tensor(cls.bert.pooler.weight.data()).set({0, 0}, 9.0);
    CHECK(pre.bert.pooler.weight.data().at({0, 0}) != 9.0);
    cls.eval();
    CHECK(cls.forward(from_vector(std::vector<std::int64_t>{2, 6, 3}, {1, 3})).shape() == Shape{1, 2});
}

}  // TEST_SUITE

TEST_SUITE("nn") {

TEST_CASE("bert mlm loss at the chosen positions equals the loss over full logits") {
    Generator gen(51);
    BertForPreTraining model(tiny_config(), gen);
    model.eval();
    const Tensor ids = randint(5, 11, {3, 6}, gen);
    const Tensor targets = randint(5, 11, {3, 6}, gen);
    Tensor chosen = zeros({3, 6}, DType::Bool);
    chosen.set({0, 2}, 1), chosen.set({1, 0}, 1), chosen.set({1, 5}, 1), chosen.set({2, 3}, 1);
    const double full = masked_lm_loss(model.forward(ids).mlm_logits, targets, chosen).item();
    const double gathered = masked_lm_loss_at_chosen(model, model.bert.forward(ids).last_hidden_state, targets, chosen).item();
    CHECK(gathered == doctest::Approx(full).epsilon(1e-6));
}

}  // TEST_SUITE

TEST_SUITE("nn") {

TEST_CASE("bert model matches a naive embeddings, layers and tanh pooler with two segments") {
    BertConfig c = tiny_config(2);
    CHECK(c.layer_norm_eps == 1e-12);  // BERT's, not PyTorch's default 1e-5
    Generator gen(61);
    BertModel model(c, gen);
    model.to(DType::Float64);
    model.eval();
    CHECK(model.embeddings.layer_norm.eps() == c.layer_norm_eps);
    const std::int64_t B = 2, T = 6;
    const std::vector<std::int64_t> ids = {2, 5, 7, 3, 9, 3, 2, 8, 3, 6, 3, 0};
    const std::vector<std::int64_t> types = {0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0};
    Tensor pad = zeros({B, T}, DType::Bool);
    pad.set({1, 5}, 1);
    const BertOutput out = model.forward(from_vector(ids, {B, T}), from_vector(types, {B, T}), pad);
    REQUIRE(out.last_hidden_state.shape() == Shape{B, T, 8});
    REQUIRE(out.pooler_output.shape() == Shape{B, 8});
    for (std::int64_t b = 0; b < B; ++b) {
        const auto row = [&](const std::vector<std::int64_t>& v) {
            return std::vector<std::int64_t>(v.begin() + b * T, v.begin() + (b + 1) * T);
        };
        std::vector<bool> p(T, false);
        if (b == 1) p[5] = true;
        const BertRef ref = bert_model_ref(model, row(ids), row(types), p);
        for (std::int64_t t = 0; t < T; ++t) {
            if (p[static_cast<std::size_t>(t)]) continue;  // a [PAD] query's output is not compared
            qkv::test::check_close(cat("last_hidden_state[", b, ", ", t, "]"), ref.hidden[static_cast<std::size_t>(t)],
                                   out.last_hidden_state.data().select(0, b).select(0, t), 0, 1e-10);
        }
        qkv::test::check_close(cat("pooler_output[", b, "]"), ref.pooled, out.pooler_output.data().select(0, b), 0,
                               1e-10);
    }
    // The segments matter: all-zero token types give different outputs.
    const BertOutput zero = model.forward(from_vector(ids, {B, T}), Tensor(), pad);
    CHECK(max_abs_diff(zero.last_hidden_state.data(), out.last_hidden_state.data()) > 1e-3);
}

TEST_CASE("bert checkpoint tensors land in the modules their names say") {
    BertConfig c = tiny_config(2);
    BertForPreTraining model(c);
    // A distinct constant per name, so any two swapped tensors of one shape are told apart.
    TensorMap tensors = hf_state_dict(model);
    double k = 1;
    for (auto& [name, t] : tensors) t = full(t.shape(), k++, t.dtype());
    load_hf_state_dict(model, tensors);
    // Written out by hand from Hugging Face's modeling_bert.py: member -> name.
    auto is = [&](const Var& p, const std::string& name) {
        INFO(name);
        REQUIRE(tensors.count(name) == 1);
        CHECK(max_abs_diff(p.data(), tensors.at(name)) == 0.0);
    };
    BertModel& bert = model.bert;
    is(bert.embeddings.word_embeddings.weight, "bert.embeddings.word_embeddings.weight");
    is(bert.embeddings.position_embeddings.weight, "bert.embeddings.position_embeddings.weight");
    is(bert.embeddings.token_type_embeddings.weight, "bert.embeddings.token_type_embeddings.weight");
    is(bert.embeddings.layer_norm.weight, "bert.embeddings.LayerNorm.weight");
    is(bert.embeddings.layer_norm.bias, "bert.embeddings.LayerNorm.bias");
    for (int l = 0; l < 2; ++l) {
        BertLayer& layer = bert.encoder.layer[static_cast<std::size_t>(l)];
        const std::string p = "bert.encoder.layer." + std::to_string(l) + ".";
        for (const auto& [lin, name] : std::vector<std::pair<Linear*, std::string>>{
                 {&layer.query, "attention.self.query"},
                 {&layer.key, "attention.self.key"},
                 {&layer.value, "attention.self.value"},
                 {&layer.attention_output, "attention.output.dense"},
                 {&layer.intermediate, "intermediate.dense"},
                 {&layer.output, "output.dense"}}) {
            is(lin->weight, p + name + ".weight");
            is(lin->bias, p + name + ".bias");
        }
        is(layer.attention_norm.weight, p + "attention.output.LayerNorm.weight");
        is(layer.attention_norm.bias, p + "attention.output.LayerNorm.bias");
        is(layer.output_norm.weight, p + "output.LayerNorm.weight");
        is(layer.output_norm.bias, p + "output.LayerNorm.bias");
    }
    is(bert.pooler.weight, "bert.pooler.dense.weight");
    is(bert.pooler.bias, "bert.pooler.dense.bias");
    is(model.transform_dense.weight, "cls.predictions.transform.dense.weight");
    is(model.transform_dense.bias, "cls.predictions.transform.dense.bias");
    is(model.transform_norm.weight, "cls.predictions.transform.LayerNorm.weight");
    is(model.transform_norm.bias, "cls.predictions.transform.LayerNorm.bias");
    is(model.decoder_bias, "cls.predictions.bias");
    is(model.seq_relationship.weight, "cls.seq_relationship.weight");
    is(model.seq_relationship.bias, "cls.seq_relationship.bias");
}

TEST_CASE("bert config refuses absurd sizes and a checkpoint its config does not describe") {
    Json huge = tiny_config().to_json();
    huge["hidden_size"] = std::int64_t{1099511627776};
    CHECK_THROWS_WITH_AS(BertConfig::from_json(huge), doctest::Contains("hidden_size must be <= 16384"), Error);
    for (const char* field : {"vocab_size", "num_hidden_layers", "intermediate_size", "max_position_embeddings",
                              "type_vocab_size"}) {
        Json j = tiny_config().to_json();
        j[field] = std::int64_t{1} << 40;
        CHECK_THROWS_WITH_AS(BertConfig::from_json(j), doctest::Contains((std::string(field) + " must be <=").c_str()), Error);
    }
    // Each size allowed, the product not: 2^20 tokens of width 2^12 is 4.3e9 parameters.
    Json product = tiny_config().to_json();
    product["vocab_size"] = std::int64_t{1} << 20;
    product["hidden_size"] = std::int64_t{1} << 12;
    CHECK_THROWS_WITH_AS(BertConfig::from_json(product), doctest::Contains("parameters"), Error);
    // bert-large's sizes pass.
    Json large = tiny_config().to_json();
    for (const auto& [field, value] : std::vector<std::pair<std::string, std::int64_t>>{
             {"vocab_size", 30522}, {"hidden_size", 1024}, {"num_hidden_layers", 24}, {"num_attention_heads", 16},
             {"intermediate_size", 4096}, {"max_position_embeddings", 512}})
        large[field] = value;
    CHECK(BertConfig::from_json(large).hidden_size == 1024);

    // A config.json that disagrees with the weights beside it is refused before a model is built.
    qkv::testing::TempDir dir;
    const std::string path = dir.path().string();
    BertForPreTraining model(tiny_config(2));
    save_hf_pretrained(path, model, small_vocab(6));  // 11 tokens
    CHECK(load_hf_pretrained(path).config.num_hidden_layers == 2);
    BertConfig wider = tiny_config(2);
    wider.hidden_size = 16;
    wider.save(path + "/config.json");
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path), doctest::Contains("word_embeddings.weight is (11, 8)"), Error);
    tiny_config(3).save(path + "/config.json");
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path), doctest::Contains("missing (16): bert.encoder.layer.2."), Error);
    // A BertModel's save (no bert. prefix, no cls.* heads) is refused with the names it lacks.
    TensorMap bare;
    for (const auto& [name, t] : hf_state_dict(model))
        if (name.rfind("bert.", 0) == 0) bare[name.substr(5)] = t;
    BertForPreTraining target(tiny_config(2));
    try {
        load_hf_state_dict(target, bare);
        FAIL("a BertModel save loaded");
    } catch (const Error& e) {
        const std::string what = e.what();
        CHECK(what.find("missing") != std::string::npos);
        CHECK(what.find("bert.encoder.layer.0.attention.self.query.weight") != std::string::npos);
        CHECK(what.find("cls.seq_relationship.weight") != std::string::npos);
    }
    Json absurd = tiny_config(2).to_json();
    absurd["hidden_size"] = std::int64_t{1099511627776};
    write_file_atomically(path + "/config.json", absurd.dump());
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path), doctest::Contains("hidden_size"), Error);
}

TEST_CASE("bert refuses empty inputs, zero targets and NaN masking fractions") {
    BertForPreTraining model(tiny_config());
    CHECK_THROWS_WITH_AS(model.forward(zeros({2, 0}, DType::Int64)), doctest::Contains("input_ids must be (B, T)"), Error);
    CHECK_THROWS_WITH_AS(model.forward(zeros({2, 0}, DType::Int64)), doctest::Contains("(2, 0)"), Error);
    const Tensor ids = from_vector(std::vector<std::int64_t>{2, 5, 6, 3}, {1, 4});
    const Tensor none = zeros({1, 4}, DType::Bool);
    const PreTrainingOutput out = model.forward(ids);
    CHECK_THROWS_WITH_AS(masked_lm_loss(out.mlm_logits, ids, none), doctest::Contains("no position"), Error);
    CHECK_THROWS_WITH_AS(masked_lm_loss_at_chosen(model, model.bert.forward(ids).last_hidden_state, ids, none),
                         doctest::Contains("no position"), Error);
    Tensor one = none.clone();
    one.set({0, 1}, 1);
    CHECK(std::isfinite(masked_lm_loss(out.mlm_logits, ids, one).item()));

    const Vocab vocab = small_vocab(5);
    Generator gen(1);
    for (int field = 0; field < 3; ++field) {
        MaskingOptions o;
        (field == 0 ? o.mlm_probability : field == 1 ? o.mask_fraction : o.random_fraction) = std::nan("");
        CHECK_THROWS_AS(mask_tokens(ids, vocab, gen, o), Error);
    }
    MaskingOptions too_much;
    too_much.mask_fraction = 1.5;
    CHECK_THROWS_AS(mask_tokens(ids, vocab, gen, too_much), Error);
    CHECK_NOTHROW(mask_tokens(ids, vocab, gen));
}

}  // TEST_SUITE
