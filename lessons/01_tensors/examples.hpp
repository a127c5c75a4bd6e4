// Lesson 01's examples: small tensors whose layout a reader can check by hand. main.cpp prints
// them and tests/lessons/01 checks the very same values, so the printed facts are tested facts.
//
// Shape legend for the attention part: B = batch, H = heads, T = tokens (time), d = head size.
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::lesson01 {

// "shape (2, 3)  strides (3, 1)  offset 0  contiguous yes": everything that says where t's
// elements are in its storage.
std::string layout(const Tensor& t);

// ---- 1. storage, shape, strides, offset ------------------------------------------------------
// [[0, 1, 2], [3, 4, 5]]: six floats in one storage, read as 2 rows of 3.
Tensor matrix_2x3();

// ---- 2. views cost nothing -------------------------------------------------------------------
// arange(10) and its slice [1:10:3] = [1, 4, 7]: offset 1, stride 3.
struct SliceExample {
    Tensor base;
    Tensor every_third;
};
SliceExample slice_with_step();

// A (2, 3) matrix of zeros, and its row 1 as a view; writing 50 to row[2] lands in base[1, 2].
struct WriteThroughExample {
    Tensor base;
    Tensor row;
};
WriteThroughExample write_through_view();

// ---- 3. when reshape must copy ---------------------------------------------------------------
struct ReshapeExample {
    Tensor source;
    Tensor reshaped;
};
ReshapeExample reshape_contiguous();  // (2, 3) -> (3, 2): new strides over the same storage
ReshapeExample reshape_transposed();  // (2, 3).t() -> (6,): the elements are out of order, so a copy
// Attention's "merge heads": (B, H, T, d) = (1, 2, 3, 2) transposed to (B, T, H, d), then
// reshaped to (B, T, H*d) = (1, 3, 4). The transpose left H and d apart in memory: a copy.
ReshapeExample merge_heads();
// What view() (reshape that refuses to copy) says about the transposed (2, 3) matrix.
std::string view_of_transposed_error();

// ---- 4. broadcasting -------------------------------------------------------------------------
struct BroadcastPair {
    Shape a, b;
};
// The pairs the lesson walks through; the last one cannot be broadcast.
std::vector<BroadcastPair> broadcast_pairs();
// The rule applied one dim at a time, as lines of text; ends with the result or the error.
std::vector<std::string> broadcast_steps(const Shape& a, const Shape& b);
Tensor column_3x1();  // [[1], [2], [3]]
Tensor row_1x4();     // [[10, 20, 30, 40]]
// column_3x1 expanded to (3, 4) without copying: stride 0 along the new columns.
struct ExpandExample {
    Tensor column;
    Tensor expanded;
};
ExpandExample expanded_column();

// ---- 5. batched matmul in attention's shapes ---------------------------------------------------
struct AttentionShapes {
    Tensor q;         // (B, H, T, d) = (2, 2, 3, 4)
    Tensor k;         // (B, H, T, d)
    Tensor k_t;       // (B, H, d, T): k.transpose(-2, -1), a view
    Tensor scores;    // (B, H, T, T): q @ k_t, scores[b, h, i, j] = q[b, h, i, :] . k[b, h, j, :]
};
AttentionShapes attention_scores();
// "q[0, 1, 2, :] . k[0, 1, 0, :] = (-2)*(1) + ... = 3": one score spelled out term by term.
std::string score_by_hand(const AttentionShapes& a, std::int64_t b, std::int64_t h, std::int64_t i,
                          std::int64_t j);
// What matmul says when k is not transposed: (B, H, T, d) @ (B, H, T, d).
std::string untransposed_matmul_error();

}  // namespace qkv::lesson01
