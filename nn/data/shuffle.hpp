// RandomBatchSampler: the indices of a dataset in a fresh random order each epoch, cut into
// batches (PyTorch's BatchSampler over a RandomSampler).
//
//   RandomBatchSampler sampler(/*dataset_size=*/1000, /*batch_size=*/32, /*seed=*/0);
//   for (int epoch = 0; epoch < 10; ++epoch)
//       while (auto batch = sampler.next())    // std::vector<int64_t> of up to 32 indices
//           train_step(*batch);
//
// next() returns std::nullopt once at the end of each epoch; the call after it starts the next
// epoch. (An epoch with no batches, dataset_size 0 or drop_last with fewer than batch_size
// items, returns nullopt straight away.) Each epoch's order is a Fisher-Yates permutation (randperm) drawn from the sampler's
// own Generator, so a seed fixes every epoch's order on every platform, and consecutive epochs
// differ.
//
// Resuming: state() is {epoch, next batch, generator state from just before this epoch's
// permutation was drawn}. set_state() redraws that permutation and continues from the batch,
// so a run restored from a checkpoint sees exactly the batches an uninterrupted run would.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "tensor/random.hpp"

namespace qkv::nn {

class RandomBatchSampler {
public:
    // dataset_size >= 0, batch_size >= 1. drop_last leaves out a final batch smaller than
    // batch_size (so every batch has the same shape).
    RandomBatchSampler(std::int64_t dataset_size, std::int64_t batch_size, std::uint64_t seed, bool drop_last = false);

    // The next batch of the current epoch, or nullopt when the epoch is over (then the next
    // epoch begins).
    std::optional<std::vector<std::int64_t>> next();

    std::int64_t epoch() const { return epoch_; }            // 0 for the first epoch
    std::int64_t batches_per_epoch() const;
    std::int64_t dataset_size() const { return size_; }
    std::int64_t batch_size() const { return batch_size_; }

    struct State {
        std::int64_t epoch;
        std::int64_t batch;  // batches of this epoch already returned
        Generator::State generator;
    };
    State state() const;
    // For a sampler built with the same dataset_size, batch_size and drop_last as the saved
    // one (the seed does not matter: the state replaces it). Throws if batch is outside
    // [0, batches_per_epoch()] or epoch < 0.
    void set_state(const State& state);

private:
    void start_epoch();  // draws the order for epoch_

    std::int64_t size_, batch_size_;
    bool drop_last_;
    Generator gen_;
    std::int64_t epoch_ = 0;
    std::int64_t batch_ = 0;
    Generator::State epoch_start_{};  // gen_'s state before order_ was drawn
    std::vector<std::int64_t> order_;
};

}  // namespace qkv::nn
