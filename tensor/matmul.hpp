// Matrix multiplication, 2-d and batched, for float32 and float64.
//
//   (M, K) @ (K, N) -> (M, N)
//   (..., M, K) @ (..., K, N) -> (..., M, N), the leading "batch" dims broadcast as in
//   elementwise ops, e.g. attention scores (B, H, T, d) @ (B, H, d, T) -> (B, H, T, T).
//   A 1-d left operand is treated as (1, K) and a 1-d right one as (K, 1), and that dim is
//   dropped from the result (numpy.matmul's rule).
//
// Operands may be any strided views (a transpose costs nothing): the kernel packs them into
// its own blocks. Work is split over the thread pool, and every output element is summed in
// the same order whatever the thread count, so results are bit-identical for any count.
#pragma once

#include "tensor/core.hpp"

namespace qkv {

Tensor matmul(const Tensor& a, const Tensor& b);

// C (M x N) = A (M x K) @ B (K x N) on raw strided matrices (strides in elements; any layout,
// stride 0 included), writing C row-major with row stride ldc (C must not overlap A or B; K = 0
// writes zeros). Runs on the thread pool when the product is large enough. The building block of
// matmul(); exposed for the benchmark and tests. matmul.cpp explains how it works.
template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t a_row, std::int64_t a_col,
          const T* B, std::int64_t b_row, std::int64_t b_col, T* C, std::int64_t ldc);

}  // namespace qkv
