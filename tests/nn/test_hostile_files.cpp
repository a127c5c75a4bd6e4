// Issue 20's reproducers at the nn layer: checkpoints whose counters or learning rate cannot be
// used, a Hugging Face folder whose config.json lies about the weights beside it, a save into
// a place that cannot hold a folder, an interrupted save, configs that are not configs, files
// that never end, and layers whose sizes overflow. Each expects the clear qkv::Error, and a
// failed load changes nothing.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <cmath>
#include <filesystem>
#include <limits>

#include "nn/bert/hf_checkpoint.hpp"
#include "nn/checkpoint.hpp"
#include "nn/embedding.hpp"
#include "nn/linear.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/state_dict.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::testing::TempDir;
using qkv::testing::write_bytes;

namespace {

BertConfig tiny_bert() {
    BertConfig c;
    c.vocab_size = 11;
    c.hidden_size = 8;
    c.num_hidden_layers = 1;
    c.num_attention_heads = 2;
    c.intermediate_size = 12;
    c.max_position_embeddings = 10;
    return c;
}

Vocab vocab_of(std::int64_t size) {
    std::vector<std::string> tokens = special::bert;
    for (std::int64_t i = static_cast<std::int64_t>(tokens.size()); i < size; ++i) tokens.push_back("w" + std::to_string(i));
    return Vocab(tokens);
}

// A one-layer model trained one step, so the optimizer has per-parameter state.
struct Trained {
    Linear model;
    Adam opt;
    Trained() : model(3, 2, gen()), opt(model.named_parameters(), 0.1) {
        opt.zero_grad();
        sum(model.forward(Var(ones({1, 3})))).backward();
        opt.step();
    }
    static Generator& gen() {
        static Generator g(5);
        return g;
    }
};

// The file saved by `t` with one entry replaced.
std::string tampered(const TempDir& dir, Trained& t, const std::string& key, const Tensor& value) {
    const std::string path = dir.file("run.safetensors");
    save_checkpoint(path, t.model, t.opt);
    SafetensorsFile file = load_safetensors(path);
    file.tensors[key] = value;
    save_safetensors(path, file.tensors, file.metadata);
    return path;
}

Tensor int64_0d(std::int64_t v) { return from_vector(std::vector<std::int64_t>{v}, Shape{}); }

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("hostile checkpoints: counters and lr outside what the code can use are refused, nothing changes") {
    TempDir dir;
    Trained t;
    const Tensor before = t.model.weight.data().clone();
    const std::int64_t max = std::numeric_limits<std::int64_t>::max();
    // optimizer.step = 2^63 - 1 loaded, and the next step() overflowed (UB; a wrap in release).
    CHECK_THROWS_WITH_AS(load_checkpoint(tampered(dir, t, "optimizer.step", int64_0d(max)), t.model, t.opt),
                         doctest::Contains("'step' must be an int64 0-d tensor in [0, 2^53]"), Error);
    // A per-parameter count cannot exceed the step count (one update a step at most).
    CHECK_THROWS_WITH_AS(load_checkpoint(tampered(dir, t, "optimizer.step.weight", int64_0d(max)), t.model, t.opt),
                         doctest::Contains("'step.weight' must be an int64 0-d tensor in [0, 'step'], got int64 () holding 9223372036854775807"), Error);
    // lr = inf loaded and turned the weights to -inf on the next step.
    const Tensor inf = scalar(std::numeric_limits<double>::infinity(), DType::Float64);
    CHECK_THROWS_WITH_AS(load_checkpoint(tampered(dir, t, "optimizer.lr", inf), t.model, t.opt),
                         doctest::Contains("'lr' must be a finite non-negative"), Error);
    CHECK(equal(t.model.weight.data(), before));
    CHECK(t.opt.step_count() == 1);
    CHECK(t.opt.lr() == 0.1);
    // The same bounds for values given in code.
    CHECK_THROWS_WITH_AS(t.opt.set_lr(std::numeric_limits<double>::infinity()),
                         doctest::Contains("Adam: lr must be finite and >= 0, got inf"), Error);
    CHECK_THROWS_WITH_AS(Adam(t.model.named_parameters(), 0.1, {0.9, 0.999}, std::numeric_limits<double>::infinity()),
                         doctest::Contains("eps must be finite"), Error);
    // The largest allowed step count loads, and the step after it is refused, not wrapped.
    const std::string path = dir.file("run.safetensors");
    save_checkpoint(path, t.model, t.opt);
    SafetensorsFile file = load_safetensors(path);
    file.tensors["optimizer.step"] = int64_0d(std::int64_t{1} << 53);
    save_safetensors(path, file.tensors, file.metadata);
    load_checkpoint(path, t.model, t.opt);
    CHECK_THROWS_WITH_AS(t.opt.step(), doctest::Contains("has reached the limit of 2^53 steps"), Error);
}

TEST_CASE("hostile files: layers whose sizes overflow throw qkv::Error") {
    Generator gen(1);
    CHECK_THROWS_AS(Embedding(std::int64_t{1} << 40, std::int64_t{1} << 40, gen), Error);
}

TEST_CASE("hostile Hugging Face folders: a config.json that lies is refused before the model is built") {
    TempDir dir;
    const std::string path = dir.path().string();
    // The folder: a config within bounds, a matching vocab.txt, and weights holding
    // one unrelated tensor. The model (100,000 x 768 embeddings, 12 layers: ~500 MB) used to
    // be built before the "missing" error; now the error comes first and lists the names.
    BertConfig big;
    big.vocab_size = 100'000;
    big.save(path + "/config.json");
    vocab_of(100'000).save(path + "/vocab.txt");
    save_safetensors(path + "/model.safetensors", {{"unrelated", zeros({2})}});
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path), doctest::Contains("the file does not hold the model config.json describes"),
                         Error);
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path), doctest::Contains("; missing ("), Error);

    // The expected shapes are the real model's: a faithful folder loads, one wrong shape is named.
    BertForPreTraining model(tiny_bert());
    save_hf_pretrained(path, model, vocab_of(11));
    CHECK(load_hf_pretrained(path).config.hidden_size == 8);
    TensorMap tensors = hf_state_dict(model);
    tensors["bert.encoder.layer.0.intermediate.dense.weight"] = zeros({13, 8});
    save_safetensors(path + "/model.safetensors", tensors);
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path),
                         doctest::Contains("bert.encoder.layer.0.intermediate.dense.weight is (13, 8), config.json asks for (12, 8)"),
                         Error);
}

