#include "nn/data/shuffle.hpp"

#include <algorithm>

#include "tensor/error.hpp"

namespace qkv::nn {

RandomBatchSampler::RandomBatchSampler(std::int64_t dataset_size, std::int64_t batch_size, std::uint64_t seed,
                                       bool drop_last)
    : size_(dataset_size), batch_size_(batch_size), drop_last_(drop_last), gen_(seed) {
    if (dataset_size < 0) fail("RandomBatchSampler", "dataset_size must be >= 0, got ", dataset_size);
    if (batch_size < 1) fail("RandomBatchSampler", "batch_size must be >= 1, got ", batch_size);
    start_epoch();
}

void RandomBatchSampler::start_epoch() {
    epoch_start_ = gen_.state();
    order_ = randperm(size_, gen_).to_vector<std::int64_t>();
    batch_ = 0;
}

// ceil(N / batch) batches, or floor(N / batch) when the short last one is dropped.
std::int64_t RandomBatchSampler::batches_per_epoch() const {
    return drop_last_ ? size_ / batch_size_ : (size_ + batch_size_ - 1) / batch_size_;
}

std::optional<std::vector<std::int64_t>> RandomBatchSampler::next() {
    if (batch_ == batches_per_epoch()) {
        ++epoch_;
        start_epoch();
        return std::nullopt;
    }
    const std::int64_t begin = batch_ * batch_size_;
    const std::int64_t end = std::min(begin + batch_size_, size_);
    ++batch_;
    return std::vector<std::int64_t>(order_.begin() + begin, order_.begin() + end);
}

RandomBatchSampler::State RandomBatchSampler::state() const { return {epoch_, batch_, epoch_start_}; }

void RandomBatchSampler::set_state(const State& state) {
    if (state.epoch < 0) fail("RandomBatchSampler::set_state", "epoch must be >= 0, got ", state.epoch);
    if (state.batch < 0 || state.batch > batches_per_epoch())
        fail("RandomBatchSampler::set_state", "batch ", state.batch, " is outside [0, ", batches_per_epoch(),
             "] for dataset_size ", size_, " and batch_size ", batch_size_);
    gen_.set_state(state.generator);  // checks the generator state before anything changes
    epoch_ = state.epoch;
    start_epoch();
    batch_ = state.batch;
}

}  // namespace qkv::nn
