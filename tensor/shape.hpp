// Shapes, strides and broadcasting: the index arithmetic every view and op is built on.
//
// A tensor's element (i0, i1, ..., in-1) lives at storage position
//     offset + i0*stride0 + i1*stride1 + ... + in-1*stride(n-1)
// (strides counted in elements, not bytes). A "contiguous" (row-major) tensor has
// stride(k) = size(k+1) * size(k+2) * ... * size(n-1), so the last dim varies fastest.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace qkv {

using Shape = std::vector<std::int64_t>;    // sizes, one per dim
using Strides = std::vector<std::int64_t>;  // steps in elements, one per dim

// Number of elements: the product of the sizes (1 for a 0-d tensor).
std::int64_t shape_numel(const Shape& shape);

// Row-major strides for `shape`.
Strides contiguous_strides(const Shape& shape);

// "(2, 3)"; a 0-d shape prints as "()".
std::string shape_str(const Shape& shape);

// Maps a possibly negative dim (-1 = last) into [0, ndim), or throws "op: dim d out of range
// for a tensor of n dims". With ndim = n + 1 it normalises an insertion position (unsqueeze).
std::int64_t normalize_dim(std::int64_t dim, std::int64_t ndim, const char* op);

// NumPy/PyTorch broadcasting: align shapes at the right; each pair of sizes must be equal or
// one of them 1; the result takes the larger. Throws "op: shapes (..) and (..) cannot be
// broadcast: sizes a and b differ at dim d".
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

// The multi-index of the element at row-major position `flat` in `shape`, e.g. 5 in (2, 3) ->
// (1, 2). Error messages use it to say where a bad element is.
Shape unravel_index(std::int64_t flat, const Shape& shape);

// Checks that every size is >= 0 (and that the element count does not overflow).
void check_shape(const Shape& shape, const char* op);

}  // namespace qkv
