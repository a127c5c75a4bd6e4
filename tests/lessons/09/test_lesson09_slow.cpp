// Lesson 09's section 5 at its full budget (the README's numbers): 1024 sentences, batches of
// 32, one epoch, seed 0. The tiny model learns (its last loss is below ln 16 = 2.77, what
// guessing the 16 tokens uniformly costs), packed and padded give the same losses, and packing
// computes only the real tokens.
#include <doctest/doctest.h>

#include <cmath>

#include "lessons/09_memory_efficient_attention/tiny_lm.hpp"

using namespace qkv;

TEST_CASE("lesson09 slow: one epoch padded and packed, the same falling losses, 77% of the padded positions wasted") {
    Generator data(3);  // the lesson's seeds for --seed 0: data seed + 3, weights seed + 4
    const auto sentences = lesson09::make_sentences(1024, 16, 160, data);
    Generator a(4), b(4);
    lesson09::TinyLM padded_model(16, 32, 160, a), packed_model(16, 32, 160, b);
    const lesson09::EpochReport padded = lesson09::train_epoch(padded_model, sentences, 32, false, 3e-3);
    const lesson09::EpochReport packed = lesson09::train_epoch(packed_model, sentences, 32, true, 3e-3);
    REQUIRE(padded.losses.size() == 32);
    for (std::size_t i = 0; i < padded.losses.size(); ++i) {
        INFO("step ", i + 1);
        CHECK(std::abs(padded.losses[i] - packed.losses[i]) <= 1e-5 * padded.losses[i]);
    }
    CHECK(packed.losses.back() < std::log(16.0));
    CHECK(packed.losses.back() < packed.losses.front() - 0.5);
    const double wasted = 1.0 - static_cast<double>(padded.tokens) / static_cast<double>(padded.positions);
    CHECK(wasted > 0.7);
    CHECK(packed.positions == packed.tokens);
}
