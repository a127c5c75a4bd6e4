// Differentiable indexing and joining. Same names and meanings as tensor/indexing.hpp.
#pragma once

#include <vector>

#include "autograd/var.hpp"

namespace qkv {

Var index_select(const Var& a, std::int64_t dim, const Tensor& index);
// Rows of `weight` (V, C) picked by integer `ids` of any shape: (...) -> (..., C). The
// gradient of a row is the sum of the gradients of every position that looked it up, except
// row `padding_idx` (if >= 0), which gets none, as torch.nn.functional.embedding's padding_idx.
Var embedding(const Var& weight, const Tensor& ids, std::int64_t padding_idx = -1);
Var gather(const Var& a, std::int64_t dim, const Tensor& index);
Var concat(const std::vector<Var>& parts, std::int64_t dim);
Var stack(const std::vector<Var>& parts, std::int64_t dim);
std::vector<Var> split(const Var& a, std::int64_t size, std::int64_t dim);
std::vector<Var> chunk(const Var& a, std::int64_t chunks, std::int64_t dim);

}  // namespace qkv
