// Making tensors: constant fills, ranges, identity, and from C++ values.
#pragma once

#include <initializer_list>
#include <vector>

#include "tensor/core.hpp"

namespace qkv {

Tensor empty(const Shape& shape, DType dtype = DType::Float32);  // zero-filled, like zeros
Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
Tensor ones(const Shape& shape, DType dtype = DType::Float32);
Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, double value);
// A 0-d tensor holding `value`.
Tensor scalar(double value, DType dtype = DType::Float32);
// start, start+step, ... while < end (> end for a negative step), as in numpy.arange.
Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::Float32);
Tensor arange(std::int64_t end, DType dtype = DType::Int64);
// Evenly spaced, both ends included.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::Float32);
// The n x n identity (n x m when m is given).
Tensor eye(std::int64_t n, std::int64_t m = -1, DType dtype = DType::Float32);

// From values in row-major order, as a 1-d tensor or with the given `shape` ({} for 0-d).
// The dtype follows the C++ type: float -> float32, double -> float64, int64_t -> int64,
// uint8_t -> bool.
template <class T>
Tensor from_vector(const std::vector<T>& values);
template <class T>
Tensor from_vector(const std::vector<T>& values, Shape shape);

// Literals for examples and tests: tensor({1, 2, 3}), tensor({{1, 2}, {3, 4}}),
// tensor({{{...}}}) up to 3 dims; float32 unless a dtype is given. Rows of one element are
// ambiguous to C++ ({{1}, {2}} could be a list of numbers): write a column as
// tensor({1, 2}).reshape({2, 1}).
Tensor tensor(std::initializer_list<double> values, DType dtype = DType::Float32);
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype = DType::Float32);
Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> blocks,
              DType dtype = DType::Float32);

// ---- implementation ------------------------------------------------------------------------

template <class T>
Tensor from_vector(const std::vector<T>& values) {
    return from_vector(values, Shape{static_cast<std::int64_t>(values.size())});
}

template <class T>
Tensor from_vector(const std::vector<T>& values, Shape shape) {
    check_shape(shape, "from_vector");
    if (shape_numel(shape) != static_cast<std::int64_t>(values.size()))
        fail("from_vector", values.size(), " values do not fill shape ", shape_str(shape));
    Tensor out(shape, dtype_v<T>);
    T* p = out.data<T>();
    for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
    return out;
}

}  // namespace qkv
