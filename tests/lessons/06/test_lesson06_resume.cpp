// Lesson 06 stopped after k steps and resumed from its checkpoint ends with exactly the numbers
// of a run that was never stopped: losses, learning rates, held-out curve and weights, bit for
// bit (issue 20). Also: a checkpoint of another configuration is refused.
#include <doctest/doctest.h>

#include <string>

#include "lessons/06_transformer/training.hpp"
#include "nn/state_dict.hpp"
#include "temp_dir.hpp"
#include "tensor/print.hpp"

using namespace qkv;
using namespace qkv::lesson06;

TEST_SUITE("lesson06") {

TEST_CASE("lesson06 resumes from a checkpoint to exactly the numbers of an uninterrupted run") {
    // With dropout too: its masks come from generators inside the model, which the checkpoint
    // must carry for the resumed run to drop the same elements.
    for (double dropout : {0.0, 0.2}) {
        CAPTURE(dropout);
        qkv::testing::TempDir dir;
        TrainConfig c;
        c.dropout = dropout;
        c.steps = 12;
        c.batch_size = 16;
        c.held_out = 20;
        c.curve_items = 10;
        c.curve_points = 4;
        const TaskSpec spec = make_task(Task::Reverse, c.seed);
        const TrainResult full = train(spec, c);

        TrainConfig first = c;
        first.checkpoint = {dir.file("ck.safetensors"), 5, false, 7};  // saves at 5, stops (as if killed) after 7
        const TrainResult stopped = train(spec, first);
        REQUIRE(stopped.train_loss.size() == 7);

        TrainConfig second = c;
        second.checkpoint = {dir.file("ck.safetensors"), 5, true, 0};
        const TrainResult resumed = train(spec, second);
        CHECK(resumed.train_loss == full.train_loss);
        CHECK(resumed.lr == full.lr);
        CHECK(resumed.steps == full.steps);
        CHECK(resumed.curve_steps == full.curve_steps);
        CHECK(resumed.held_loss == full.held_loss);
        const TensorMap a = nn::state_dict(*full.model), b = nn::state_dict(*resumed.model);
        REQUIRE(a.size() == b.size());
        for (const auto& entry : a) {  // not a structured binding: Clang 14 cannot capture one, as INFO does
            const std::string& name = entry.first;
            INFO(name);
            CHECK(equal(entry.second, b.at(name)));
        }

        // A checkpoint of other settings is refused, not mixed in.
        TrainConfig other = second;
        other.lr_factor = 0.3;
        CHECK_THROWS_WITH_AS(train(spec, other), doctest::Contains("was saved by another run"), Error);
    }
}

}  // TEST_SUITE
