// How much memory a piece of code adds at its peak, two ways.
//
// Counted: the most bytes of tensor storage in use at once while it runs, minus those in use
// before (tensor/storage.hpp, storage_use). This is what the attention op and its autograd graph
// hold (the (T, T) scores and weights, their gradients, the saved log-sum-exp), exactly and the
// same on every machine. Buffers outside tensors are not counted: a tile's row state and the
// matmul's packing buffers (a few KB to a few hundred KB per thread) and the backward's row
// vector D (T values per head).
//
// Resident: what Linux says, the process's high-water mark of resident memory (VmHWM in
// /proc/self/status), reset to the current resident size by writing 5 to /proc/self/clear_refs,
// minus the size before. It is what a user sees in `top`, but it is a coarse ruler: freed memory
// that malloc keeps and hands out again adds no new page (so a run can show less than it held),
// and the sanitizer build keeps freed memory in quarantine. qkv's cache of freed blocks is
// emptied before each run.
#pragma once

#include <functional>
#include <optional>

namespace qkv::lesson09 {

struct PeakMemory {
    double counted_mb = 0;
    std::optional<double> resident_mb;  // nullopt where /proc is missing or cannot be reset (not Linux)
};

PeakMemory peak_added(const std::function<void()>& run);

}  // namespace qkv::lesson09
