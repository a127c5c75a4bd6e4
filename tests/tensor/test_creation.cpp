// Making tensors: fills, ranges, identity, literals and from_vector.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using qkv::test::check_values;
using qkv::test::shape_of;
using doctest::Contains;

TEST_SUITE("tensor") {

TEST_CASE("zeros and ones and full fill every element with the value in the dtype asked for") {
    const Tensor z = zeros({2, 3});
    CHECK(z.dtype() == DType::Float32);
    CHECK(shape_of(z) == "(2, 3)");
    CHECK(z.is_contiguous());
    check_values(z, {0, 0, 0, 0, 0, 0}, 0);
    check_values(ones({3}, DType::Float64), {1, 1, 1}, 0);
    CHECK(ones({3}, DType::Float64).dtype() == DType::Float64);
    check_values(full({2, 2}, -2.5), {-2.5, -2.5, -2.5, -2.5}, 0);
    CHECK(full({2}, 4, DType::Int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 4});
    // A bool fill stores 1 for any nonzero value.
    CHECK(full({2}, 3, DType::Bool).to_vector<int>() == std::vector<int>{1, 1});
    check_values(full({2}, -std::numeric_limits<double>::infinity()), {-INFINITY, -INFINITY});
    CHECK_THROWS_WITH_AS(full({2}, std::nan(""), DType::Int64), Contains("cannot be stored in an integer tensor"), Error);
    // Empty and 0-d shapes.
    CHECK(zeros({0, 4}).numel() == 0);
    CHECK(ones({}).dim() == 0);
    CHECK(ones({}).item() == 1);
    CHECK_THROWS_WITH_AS(zeros({2, -1}), Contains("negative size -1 in shape (2, -1)"), Error);
}

TEST_CASE("the _like functions copy shape and dtype but not the layout") {
    const Tensor x = zeros({3, 2}, DType::Float64).t();  // a non-contiguous (2, 3)
    for (const Tensor& y : {zeros_like(x), ones_like(x), full_like(x, 7)}) {
        CHECK(shape_of(y) == "(2, 3)");
        CHECK(y.dtype() == DType::Float64);
        CHECK(y.is_contiguous());
        CHECK_FALSE(y.shares_storage_with(x));
    }
    check_values(full_like(x, 7), {7, 7, 7, 7, 7, 7}, 0);
    check_values(ones_like(x), {1, 1, 1, 1, 1, 1}, 0);
}

TEST_CASE("scalar makes a 0-d tensor") {
    const Tensor s = scalar(3.25);
    CHECK(s.dim() == 0);
    CHECK(s.numel() == 1);
    CHECK(shape_of(s) == "()");
    CHECK(s.item() == 3.25);
    CHECK(s.dtype() == DType::Float32);
    CHECK(scalar(-4, DType::Int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{-4});
}

TEST_CASE("arange counts from start by step up to but excluding end") {
    const Tensor a = arange(5);
    CHECK(a.dtype() == DType::Int64);
    CHECK(a.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 1, 2, 3, 4});
    CHECK(arange(5, DType::Float32).dtype() == DType::Float32);
    CHECK(arange(0, 10, 3, DType::Int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 3, 6, 9});
    // Fractional steps: element i is start + i * step (no running sum), so the 10 elements of
    // [0, 1) by 0.1 are each the float nearest to i / 10.
    check_values(arange(0, 1, 0.25), {0, 0.25, 0.5, 0.75}, 0);
    const Tensor tenths = arange(0, 1, 0.1, DType::Float64);
    CHECK(shape_of(tenths) == "(10)");
    for (std::int64_t i = 0; i < 10; ++i) CHECK(tenths.at({i}) == doctest::Approx(i / 10.0).epsilon(1e-15));
    // A long float32 range: a running float sum of 0.1f would drift by about 0.1 by the end.
    const Tensor long_range = arange(0, 999.95, 0.1);
    CHECK(shape_of(long_range) == "(10000)");
    CHECK(long_range.at({9999}) == doctest::Approx(999.9).epsilon(1e-6));
    CHECK(long_range.at({5000}) == doctest::Approx(500.0).epsilon(1e-6));
    // Negative step: count down while > end. ceil((0 - 5) / -1.5) = ceil(3.33) = 4 elements.
    check_values(arange(5, 0, -1.5), {5, 3.5, 2, 0.5}, 0);
    check_values(arange(2, -1, -1, DType::Int64), {2, 1, 0}, 0);
    // Empty ranges: start == end, or end on the wrong side of start.
    CHECK(shape_of(arange(3, 3)) == "(0)");
    CHECK(shape_of(arange(3, 1)) == "(0)");
    CHECK(shape_of(arange(1, 3, -1)) == "(0)");
    CHECK(shape_of(arange(0)) == "(0)");
    CHECK_THROWS_WITH_AS(arange(0, 1, 0), Contains("arange: start 0, end 1, step 0"), Error);
    CHECK_THROWS_WITH_AS(arange(0, INFINITY, 1), Contains("arange:"), Error);
    CHECK_THROWS_WITH_AS(arange(0, 3, 1, DType::Bool), Contains("arange: dtype bool is not supported"), Error);
    // A count that does not fit int64 (or is infinite because end - start overflows) is an
    // error, not an undefined cast.
    CHECK_THROWS_WITH_AS(arange(0, 1e300, 1), Contains("arange: start 0, end 1e+300, step 1: too many elements"), Error);
    CHECK_THROWS_WITH_AS(arange(-1e308, 1e308, 1), Contains("too many elements"), Error);
}

TEST_CASE("linspace spaces steps points evenly and hits both ends exactly") {
    check_values(linspace(0, 1, 5), {0, 0.25, 0.5, 0.75, 1}, 0);
    check_values(linspace(1, -1, 3, DType::Float64), {1, 0, -1}, 0);
    // Ends that are not exact in binary: the first and last must still equal start and end
    // as stored in the dtype.
    const Tensor f = linspace(0.1, 0.7, 7);
    CHECK(f.data<float>()[0] == 0.1f);
    CHECK(f.data<float>()[6] == 0.7f);
    for (std::int64_t i = 0; i < 7; ++i) CHECK(f.at({i}) == doctest::Approx(0.1 * (i + 1)).epsilon(1e-6));
    const Tensor d = linspace(-1, 1.0 / 3.0, 4, DType::Float64);
    CHECK(d.at({0}) == -1.0);
    CHECK(d.at({3}) == 1.0 / 3.0);
    check_values(d, {-1, -1 + 4.0 / 9, -1 + 8.0 / 9, 1.0 / 3}, 1e-15);
    // One point is the start; zero points is empty.
    check_values(linspace(2, 3, 1), {2}, 0);
    CHECK(shape_of(linspace(2, 3, 0)) == "(0)");
    CHECK_THROWS_WITH_AS(linspace(0, 1, -1), Contains("linspace: steps must be >= 0, got -1"), Error);
}

TEST_CASE("eye puts ones on the main diagonal of a square or rectangular matrix") {
    check_values(eye(3), {1, 0, 0, 0, 1, 0, 0, 0, 1}, 0);
    const Tensor wide = eye(2, 4);
    CHECK(shape_of(wide) == "(2, 4)");
    check_values(wide, {1, 0, 0, 0, 0, 1, 0, 0}, 0);
    const Tensor tall = eye(4, 2, DType::Int64);
    CHECK(shape_of(tall) == "(4, 2)");
    CHECK(tall.dtype() == DType::Int64);
    check_values(tall, {1, 0, 0, 1, 0, 0, 0, 0}, 0);
    CHECK(shape_of(eye(0)) == "(0, 0)");
    CHECK_THROWS_WITH_AS(eye(-1), Contains("eye: size must be >= 0, got -1"), Error);
}

TEST_CASE("tensor literals of 1 to 3 dims lay values out row-major") {
    const Tensor v = tensor({1, 2, 3});
    CHECK(shape_of(v) == "(3)");
    CHECK(v.dtype() == DType::Float32);
    check_values(v, {1, 2, 3}, 0);
    const Tensor m = tensor({{1, 2, 3}, {4, 5, 6}}, DType::Float64);
    CHECK(shape_of(m) == "(2, 3)");
    CHECK(m.dtype() == DType::Float64);
    CHECK(m.at({1, 0}) == 4);
    check_values(m, {1, 2, 3, 4, 5, 6}, 0);
    const Tensor c = tensor({{{1, 2}, {3, 4}, {5, 6}}, {{7, 8}, {9, 10}, {11, 12}}}, DType::Int64);
    CHECK(shape_of(c) == "(2, 3, 2)");
    CHECK(c.dtype() == DType::Int64);
    CHECK(c.at({1, 2, 0}) == 11);
    CHECK(tensor({0.5, 0, -1}, DType::Bool).to_vector<int>() == std::vector<int>{1, 0, 1});
}

TEST_CASE("tensor literals with ragged rows or blocks throw") {
    CHECK_THROWS_WITH_AS(tensor({{1, 2, 3}, {4, 5}}), Contains("tensor: rows of unequal lengths"), Error);
    CHECK_THROWS_WITH_AS(tensor({{{1, 2}, {3, 4}}, {{5, 6}}}), Contains("tensor: blocks of unequal lengths"), Error);
    CHECK_THROWS_WITH_AS(tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7}}}), Contains("tensor: rows of unequal lengths"), Error);
}

