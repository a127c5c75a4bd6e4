// How much tensor memory a piece of code adds at its peak: the most bytes of tensor storage in
// use at once while it runs, minus those in use before (tensor/storage.hpp, storage_use).
//
// This counts what the attention op and its autograd graph hold (the (T, T) scores and weights,
// their gradients, the saved log-sum-exp), exactly and the same on every machine. The
// process's resident size would also count what malloc or the sanitizers keep of freed memory,
// and a freed block reused by the next allocation would not show at all, so it is the wrong
// ruler for a 1 MB difference. Small scratch buffers outside tensors (a tile's row state) are
// not counted; they are a few KB per thread.
#pragma once

#include <functional>

namespace qkv::lesson09 {

double peak_added_mb(const std::function<void()>& run);

}  // namespace qkv::lesson09
