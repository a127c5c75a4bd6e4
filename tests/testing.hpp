// The comparison every test program uses: check_close(what, expected, got, rtol, atol), one
// doctest check for a whole tensor. A failure says, at the caller's file and line,
//
//   attention weights: 2 of 12 elements differ (allowed |got - expected| <= 1e-06 + 1e-05 * |expected|)
//     largest difference 0.25 at [1, 2]: expected 0.5, got 0.75
//     first mismatches: [0, 3] expected 0.1 got 0.2; [1, 2] expected 0.5 got 0.75
//
// instead of one CHECK per element (llm.c's habit: say how many numbers differ, by how much and
// where). Tensor-level only, so the tensor tests can use it; the module gradient check that the
// nn and lesson tests share is in tests/testing_nn.hpp. The thread-count guard is the library's
// qkv::ThreadCountGuard (tensor/thread_pool.hpp).
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tensor/core.hpp"

namespace qkv::test {

namespace detail {

// Enough digits that two float64 values that differ in the 12th digit print differently; the
// difference itself is printed too, so a closer miss is still visible.
inline std::string number(double v) {
    std::ostringstream out;
    out << std::setprecision(12) << v;
    return out.str();
}

inline std::string index_str(std::int64_t flat, const Shape& shape) {
    const Shape index = unravel_index(flat, shape);
    std::string s = "[";
    for (std::size_t d = 0; d < index.size(); ++d) s += (d ? ", " : "") + std::to_string(index[d]);
    return s + "]";
}

}  // namespace detail

// Spelled once for all test programs: a unity build compiles several test files as one
// translation unit, where each file's own copy would be a second definition.
inline constexpr DType f64 = DType::Float64;
inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The logistic function in double, for expected values worked out beside the library's.
inline double sigmoid_d(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// How many mismatches a failure lists, after the largest.
inline constexpr std::size_t mismatches_listed = 5;

// Compares element i of `got` with element i of `expected` (both row-major, of `shape`):
//   |got - expected| <= atol + rtol * |expected|
// NaN matches only NaN and an infinity only the same infinity. With rtol = atol = 0 that is
// exact equality (+0 and -0 count as equal). Returns "" when every element passes, else what is
// wrong: the count, the largest difference and where, and the first few mismatches.
inline std::string describe_mismatch(const std::vector<double>& expected, const std::vector<double>& got,
                                     const Shape& shape, double rtol, double atol) {
    std::int64_t mismatches = 0, worst = -1;
    double worst_difference = 0;
    std::vector<std::size_t> first;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const double e = expected[i], g = got[i];
        double difference = 0;
        bool same;
        if (std::isnan(e) || std::isnan(g)) {
            same = std::isnan(e) && std::isnan(g);
            difference = INFINITY;
        } else if (std::isinf(e) || std::isinf(g)) {
            same = e == g;
            difference = INFINITY;
        } else {
            difference = std::abs(g - e);
            same = difference <= atol + rtol * std::abs(e);
        }
        if (same) continue;
        ++mismatches;
        if (first.size() < mismatches_listed) first.push_back(i);
        if (worst < 0 || difference > worst_difference) worst = static_cast<std::int64_t>(i), worst_difference = difference;
    }
    if (mismatches == 0) return "";
    const auto w = static_cast<std::size_t>(worst);
    std::ostringstream out;
    out << mismatches << " of " << expected.size() << " elements differ (allowed |got - expected| <= " << atol
        << " + " << rtol << " * |expected|)\n"
        << "  largest difference " << detail::number(worst_difference) << " at " << detail::index_str(worst, shape)
        << ": expected " << detail::number(expected[w]) << ", got " << detail::number(got[w]) << "\n"
        << "  first mismatches:";
    for (std::size_t k = 0; k < first.size(); ++k)
        out << (k ? ";" : "") << " " << detail::index_str(static_cast<std::int64_t>(first[k]), shape) << " expected "
            << detail::number(expected[first[k]]) << " got " << detail::number(got[first[k]]);
    if (static_cast<std::size_t>(mismatches) > first.size()) out << "; ...";
    return out.str();
}

// The same for two tensors; a shape mismatch or an undefined `got` is reported as such.
inline std::string describe_mismatch(const Tensor& expected, const Tensor& got, double rtol, double atol) {
    if (!got.defined()) return "got an undefined Tensor";
    if (expected.shape() != got.shape())
        return "expected shape " + shape_str(expected.shape()) + ", got shape " + shape_str(got.shape());
    return describe_mismatch(expected.to_vector<double>(), got.to_vector<double>(), got.shape(), rtol, atol);
}

namespace detail {

// One doctest assertion: passed when `mismatch` is empty (counted in doctest's summary like any
// other), else failed with `what` and the mismatch at file:line.
inline bool report(const std::string& what, const std::string& mismatch, const char* file, int line) {
    if (mismatch.empty()) {
        CHECK(true);
        return true;
    }
    ADD_FAIL_CHECK_AT(file, line, (what + ": " + mismatch));
    return false;
}

}  // namespace detail

// One doctest check that `got` matches `expected` to |got - expected| <= atol + rtol * |expected|
// everywhere; on failure it reports describe_mismatch's text under `what`, at the caller's line
// (file and line default to the call site). Returns whether they matched.
inline bool check_close(const std::string& what, const Tensor& expected, const Tensor& got, double rtol, double atol,
                        const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    return detail::report(what, describe_mismatch(expected, got, rtol, atol), file, line);
}

// `expected` written out in the test, row-major in got's shape.
inline bool check_close(const std::string& what, const std::vector<double>& expected, const Tensor& got, double rtol,
                        double atol, const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    std::string mismatch;
    if (!got.defined()) mismatch = "got an undefined Tensor";
    else if (static_cast<std::int64_t>(expected.size()) != got.numel())
        mismatch = "expected " + std::to_string(expected.size()) + " values, got shape " + shape_str(got.shape()) +
                   " with " + std::to_string(got.numel());
    else mismatch = describe_mismatch(expected, got.to_vector<double>(), got.shape(), rtol, atol);
    return detail::report(what, mismatch, file, line);
}

// The largest |a - b| over the elements, in float64, for tests that print or bound a difference
// rather than check one tolerance (check_close does that). NaN if any difference is NaN, so that
// `max_abs_diff(a, b) < tol` fails on a NaN output (std::max would skip it).
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
    REQUIRE_MESSAGE(a.shape() == b.shape(), "max_abs_diff of " << shape_str(a.shape()) << " and " << shape_str(b.shape()));
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double largest = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double difference = std::abs(x[i] - y[i]);
        if (std::isnan(difference)) return difference;
        largest = std::max(largest, difference);
    }
    return largest;
}

}  // namespace qkv::test
