// nn/checkpoint: a run saved after 5 steps and resumed in a fresh process-like setting (new
// model, optimizer and generators) continues bit-identically; the file's layout; the checks.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <random>

#include "nn/checkpoint.hpp"
#include "nn/losses.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/state_dict.hpp"

using namespace qkv;
using namespace qkv::nn;
namespace fs = std::filesystem;
using qkv::testing::TempDir;
using qkv::testing::read_bytes;
using qkv::testing::write_bytes;

namespace {

// x (N, 3) -> dropout(x W + b) (N, 2), its parameters drawn from `init`.
struct Tiny : Module {
    Var w, b;
    explicit Tiny(std::uint64_t seed, std::int64_t in = 3) {
        Generator init(seed);
        w = parameter(randn({in, 2}, 0, 0.5, DType::Float32, init));
        b = parameter(randn({2}, 0, 0.5, DType::Float32, init));
    }
    Var forward(const Var& x, Generator& drop) { return dropout(matmul(x, w) + b, 0.25, is_training(), drop); }
    void visit(Visitor& v) override { v.param("w", w), v.param("b", b); }
    std::string type_name() const override { return "Tiny"; }
};

// A whole training setup: model, optimizer, schedule and the two generators a step draws from
// (which 4 of the 8 examples form the batch; which activations dropout zeroes).
struct Run {
    Tiny model;
    AdamW opt;
    Scheduler sched;
    Generator data, drop;
    explicit Run(std::uint64_t seed)
        : model(seed), opt(model.named_parameters(), 1.0, {0.9, 0.99}, 1e-8, 0.05),
          sched(opt, WarmupCosine(0.05, 3, 20, 0.005)), data(seed + 1), drop(seed + 2) {}
    Generators generators() { return {{"data", &data}, {"dropout", &drop}}; }