TEST_CASE("from_vector takes its dtype from the C++ type and checks the count") {
    const Tensor f = from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
    CHECK(f.dtype() == DType::Float32);
    CHECK(shape_of(f) == "(2, 3)");
    CHECK(f.at({1, 1}) == 5);
    CHECK(from_vector<double>({1, 2}).dtype() == DType::Float64);
    CHECK(shape_of(from_vector<double>({1, 2})) == "(2)");
    const Tensor i = from_vector<std::int64_t>({std::numeric_limits<std::int64_t>::max(), -1});
    CHECK(i.dtype() == DType::Int64);
    CHECK(i.to_vector<std::int64_t>()[0] == std::numeric_limits<std::int64_t>::max());
    CHECK(from_vector<std::uint8_t>({1, 0}).dtype() == DType::Bool);
    // Explicit shapes for one element: (1) and 0-d.
    CHECK(shape_of(from_vector<float>({7}, {1})) == "(1)");
    CHECK(from_vector<float>({7}, {}).dim() == 0);
    CHECK(shape_of(from_vector<float>({}, {0, 2})) == "(0, 2)");
    CHECK_THROWS_WITH_AS(from_vector<float>({1, 2, 3, 4, 5}, {2, 3}), Contains("from_vector: 5 values do not fill shape (2, 3)"),
                         Error);
    CHECK_THROWS_WITH_AS(from_vector<float>({1, 2}, {-2}), Contains("from_vector: negative size -2"), Error);
}

// A list of token ids that happens to hold one id must stay a 1-d tensor.
TEST_CASE("from_vector of one value without a shape is 1-d, and with shape () is 0-d") {
    CHECK(shape_of(from_vector<float>({7})) == "(1)");
    CHECK(shape_of(from_vector<float>({7}, {})) == "()");
}

}  // TEST_SUITE
