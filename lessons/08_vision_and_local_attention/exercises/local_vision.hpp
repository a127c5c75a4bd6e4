// Lesson 08's exercises: your own versions of the pieces the lesson teaches. The library's
// reference versions are in nn/vision/patch_embedding.hpp and nn/attention/masks.hpp; the
// checkers (tests/exercises/08) compare yours with them. See ../EXERCISES.md.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::exercises {

// 08.1: images (B, C, H, W) -> patches (B, N, C p p), patches row by row over the grid, each
// flattened channel first, then row, then column (nn::patchify's order). Only reshape and
// permute (and one contiguous copy); no loops over pixels.
Tensor patchify(const Tensor& images, std::int64_t patch);

// 08.2: (T, T) bool, true where |i - j| > w (masked out). T >= 1 and w >= 0, else qkv::Error.
Tensor band_mask(std::int64_t T, std::int64_t w);

// 08.3: after `layers` band layers of +-w, how many positions on EITHER side of a token can
// have reached it (ignoring the sequence ends)? layers, w >= 0, else qkv::Error.
std::int64_t band_reach(std::int64_t layers, std::int64_t w);

// 08.4: the band of +-w with the rows and columns of `global_positions` open. Positions outside
// [0, T) are an error.
Tensor band_global_mask(std::int64_t T, std::int64_t w, const std::vector<std::int64_t>& global_positions);

}  // namespace qkv::exercises
