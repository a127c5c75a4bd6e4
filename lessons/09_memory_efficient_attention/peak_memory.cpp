#include "lessons/09_memory_efficient_attention/peak_memory.hpp"

#include "tensor/storage.hpp"

namespace qkv::lesson09 {

double peak_added_mb(const std::function<void()>& run) {
    const std::size_t before = storage_use::live_bytes();
    storage_use::reset_peak();
    run();
    return static_cast<double>(storage_use::peak_bytes() - before) / (1024.0 * 1024.0);
}

}  // namespace qkv::lesson09
