// Picking and combining elements by index: embedding lookup, its scatter-add gradient,
// gather, concatenation, splitting, one-hot and triangular masks. Index tensors are int64;
// an index outside [0, size) throws, naming the index and the size.
#pragma once

#include <vector>

#include "tensor/core.hpp"

namespace qkv {

// out = a with dim `dim` replaced by the entries at `index` (1-d int64).
// Embedding lookup is index_select(weight (V, C), 0, ids.flatten()) -> (N, C).
Tensor index_select(const Tensor& a, std::int64_t dim, const Tensor& index);
// out[i][j][k] = a[index[i][j][k]][j][k] for dim 0 (and likewise for other dims); index has
// a's rank and out has index's shape (torch.gather).
Tensor gather(const Tensor& a, std::int64_t dim, const Tensor& index);
// Returns a copy of `a` with src added in: out[index[i][j]][j] += src[i][j] for dim 0, etc.
// Repeated indices accumulate (torch.scatter_add). The gradient of gather. index has a's rank,
// fits inside src, and inside a except along dim. float32, float64 and int64.
Tensor scatter_add(const Tensor& a, std::int64_t dim, const Tensor& index, const Tensor& src);
// The gradient of index_select: out (with `shape`) has out.select(dim, index[i]) += src.select(dim, i).
// src has `shape` with dim `dim` replaced by index's length. float32, float64 and int64.
Tensor index_add(const Shape& shape, std::int64_t dim, const Tensor& index, const Tensor& src);

// Joins tensors of equal shape except along `dim`.
Tensor concat(const std::vector<Tensor>& parts, std::int64_t dim);
// Joins tensors of equal shape along a new dim.
Tensor stack(const std::vector<Tensor>& parts, std::int64_t dim);
// Views of consecutive pieces of `size` along dim (the last may be smaller; a dim of size 0
// gives one empty piece).
std::vector<Tensor> split(const Tensor& a, std::int64_t size, std::int64_t dim);
// Views of `chunks` near-equal pieces along dim (torch.chunk: pieces of ceil(n / chunks), so
// there may be fewer than `chunks`: 5 elements in 4 chunks give sizes 2, 2, 1).
std::vector<Tensor> chunk(const Tensor& a, std::int64_t chunks, std::int64_t dim);

// (..., num_classes) with a 1 at each index (float32 unless told); every index must be in
// [0, num_classes).
Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype = DType::Float32);
// Keeps the elements on and above (triu) / on and below (tril) the k-th diagonal of the last
// two dims, zeroing the rest. triu(ones({T, T}, Bool), 1) is the causal mask: true above the
// diagonal, where a query would see the future.
Tensor triu(const Tensor& a, std::int64_t k = 0);
Tensor tril(const Tensor& a, std::int64_t k = 0);

}  // namespace qkv
