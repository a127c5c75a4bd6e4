// How much resident memory a piece of code adds at its peak, measured by Linux itself: the
// process's high-water mark of resident memory (VmHWM in /proc/self/status) is reset to the
// current resident size by writing 5 to /proc/self/clear_refs, the code runs, and the new
// high-water mark minus the size before is what it added. qkv's cache of freed blocks is
// emptied first, so a run does not reuse the previous run's memory.
#pragma once

#include <functional>
#include <optional>

namespace qkv::lesson09 {

// MB added at the peak, or nullopt where /proc is missing or cannot be reset (not Linux).
std::optional<double> peak_added_mb(const std::function<void()>& run);

}  // namespace qkv::lesson09
