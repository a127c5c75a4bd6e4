// state_dict, load_state_dict and checkpoint files.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "nn/embedding.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/positional.hpp"
#include "nn/state_dict.hpp"

using namespace qkv;
using namespace qkv::nn;
namespace fs = std::filesystem;
using qkv::testing::TempDir;
using qkv::testing::read_bytes;
using qkv::testing::write_bytes;

namespace {

// A small model with parameters in three kinds of layer and a buffer.
struct TinyNet : Module {
    Embedding tok;
    SinusoidalPositionalEncoding pos;
    LayerNorm ln;
    Linear head;

    explicit TinyNet(Generator& gen) : tok(10, 4, gen), pos(8, 4), ln(4), head(4, 3, gen) {
        // Move the LayerNorm off its (seed-independent) ones and zeros, so loading it shows.
        normal_(ln.weight.data(), 1.0, 0.3, gen);
        normal_(ln.bias.data(), 0.0, 0.3, gen);
    }
    Var forward(const Tensor& ids) { return head(ln(pos(tok(ids)))); }
    void visit(Visitor& v) override {
        v.module("tok", tok);
        v.module("pos", pos);
        v.module("ln", ln);
        v.module("head", head);
    }
    std::string type_name() const override { return "TinyNet"; }
};

std::vector<float> outputs(TinyNet& net) {
    const Tensor ids = from_vector<std::int64_t>({1, 5, 9, 0, 2, 2}, {2, 3});
    return net.forward(ids).data().to_vector<float>();
}

// Every tensor of the model's state, copied, to check later that nothing changed.
std::map<std::string, std::vector<double>> snapshot(TinyNet& net) {
    std::map<std::string, std::vector<double>> out;
    for (const auto& [name, t] : state_dict(net)) out[name] = t.to_vector<double>();
    return out;
}

// A deep copy of the model's state, which the tests then edit.
TensorMap cloned_state(TinyNet& net) {
    TensorMap out;
    for (const auto& [name, t] : state_dict(net)) out[name] = t.clone();
    return out;
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("state_dict names every parameter and buffer and shares their storage") {
    Generator gen(1);
    TinyNet net(gen);
    const TensorMap state = state_dict(net);
    std::vector<std::string> names;
    for (const auto& [name, t] : state) names.push_back(name);
    CHECK(names == std::vector<std::string>{"head.bias", "head.weight", "ln.bias", "ln.weight", "pos.pe", "tok.weight"});
    CHECK(state.at("head.weight").shares_storage_with(net.head.weight.data()));
    CHECK(state.at("pos.pe").shares_storage_with(net.pos.pe));
}

TEST_CASE("state_dict rejects a module that lists one name twice") {
    // Two different parameters under one name (one Var under two names is a tie, listed once).
    struct Twice : Module {
        Var w = parameter(zeros({2})), u = parameter(zeros({2}));
        void visit(Visitor& v) override {
            v.param("w", w);
            v.param("w", u);
        }
        std::string type_name() const override { return "Twice"; }
    } twice;
    CHECK_THROWS_WITH_AS(state_dict(twice), doctest::Contains("two tensors are named 'w'"), Error);
}

TEST_CASE("a checkpoint file restores a model built with another seed exactly") {
    TempDir dir;
    const std::string path = dir.file("tiny.safetensors");
    Generator gen_a(1), gen_b(2);
    TinyNet a(gen_a), b(gen_b);
    REQUIRE(outputs(a) != outputs(b));
    save_state_dict(path, a, {{"step", "100"}});
    const LoadReport report = load_state_dict(b, path);
    CHECK(report.ok());
    CHECK(report.str().empty());
    CHECK(outputs(a) == outputs(b));
    CHECK(snapshot(a) == snapshot(b));
    CHECK(load_safetensors(path).metadata.at("step") == "100");
}

TEST_CASE("loading keeps every Var the same object so an optimizer sees the new values") {
    Generator gen_a(1), gen_b(2);
    TinyNet a(gen_a), b(gen_b);
    const std::vector<Var> held = b.parameters();  // what an optimizer keeps
    const Tensor held_pe = b.pos.pe;
    load_state_dict(b, state_dict(a));
    const std::vector<Var> after = b.parameters();
    REQUIRE(after.size() == held.size());
    for (std::size_t i = 0; i < held.size(); ++i) CHECK(after[i].impl() == held[i].impl());
    CHECK(held[0].data().to_vector<float>() == a.tok.weight.data().to_vector<float>());
    CHECK(held.back().data().to_vector<float>() == a.head.bias.data().to_vector<float>());
    CHECK(b.pos.pe.shares_storage_with(held_pe));
}

TEST_CASE("strict load names every missing, unexpected and misshapen tensor and loads nothing") {
    TempDir dir;
    const std::string path = dir.file("bad.safetensors");
    Generator gen_a(1), gen_b(2);
    TinyNet a(gen_a), b(gen_b);
    TensorMap state = cloned_state(a);
    state.erase("head.bias");
    state["extra.weight"] = zeros({2, 2});
    state["ln.weight"] = ones({5});
    save_safetensors(path, state);

    const auto before = snapshot(b);
    try {
        load_state_dict(b, path);
        FAIL("expected an error");
    } catch (const Error& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("load_state_dict: '" + path + "' does not match the model; nothing was loaded") == 0);
        CHECK(msg.find("missing: head.bias") != std::string::npos);
        CHECK(msg.find("unexpected: extra.weight") != std::string::npos);
        CHECK(msg.find("mismatched: ln.weight: model float32 (4), checkpoint float32 (5)") != std::string::npos);
    }
    CHECK(snapshot(b) == before);
}

TEST_CASE("non-strict load reports the problems and loads every tensor that matches") {
    Generator gen_a(1), gen_b(2);
    TinyNet a(gen_a), b(gen_b);
    TensorMap state = cloned_state(a);
    state.erase("head.bias");
    state["extra.weight"] = zeros({2, 2});
    state["ln.weight"] = ones({5});
    state["tok.weight"] = state["tok.weight"].to(DType::Float64);  // converts on the way in
    const auto before = snapshot(b);

    const LoadReport report = load_state_dict(b, state, false);
    CHECK_FALSE(report.ok());
    CHECK(report.missing == std::vector<std::string>{"head.bias"});
    CHECK(report.unexpected == std::vector<std::string>{"extra.weight"});
    CHECK(report.mismatched == std::vector<std::string>{"ln.weight: model float32 (4), checkpoint float32 (5)"});
    CHECK(report.str() ==
          "  missing: head.bias\n  unexpected: extra.weight\n  mismatched: ln.weight: model float32 (4), checkpoint "
          "float32 (5)");

    const auto after = snapshot(b), expected = snapshot(a);
    for (const char* loaded : {"head.weight", "ln.bias", "tok.weight", "pos.pe"}) CHECK(after.at(loaded) == expected.at(loaded));
    for (const char* kept : {"head.bias", "ln.weight"}) CHECK(after.at(kept) == before.at(kept));
    CHECK(b.tok.weight.dtype() == DType::Float32);
}

TEST_CASE("an integer tensor where the model has floats is a mismatch") {
    Generator gen(1);
    TinyNet net(gen);
    TensorMap state = cloned_state(net);
    state["head.bias"] = zeros({3}, DType::Int64);
    CHECK_THROWS_WITH_AS(load_state_dict(net, state),
                         doctest::Contains("mismatched: head.bias: model float32 (3), checkpoint int64 (3)"), Error);
}

TEST_CASE("a truncated checkpoint file is rejected and the model is untouched") {
    TempDir dir;
    const std::string good = dir.file("good.safetensors"), cut = dir.file("cut.safetensors");
    Generator gen_a(1), gen_b(2);
    TinyNet a(gen_a), b(gen_b);
    save_state_dict(good, a);
    std::ifstream in(good, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    REQUIRE(bytes.size() > 100);
    std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 40));

    const auto before = snapshot(b);
    CHECK_THROWS_WITH_AS(load_state_dict(b, cut), doctest::Contains(("load_safetensors: '" + cut + "'").c_str()), Error);
    CHECK(snapshot(b) == before);
    CHECK_THROWS_WITH_AS(load_state_dict(b, dir.file("absent.safetensors")), doctest::Contains("cannot open"), Error);
}

}  // TEST_SUITE
