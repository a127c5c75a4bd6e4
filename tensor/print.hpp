// Printing tensors like PyTorch does, and comparing them.
#pragma once

#include <ostream>
#include <string>

#include "tensor/core.hpp"

namespace qkv {

// tensor([[1.0000, 2.0000],
//         [3.0000, 4.0000]], shape=(2, 2), dtype=float32)
// Tensors with more than 1000 elements show the first and last 3 entries of each dim with
// "..." between them.
std::ostream& operator<<(std::ostream& out, const Tensor& t);
std::string to_string(const Tensor& t);

// The result of comparing two tensors elementwise: |a - b| <= atol + rtol * |b| everywhere.
// Converts to bool; `message` names the worst element (index, both values, the difference)
// so a failing test says where the numbers differ.
struct CloseReport {
    bool ok = true;
    std::string message;
    explicit operator bool() const { return ok; }
};
// Shapes must match exactly (no broadcasting); NaN equals nothing, except NaN == NaN when
// equal_nan; infinities must match exactly.
CloseReport allclose(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-8,
                     bool equal_nan = false);
// True when shapes, dtypes and every element are identical (bitwise for floats, NaN == NaN).
bool equal(const Tensor& a, const Tensor& b);

}  // namespace qkv
