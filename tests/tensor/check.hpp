// Small helpers shared by the tensor tests: compare a tensor with expected values written out in
// the test, and make deterministic, irregular sample data.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tests/testing.hpp"

namespace qkv::test {

// "(3, 4)": shapes are compared as strings so a failure prints both of them readably.
inline std::string shape_of(const Tensor& t) { return shape_str(t.shape()); }

// Every element of `t` (row-major) against `expected`, one check (tests/testing.hpp): NaN must
// meet NaN and an infinity the same infinity; finite values agree to |got - expected| <=
// eps (1 + |expected|) (exactly when eps is 0).
inline void check_values(const Tensor& t, const std::vector<double>& expected, double eps = 1e-6,
                         const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    check_close("values", expected, t, eps, eps, file, line);
}

// Equality of shape, dtype and values (for results that must not depend on the layout).
inline void check_same(const Tensor& got, const Tensor& expected, const char* file = __builtin_FILE(),
                       int line = __builtin_LINE()) {
    CHECK(got.dtype() == expected.dtype());
    check_close("same values", expected, got, 0, 0, file, line);
}

// Deterministic, irregular values in [-3, 3] (no two of a small tensor alike), so a test that
// mixes up two elements, or reads one twice, sees a different number.
inline std::vector<double> sample_values(std::int64_t n, double phase = 0.0) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        v[static_cast<std::size_t>(i)] = 3.0 * std::sin(0.7 * static_cast<double>(i) + 0.3 + phase);
    return v;
}

inline Tensor sample(const Shape& shape, DType dtype = DType::Float32, double phase = 0.0) {
    return from_vector(sample_values(shape_numel(shape), phase), shape).to(dtype);
}

// 0, 1, 2, ... laid out in `shape`, as float32 unless told: element values equal their
// row-major position, which makes expected values of views easy to write by hand.
inline Tensor iota(const Shape& shape, DType dtype = DType::Float32) {
    std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i);
    return from_vector(v, shape).to(dtype);
}

}  // namespace qkv::test
