// Reductions over any set of dims, with keepdim (PyTorch semantics). An empty `dims` list
// reduces over every dim. Float32 sums accumulate in double, so a result does not depend on
// how the work is split and loses no precision on long rows.
#pragma once

#include <vector>

#include "tensor/core.hpp"

namespace qkv {

using Dims = std::vector<std::int64_t>;

Tensor sum(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
// Variance: sum((x - mean)^2) / (N - correction). correction = 0 is the biased (population)
// variance LayerNorm uses; correction = 1 is the unbiased sample variance (torch.var's default).
Tensor var(const Tensor& a, const Dims& dims = {}, std::int64_t correction = 1, bool keepdim = false);
// log(sum(exp(x))) computed as m + log(sum(exp(x - m))) with m the max, so it never overflows.
// A slice that is all -inf gives -inf.
Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim = false);

struct ValuesIndices {
    Tensor values;
    Tensor indices;  // int64; the first position of the extreme value when it repeats
};
ValuesIndices max(const Tensor& a, std::int64_t dim, bool keepdim = false);
ValuesIndices min(const Tensor& a, std::int64_t dim, bool keepdim = false);
Tensor max(const Tensor& a);  // 0-d: the largest element
Tensor min(const Tensor& a);
Tensor argmax(const Tensor& a, std::int64_t dim, bool keepdim = false);

// The shape a reduction produces, and the normalised, sorted, de-duplicated dims.
Shape reduced_shape(const Shape& shape, const Dims& dims, bool keepdim, const char* op);
Dims normalize_dims(const Dims& dims, std::int64_t ndim, const char* op);

}  // namespace qkv
