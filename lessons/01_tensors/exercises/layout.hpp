// Lesson 01's exercises: your own copies of the index arithmetic in tensor/shape.cpp and
// tensor/views.cpp. The library keeps its versions; tests/exercises/01/check_01.cpp compares
// yours with them. Read lessons/01_tensors/EXERCISES.md first.
#pragma once

#include <cstdint>

#include "tensor/tensor.hpp"

namespace qkv::exercises {

// 01.1: where element `index` of t lives in t's storage:
//   offset + index[0]*stride[0] + ... + index[n-1]*stride[n-1]   (counted in elements).
// Throws qkv::Error naming the index and the shape when the index has the wrong length or an
// entry outside [0, size).
std::int64_t element_offset(const Tensor& t, const Shape& index);

// 01.2: the shape a and b broadcast to (align at the right; sizes equal, or one of them 1).
// Throws qkv::Error naming both shapes when they cannot be broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b);

// 01.3: t.slice(dim, start, end, step) as a view built by hand: same storage, new shape, strides
// and offset. Python's rules: negative dim, start and end count from the end; out-of-range start
// and end are clamped to [0, size]; step >= 1 (else qkv::Error).
Tensor slice_view(const Tensor& t, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step);

// 01.4: can a tensor with (old_shape, old_strides) be read as new_shape without copying? If so,
// write the strides that do it into `strides` and return true; if not, return false.
// (numel(old_shape) == numel(new_shape) is given.) This is what Tensor::view decides.
bool view_strides(const Shape& old_shape, const Strides& old_strides, const Shape& new_shape, Strides& strides);

}  // namespace qkv::exercises