    // One step on a random batch; returns the loss.
    double step() {
        Generator fixed(42);  // the dataset itself is the same in every run
        const Tensor X = randn({8, 3}, 0, 1, DType::Float32, fixed), Y = randn({8, 2}, 0, 1, DType::Float32, fixed);
        const Tensor batch = randperm(8, data).slice(0, 0, 4);
        opt.zero_grad();
        const Var loss = mse_loss(model.forward(Var(index_select(X, 0, batch)), drop), index_select(Y, 0, batch));
        loss.backward();
        clip_grad_norm_(model.parameters(), 0.5);
        opt.step();
        sched.step();
        return loss.item();
    }
};

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("checkpoint resumes a training run bit-identically") {
    TempDir dir;
    const std::string path = dir.file("run.safetensors");

    // The original run: 5 steps, save, 5 more steps.
    Run original(1);
    for (int i = 0; i < 5; ++i) original.step();
    save_checkpoint(path, original.model, original.opt, {{"note", "after 5 steps"}}, original.generators());
    std::vector<double> losses;
    for (int i = 0; i < 5; ++i) losses.push_back(original.step());

    // A fresh run with other weights and other seeds, restored from the file.
    Run resumed(77);
    CHECK(!equal(resumed.model.w.data(), original.model.w.data()));
    const CheckpointInfo info = load_checkpoint(path, resumed.model, resumed.opt, resumed.generators());
    CHECK(info.step == 5);
    CHECK(info.metadata == std::map<std::string, std::string>{{"note", "after 5 steps"}});
    CHECK(resumed.opt.step_count() == 5);
    std::vector<double> resumed_losses;
    for (int i = 0; i < 5; ++i) resumed_losses.push_back(resumed.step());

    CHECK(resumed_losses == losses);  // exactly, not approximately
    CHECK(equal(resumed.model.w.data(), original.model.w.data()));
    CHECK(equal(resumed.model.b.data(), original.model.b.data()));
    CHECK(resumed.opt.lr() == original.opt.lr());
    const TensorMap a = original.opt.state_dict(), b = resumed.opt.state_dict();
    REQUIRE(a.size() == b.size());
    for (const auto& entry : a) {
        INFO(entry.first);
        CHECK(equal(entry.second, b.at(entry.first)));
    }
}

TEST_CASE("checkpoint without the data generator does not reproduce the run") {
    // The control for the test above: the generators' state is what makes it exact.
    TempDir dir;
    const std::string path = dir.file("run.safetensors");
    Run original(1);
    for (int i = 0; i < 5; ++i) original.step();
    save_checkpoint(path, original.model, original.opt);
    const double next = original.step();
    Run resumed(77);
    load_checkpoint(path, resumed.model, resumed.opt);
    CHECK(resumed.step() != next);
}

TEST_CASE("checkpoint file holds the model, the optimizer and the generators by name") {
    TempDir dir;
    const std::string path = dir.file("run.safetensors");
    Run run(3);
    run.step(), run.step();
    save_checkpoint(path, run.model, run.opt, {{"config", "tiny"}}, {{"data", &run.data}});

    const SafetensorsFile file = load_safetensors(path);
    std::vector<std::string> names;
    for (const auto& [name, t] : file.tensors) names.push_back(name);
    CHECK(names == std::vector<std::string>{"b", "optimizer.exp_avg.b", "optimizer.exp_avg.w", "optimizer.exp_avg_sq.b",
                                            "optimizer.exp_avg_sq.w", "optimizer.lr", "optimizer.step",
                                            "optimizer.step.b", "optimizer.step.w", "rng.data", "w"});
    CHECK(equal(file.tensors.at("w"), run.model.w.data()));
    CHECK(file.tensors.at("optimizer.step").item() == 2);
    CHECK(file.metadata.at("config") == "tiny");
    CHECK(file.metadata.at("qkv.optimizer") == "AdamW");

    // The generator's words, as their int64 bit patterns.
    const Generator::State st = run.data.state();
    const std::vector<std::int64_t> words = file.tensors.at("rng.data").to_vector<std::int64_t>();
    REQUIRE(words.size() == 6);
    for (int i = 0; i < 4; ++i) CHECK(static_cast<std::uint64_t>(words[i]) == st.s[i]);
    CHECK(words[4] == (st.has_spare ? 1 : 0));

    // The model part loads like a plain state dict once the other parts are set aside.
    Tiny copy(99);
    TensorMap model_part;
    for (const auto& [name, t] : file.tensors)
        if (name == "w" || name == "b") model_part[name] = t;
    load_state_dict(copy, model_part);
    CHECK(equal(copy.w.data(), run.model.w.data()));
}

TEST_CASE("checkpoint generator state includes a kept normal") {
    TempDir dir;
    const std::string path = dir.file("rng.safetensors");
    Run run(5);
    run.data.normal();  // draws a pair, keeps the second
    REQUIRE(run.data.state().has_spare);
    save_checkpoint(path, run.model, run.opt, {}, {{"data", &run.data}});
    const double expected = run.data.normal();
    Generator other(1234);
    load_checkpoint(path, run.model, run.opt, {{"data", &other}});
    CHECK(other.normal() == expected);
}

TEST_CASE("load_checkpoint checks everything first and loads nothing on error") {
    TempDir dir;
    const std::string path = dir.file("run.safetensors");
    Run run(1);
    run.step();
    save_checkpoint(path, run.model, run.opt, {}, {{"data", &run.data}});

    // A model of another shape: w is (4, 2) here, (3, 2) in the file.
    Tiny wider(2, 4);
    const Tensor w_before = wider.w.data().clone();
    AdamW opt(wider.named_parameters());
    try {
        load_checkpoint(path, wider, opt);
        FAIL("no error");
    } catch (const Error& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("load_checkpoint: '" + path + "': ") == 0);
        CHECK(msg.find("exp_avg") != std::string::npos);  // the optimizer's state does not fit either
    }
    CHECK(equal(wider.w.data(), w_before));
    CHECK(opt.step_count() == 0);

    Run other(2);
    SGD sgd(other.model.named_parameters(), 0.1);
    CHECK_THROWS_WITH_AS(load_checkpoint(path, other.model, sgd),
                         doctest::Contains("holds AdamW state; the optimizer is SGD"), Error);
    Generator g;
    CHECK_THROWS_WITH_AS(load_checkpoint(path, other.model, other.opt, {{"dropout", &g}}),
                         doctest::Contains("has no state for generator 'dropout'"), Error);
    CHECK(other.opt.step_count() == 0);

    const std::string weights_only = dir.file("weights.safetensors");
    save_state_dict(weights_only, run.model);
    CHECK_THROWS_WITH_AS(load_checkpoint(weights_only, other.model, other.opt),
                         doctest::Contains("is not a qkv checkpoint"), Error);
    CHECK_THROWS_WITH_AS(save_checkpoint(path, run.model, run.opt, {{"qkv.step", "1"}}),
                         doctest::Contains("metadata key 'qkv.step' is reserved"), Error);
}

}  // TEST_SUITE
