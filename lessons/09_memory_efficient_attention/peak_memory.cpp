#include "lessons/09_memory_efficient_attention/peak_memory.hpp"

#include <fstream>
#include <string>

#include "tensor/storage.hpp"

namespace qkv::lesson09 {

namespace {

std::optional<double> status_mb(const std::string& key) {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size())) / 1024.0;  // the value is in kB
    return std::nullopt;
}

// Resets VmHWM to the current resident size; false where that is not possible.
bool reset_high_water_mark() {
    std::ofstream reset("/proc/self/clear_refs");
    return static_cast<bool>(reset << "5" << std::flush);
}

}  // namespace

PeakMemory peak_added(const std::function<void()>& run) {
    storage_cache::clear();
    const std::size_t tensors_before = storage_use::live_bytes();
    const std::optional<double> resident_before = status_mb("VmRSS:");
    const bool resident = resident_before && reset_high_water_mark();
    storage_use::reset_peak();
    run();
    PeakMemory m;
    m.counted_mb = static_cast<double>(storage_use::peak_bytes() - tensors_before) / (1024.0 * 1024.0);
    if (const std::optional<double> peak = status_mb("VmHWM:"); resident && peak) m.resident_mb = *peak - *resident_before;
    storage_cache::clear();
    return m;
}

}  // namespace qkv::lesson09
