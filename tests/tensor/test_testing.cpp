// The test helpers' own tests (tests/testing.hpp): a comparison that could not fail, or that
// reported the wrong element, would make every test that uses it worthless.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tensor/creation.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using qkv::test::kInf;
using qkv::test::kNaN;
using qkv::test::describe_mismatch;

TEST_SUITE("tensor") {

TEST_CASE("describe_mismatch is empty when every element is within atol + rtol |expected|") {
    const Tensor expected = tensor({{1.0, -2.0}, {100.0, 0.0}}, DType::Float64);
    CHECK(describe_mismatch(expected, expected, 0, 0).empty());
    // Every element exactly at the edge, atol + rtol |expected| with atol = 0.5, rtol = 0.25 (all
    // values exact in binary): 0.75 for 1, 1 for -2, 25.5 for 100, 0.5 for 0.
    const Tensor got = tensor({{1.75, -3.0}, {125.5, -0.5}}, DType::Float64);
    CHECK(describe_mismatch(expected, got, 0.25, 0.5).empty());
    CHECK(describe_mismatch(expected, got, 0.25, 0.49).rfind("4 of 4 elements differ", 0) == 0);
    // NaN meets only NaN, an infinity only the same infinity; +0 and -0 are equal.
    const Tensor special = tensor({kNaN, kInf, -kInf, 0.0}, DType::Float64);
    CHECK(describe_mismatch(special, tensor({kNaN, kInf, -kInf, -0.0}, DType::Float64), 0, 0).empty());
    CHECK_FALSE(describe_mismatch(special, tensor({1.0, kInf, -kInf, 0.0}, DType::Float64), 1, 1).empty());
    CHECK_FALSE(describe_mismatch(special, tensor({kNaN, -kInf, -kInf, 0.0}, DType::Float64), 1, 1).empty());
    CHECK_FALSE(describe_mismatch(special, tensor({kNaN, kInf, 1e300, 0.0}, DType::Float64), 1, 1).empty());
}

TEST_CASE("describe_mismatch counts the mismatches and names the largest and the first few with their index") {
    std::vector<double> expected(12, 1.0), got(12, 1.0);
    for (int i : {1, 3, 4, 6, 8, 9, 11}) got[static_cast<std::size_t>(i)] = 1.5;
    got[6] = 4.0;  // the largest difference, 3, at [1, 0] of a (2, 6) tensor
    const std::string m = describe_mismatch(from_vector(expected, {2, 6}), from_vector(got, {2, 6}), 1e-5, 1e-6);
    CHECK(m ==
          "7 of 12 elements differ (allowed |got - expected| <= 1e-06 + 1e-05 * |expected|)\n"
          "  largest difference 3 at [1, 0]: expected 1, got 4\n"
          "  first mismatches: [0, 1] expected 1 got 1.5; [0, 3] expected 1 got 1.5; [0, 4] expected 1 got 1.5;"
          " [1, 0] expected 1 got 4; [1, 2] expected 1 got 1.5; ...");
}

TEST_CASE("describe_mismatch reports a different shape or an undefined result instead of comparing") {
    CHECK(describe_mismatch(zeros({2, 3}), zeros({3, 2}), 0, 0) == "expected shape (2, 3), got shape (3, 2)");
    CHECK(describe_mismatch(zeros({2, 3}), Tensor(), 0, 0) == "got an undefined Tensor");
    // Values are compared, not dtypes: float32 0.5 is float64 0.5.
    CHECK(describe_mismatch(full({2}, 0.5, DType::Float64), full({2}, 0.5, DType::Float32), 0, 0).empty());
}

TEST_CASE("check_close passes matching tensors and written-out values as one assertion each") {
    const Tensor t = tensor({{1.0, 2.0}, {3.0, 4.0}}, DType::Float64);
    CHECK(qkv::test::check_close("same tensor", t, t.clone(), 0, 0));
    CHECK(qkv::test::check_close("written out", {1, 2, 3, 4}, t, 0, 0));
    CHECK(qkv::test::check_close("transposed view", {1, 3, 2, 4}, t.t(), 0, 0));  // row-major order of the view
}

}  // TEST_SUITE
