// Walking N strided operands in lock step. Every elementwise op, reduction and copy is built on
// this one loop, so each of them accepts views (transposed, sliced, broadcast) for free.
//
// The operands share one logical `shape`; operand j's element at multi-index i is at
//     base[j] + sum_k i[k] * strides[j][k].
// Rows along the last dim are handed to a callback with their start offsets, length and step,
// so the innermost loop is a plain counted loop the compiler can vectorise when steps are 1.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tensor/shape.hpp"

namespace qkv {

// Merges neighbouring dims that every operand can walk as one (stride[k] == stride[k+1] *
// size[k+1]), and drops size-1 dims, so a contiguous tensor of any rank becomes one long row.
template <std::size_t N>
void coalesce_dims(Shape& shape, std::array<Strides, N>& strides) {
    Shape s;
    std::array<Strides, N> st;
    for (std::size_t k = 0; k < shape.size(); ++k) {
        if (shape[k] == 1) continue;
        bool merge = !s.empty();
        for (std::size_t j = 0; j < N && merge; ++j) merge = st[j].back() == strides[j][k] * shape[k];
        if (merge) {
            s.back() *= shape[k];
            for (std::size_t j = 0; j < N; ++j) st[j].back() = strides[j][k];
        } else {
            s.push_back(shape[k]);
            for (std::size_t j = 0; j < N; ++j) st[j].push_back(strides[j][k]);
        }
    }
    shape = std::move(s);
    strides = std::move(st);
}

// Calls row(offsets, length, steps) once per row along the last dim; offsets[j] is operand j's
// first element of the row and steps[j] its stride along the row. Rows come in row-major order.
template <std::size_t N, class RowFn>
void for_each_row(Shape shape, std::array<const std::int64_t*, N> stride_ptrs, std::array<std::int64_t, N> base,
                  RowFn&& row) {
    if (shape_numel(shape) == 0) return;
    std::array<Strides, N> strides;
    for (std::size_t j = 0; j < N; ++j) strides[j].assign(stride_ptrs[j], stride_ptrs[j] + shape.size());
    coalesce_dims(shape, strides);
    if (shape.empty()) {  // a single element
        std::array<std::int64_t, N> steps{};
        row(base.data(), std::int64_t{1}, steps.data());
        return;
    }
    const std::size_t inner = shape.size() - 1;
    std::array<std::int64_t, N> steps;
    for (std::size_t j = 0; j < N; ++j) steps[j] = strides[j][inner];
    std::vector<std::int64_t> counter(inner, 0);
    std::array<std::int64_t, N> off = base;
    while (true) {
        row(off.data(), shape[inner], steps.data());
        // Odometer increment over the outer dims, updating offsets incrementally.
        std::size_t k = inner;
        while (k-- > 0) {
            if (++counter[k] < shape[k]) {
                for (std::size_t j = 0; j < N; ++j) off[j] += strides[j][k];
                break;
            }
            for (std::size_t j = 0; j < N; ++j) off[j] -= strides[j][k] * (shape[k] - 1);
            counter[k] = 0;
        }
        if (k == static_cast<std::size_t>(-1)) return;
    }
}

// Calls f(offsets) once per element, in row-major order.
template <std::size_t N, class ElemFn>
void for_each_offset(const Shape& shape, std::array<const std::int64_t*, N> stride_ptrs,
                     std::array<std::int64_t, N> base, ElemFn&& f) {
    for_each_row<N>(shape, stride_ptrs, base, [&](const std::int64_t* start, std::int64_t n, const std::int64_t* step) {
        std::array<std::int64_t, N> off;
        for (std::size_t j = 0; j < N; ++j) off[j] = start[j];
        for (std::int64_t i = 0; i < n; ++i) {
            f(static_cast<const std::int64_t*>(off.data()));
            for (std::size_t j = 0; j < N; ++j) off[j] += step[j];
        }
    });
}

}  // namespace qkv