TEST_CASE("hostile Hugging Face folders: an interrupted save is refused, a folder that cannot be made is a qkv::Error") {
    TempDir dir;
    const std::string path = dir.path().string() + "/bert";
    BertForPreTraining model(tiny_bert());
    save_hf_pretrained(path, model, vocab_of(11));
    CHECK_FALSE(std::filesystem::exists(path + "/" + std::string(hf_save_marker)));
    // A kill between the three files leaves the marker (written first, removed last).
    write_bytes(path + "/" + std::string(hf_save_marker), "");
    CHECK_THROWS_WITH_AS(load_hf_pretrained(path), doctest::Contains("a save_hf_pretrained into it was interrupted"), Error);
    save_hf_pretrained(path, model, vocab_of(11));  // a completed save clears it
    CHECK(load_hf_pretrained(path).config.vocab_size == 11);
    // A folder under a regular file cannot be made (as in a read-only filesystem, which root
    // would bypass in a test): std::filesystem::filesystem_error escaped before.
    write_bytes(dir.file("plain"), "x");
    CHECK_THROWS_WITH_AS(save_hf_pretrained(dir.file("plain") + "/bert", model, vocab_of(11)),
                         doctest::Contains("save_hf_pretrained: cannot create the folder"), Error);
}

TEST_CASE("hostile configs and vocabularies: bad values, missing sizes and endless files are refused") {
    Json c = tiny_bert().to_json();
    c["initializer_range"] = -1.0;
    CHECK_THROWS_WITH_AS(BertConfig::from_json(c), doctest::Contains("initializer_range must be in (0, 1], got -1"), Error);
    CHECK_THROWS_WITH_AS(BertConfig::from_json(Json::object()), doctest::Contains("config.json lacks \"vocab_size\""), Error);
    CHECK_THROWS_WITH_AS(Vocab::load("/dev/zero"), "Vocab::load: '/dev/zero' is not a regular file", Error);
    CHECK_THROWS_WITH_AS(BertConfig::load("/dev/zero"), "BertConfig::load: '/dev/zero' is not a regular file", Error);
}

}  // TEST_SUITE
