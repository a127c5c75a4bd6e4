// Lesson 06's --quick training, pinned to the bits recorded on x86-64 with FMA: the same on AVX2
// and AVX-512 machines (see tests/trajectory_hash.hpp).
#include <doctest/doctest.h>

#include "lessons/06_transformer/training.hpp"
#include "trajectory_hash.hpp"

using namespace qkv;
using namespace qkv::lesson06;

TEST_CASE("lesson06 --quick training losses match the hash recorded for x86-64 with FMA") {
    if (!test::recorded_numbers_apply) {
        MESSAGE(test::recorded_numbers_skip_reason);
        return;
    }
    std::vector<double> numbers;
    for (Task task : {Task::Reverse, Task::Translate}) {
        const TrainResult r = train(make_task(task, 0), quick_config(task, TrainConfig{}));  // what --quick trains, seed 0
        numbers.insert(numbers.end(), r.train_loss.begin(), r.train_loss.end());
        numbers.insert(numbers.end(), r.held_loss.begin(), r.held_loss.end());
    }
    const std::string hash = test::hex(test::hash_bits(numbers));
    MESSAGE("lesson06 --quick: reverse then translate, trajectory hash " << hash);
    CHECK(hash == "3c3f457a18234bb8");
}
