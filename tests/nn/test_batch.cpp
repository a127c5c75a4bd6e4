// Padding a batch (ids, lengths, padding mask with true = padding) and the seeded shuffling
// batch sampler (coverage, determinism, resuming from a saved state).
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "nn/data/batch.hpp"
#include "nn/data/shuffle.hpp"
#include "tensor/creation.hpp"
#include "tensor/error.hpp"

using namespace qkv;
using namespace qkv::nn;

namespace {

using Ids = std::vector<std::int64_t>;
using Mask = std::vector<std::uint8_t>;

// Every batch of the sampler's current epoch, in order (consumes the end-of-epoch nullopt).
std::vector<Ids> one_epoch(RandomBatchSampler& sampler) {
    std::vector<Ids> batches;
    while (auto batch = sampler.next()) batches.push_back(*batch);
    return batches;
}

Ids concatenated(const std::vector<Ids>& batches) {
    Ids all;
    for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
    return all;
}

}  // namespace

TEST_SUITE("nn") {

// ---- pad_batch -------------------------------------------------------------------------------

TEST_CASE("pad_batch pads to the longest sequence and marks padding true") {
    const PaddedBatch batch = pad_batch({{5, 6, 7}, {8}, {}}, /*pad_id=*/0);
    CHECK(batch.ids.shape() == Shape{3, 3});
    CHECK(batch.ids.dtype() == DType::Int64);
    CHECK(batch.ids.to_vector<std::int64_t>() == Ids{5, 6, 7,  //
                                                     8, 0, 0,  //
                                                     0, 0, 0});
    CHECK(batch.lengths.shape() == Shape{3});
    CHECK(batch.lengths.to_vector<std::int64_t>() == Ids{3, 1, 0});
    CHECK(batch.padding_mask.dtype() == DType::Bool);
    CHECK(batch.padding_mask.shape() == Shape{3, 3});
    CHECK(batch.padding_mask.to_vector<std::uint8_t>() == Mask{0, 0, 0,  //
                                                               0, 1, 1,  //
                                                               1, 1, 1});
}

TEST_CASE("pad_batch pads to max_len and truncates only when asked") {
    const PaddedBatch wide = pad_batch({{1, 2}, {3}}, /*pad_id=*/9, 4);
    CHECK(wide.ids.to_vector<std::int64_t>() == Ids{1, 2, 9, 9, 3, 9, 9, 9});
    CHECK(wide.padding_mask.to_vector<std::uint8_t>() == Mask{0, 0, 1, 1, 0, 1, 1, 1});

    CHECK_THROWS_WITH_AS(pad_batch({{1}, {1, 2, 3}}, 0, 2),
                         doctest::Contains("pad_batch: sequence 1 has 3 ids, more than max_len = 2"), Error);
    const PaddedBatch cut = pad_batch({{1}, {1, 2, 3}}, 0, 2, /*truncate=*/true);
    CHECK(cut.ids.to_vector<std::int64_t>() == Ids{1, 0, 1, 2});
    CHECK(cut.lengths.to_vector<std::int64_t>() == Ids{1, 2});
    CHECK(cut.padding_mask.to_vector<std::uint8_t>() == Mask{0, 1, 0, 0});
}

TEST_CASE("pad_batch rejects an empty batch and a non-positive max_len") {
    CHECK_THROWS_WITH_AS(pad_batch({}, 0), doctest::Contains("pad_batch: the batch holds no sequences"), Error);
    CHECK_THROWS_WITH_AS(pad_batch({{1}}, 0, 0), doctest::Contains("max_len must be >= 1, got 0"), Error);
}

TEST_CASE("key_padding_mask is true at positions at or beyond each length") {
    const Tensor lengths = from_vector<std::int64_t>({2, 0, 4});
    const Tensor mask = key_padding_mask(lengths, 4);
    CHECK(mask.shape() == Shape{3, 4});
    // A naive reference: position t of row b is padding when t >= lengths[b].
    const Ids lens = {2, 0, 4};
    Mask expected;
    for (std::int64_t b = 0; b < 3; ++b)
        for (std::int64_t t = 0; t < 4; ++t) expected.push_back(t >= lens[static_cast<std::size_t>(b)] ? 1 : 0);
    CHECK(mask.to_vector<std::uint8_t>() == expected);

    CHECK_THROWS_WITH_AS(key_padding_mask(lengths, 3), doctest::Contains("lengths[2] = 4 is outside [0, T = 3]"), Error);
    CHECK_THROWS_WITH_AS(key_padding_mask(tensor({1, 2}), 3),
                         doctest::Contains("lengths must be a 1-d int64 tensor, got float32 (2)"), Error);
}

// ---- RandomBatchSampler ----------------------------------------------------------------------

TEST_CASE("RandomBatchSampler visits every index once per epoch") {
    RandomBatchSampler sampler(10, 3, /*seed=*/7);
    CHECK(sampler.batches_per_epoch() == 4);
    for (int epoch = 0; epoch < 3; ++epoch) {
        CHECK(sampler.epoch() == epoch);
        const std::vector<Ids> batches = one_epoch(sampler);
        REQUIRE(batches.size() == 4);
        CHECK(batches[0].size() == 3);
        CHECK(batches[3].size() == 1);  // 10 = 3 + 3 + 3 + 1
        Ids all = concatenated(batches);
        std::sort(all.begin(), all.end());
        Ids expected(10);
        std::iota(expected.begin(), expected.end(), 0);
        CHECK(all == expected);
    }
}

TEST_CASE("RandomBatchSampler with drop_last leaves out the short final batch") {
    RandomBatchSampler sampler(10, 3, /*seed=*/7, /*drop_last=*/true);
    CHECK(sampler.batches_per_epoch() == 3);
    const std::vector<Ids> batches = one_epoch(sampler);
    REQUIRE(batches.size() == 3);
    Ids all = concatenated(batches);
    for (const auto& b : batches) CHECK(b.size() == 3);
    std::sort(all.begin(), all.end());
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // 9 distinct indices
    CHECK(all.front() >= 0);
    CHECK(all.back() <= 9);
}

TEST_CASE("RandomBatchSampler order is fixed by the seed and changes between epochs") {
    RandomBatchSampler a(50, 8, /*seed=*/3), b(50, 8, /*seed=*/3), c(50, 8, /*seed=*/4);
    const Ids a0 = concatenated(one_epoch(a)), a1 = concatenated(one_epoch(a));
    CHECK(a0 == concatenated(one_epoch(b)));
    CHECK(a1 == concatenated(one_epoch(b)));
    CHECK(a0 != a1);
    CHECK(a0 != concatenated(one_epoch(c)));
    // The documented source of the order: a randperm from a Generator seeded with the seed.
    Generator gen(3);
    CHECK(a0 == randperm(50, gen).to_vector<std::int64_t>());
    CHECK(a1 == randperm(50, gen).to_vector<std::int64_t>());
}

TEST_CASE("RandomBatchSampler restored from a saved state continues identically") {
    RandomBatchSampler original(23, 5, /*seed=*/11);
    one_epoch(original);
    original.next();
    original.next();  // epoch 1, two batches in
    const RandomBatchSampler::State saved = original.state();
    CHECK(saved.epoch == 1);
    CHECK(saved.batch == 2);

    std::vector<std::optional<Ids>> expected;
    for (int i = 0; i < 12; ++i) expected.push_back(original.next());  // runs into epoch 2

    RandomBatchSampler resumed(23, 5, /*seed=*/999);  // a different seed: the state decides
    resumed.set_state(saved);
    CHECK(resumed.epoch() == 1);
    for (int i = 0; i < 12; ++i) CHECK(resumed.next() == expected[static_cast<std::size_t>(i)]);
    CHECK(resumed.epoch() == original.epoch());
}

TEST_CASE("RandomBatchSampler restores at an epoch boundary") {
    RandomBatchSampler original(6, 2, /*seed=*/5);
    for (int i = 0; i < 3; ++i) original.next();  // all 3 batches; the end-of-epoch nullopt is next
    const auto saved = original.state();
    CHECK(saved.batch == 3);
    const auto end = original.next();
    CHECK_FALSE(end.has_value());
    const std::vector<Ids> next_epoch = one_epoch(original);

    RandomBatchSampler resumed(6, 2, /*seed=*/0);
    resumed.set_state(saved);
    CHECK_FALSE(resumed.next().has_value());
    CHECK(one_epoch(resumed) == next_epoch);
}

TEST_CASE("RandomBatchSampler rejects bad sizes and states") {
    CHECK_THROWS_WITH_AS(RandomBatchSampler(10, 0, 1), doctest::Contains("batch_size must be >= 1, got 0"), Error);
    CHECK_THROWS_WITH_AS(RandomBatchSampler(-1, 2, 1), doctest::Contains("dataset_size must be >= 0, got -1"), Error);
    RandomBatchSampler sampler(10, 3, 1);
    auto state = sampler.state();
    state.batch = 5;
    CHECK_THROWS_WITH_AS(sampler.set_state(state), doctest::Contains("set_state: batch 5 is outside [0, 4]"), Error);
    state.batch = 0;
    state.generator = Generator::State{{0, 0, 0, 0}, false, 0.0};
    CHECK_THROWS_WITH_AS(sampler.set_state(state), doctest::Contains("all-zero state"), Error);
}

}  // TEST_SUITE
