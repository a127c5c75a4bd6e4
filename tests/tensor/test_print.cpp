// Printing and comparison. Every expected string is worked out by hand from the rules at the
// top of tensor/print.cpp: 4 decimals or scientific, right-aligned to the widest entry, rows
// indented under the first "[", 80-column wrapping, and "..." summaries above 1000 elements.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "tensor/creation.hpp"
#include "tensor/print.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using test::iota;

TEST_SUITE("tensor") {

// ---- printing -------------------------------------------------------------------------------

TEST_CASE("a float32 matrix prints with 4 decimals and one row per line") {
    CHECK(to_string(tensor({{1, 2}, {3, 4}})) ==
          "tensor([[1.0000, 2.0000],\n"
          "        [3.0000, 4.0000]], shape=(2, 2), dtype=float32)");
}

TEST_CASE("entries are right-aligned to the widest one") {
    // "1.5000" and "3.0000" are 6 wide, "-2.2500" is 7
    CHECK(to_string(tensor({1.5, -2.25, 3})) == "tensor([ 1.5000, -2.2500,  3.0000], shape=(3), dtype=float32)");
    CHECK(to_string(tensor({{1, -20}, {300, 4}}, DType::Int64)) ==
          "tensor([[  1, -20],\n"
          "        [300,   4]], shape=(2, 2), dtype=int64)");
    CHECK(to_string(tensor({1, 0}, DType::Bool)) == "tensor([ True, False], shape=(2), dtype=bool)");
}

TEST_CASE("0-d and empty tensors") {
    CHECK(to_string(scalar(3.5)) == "tensor(3.5000, shape=(), dtype=float32)");
    CHECK(to_string(scalar(-7, DType::Int64)) == "tensor(-7, shape=(), dtype=int64)");
    CHECK(to_string(zeros({0, 3})) == "tensor([], shape=(0, 3), dtype=float32)");
    CHECK(to_string(Tensor({0}, DType::Int64)) == "tensor([], shape=(0), dtype=int64)");
    CHECK(to_string(Tensor()) == "tensor(undefined)");
}

TEST_CASE("large or tiny magnitudes switch every entry to scientific notation") {
    // 123456 = 1.23456e5 rounds to 1.2346e+05; the max magnitude 1e8 triggers the switch
    CHECK(to_string(tensor({123456, 1e8}, DType::Float64)) ==
          "tensor([1.2346e+05, 1.0000e+08], shape=(2), dtype=float64)");
    CHECK(to_string(tensor({-123456789, 0.5}, DType::Float64)) ==
          "tensor([-1.2346e+08,  5.0000e-01], shape=(2), dtype=float64)");
    // the smallest nonzero magnitude 1e-5 is below 1e-4
    CHECK(to_string(tensor({0.00001, 1.0})) == "tensor([1.0000e-05, 1.0000e+00], shape=(2), dtype=float32)");
}

TEST_CASE("the scientific switch sits exactly at 1e8 and 1e-4, and zeros do not count as tiny") {
    CHECK(to_string(tensor({99999999}, DType::Float64)) == "tensor([99999999.0000], shape=(1), dtype=float64)");
    CHECK(to_string(tensor({0.0001, 1}, DType::Float64)) == "tensor([0.0001, 1.0000], shape=(2), dtype=float64)");
    CHECK(to_string(tensor({0, 1.5})) == "tensor([0.0000, 1.5000], shape=(2), dtype=float32)");
}

TEST_CASE("nan, inf and -inf print as words and do not affect the format") {
    CHECK(to_string(tensor({NAN, INFINITY, -INFINITY, 1})) ==
          "tensor([   nan,    inf,   -inf, 1.0000], shape=(4), dtype=float32)");
    CHECK(to_string(tensor({NAN})) == "tensor([nan], shape=(1), dtype=float32)");
}

TEST_CASE("a 3-d tensor separates its matrices by a blank line, a 4-d one by two") {
    CHECK(to_string(iota({2, 2, 2}, DType::Int64)) ==
          "tensor([[[0, 1],\n"
          "         [2, 3]],\n"
          "\n"
          "        [[4, 5],\n"
          "         [6, 7]]], shape=(2, 2, 2), dtype=int64)");
    CHECK(to_string(iota({2, 1, 1, 2}, DType::Int64)) ==
          "tensor([[[[0, 1]]],\n"
          "\n"
          "\n"
          "        [[[2, 3]]]], shape=(2, 1, 1, 2), dtype=int64)");
}

TEST_CASE("views print their logical values") {
    CHECK(to_string(iota({2, 2}).t()) ==
          "tensor([[0.0000, 2.0000],\n"
          "        [1.0000, 3.0000]], shape=(2, 2), dtype=float32)");
    CHECK(to_string(tensor({1, 2}, DType::Int64).expand({2, 2})) ==
          "tensor([[1, 2],\n"
          "        [1, 2]], shape=(2, 2), dtype=int64)");
    CHECK(to_string(iota({6}, DType::Int64).slice(0, 1, 6, 2)) == "tensor([1, 3, 5], shape=(3), dtype=int64)");
}

TEST_CASE("rows longer than 80 columns wrap under their first entry") {
    // width 7 ("10.0000"), 9 columns per entry with ", ": (80 - 7) / 9 = 8 entries per line
    CHECK(to_string(iota({12})) ==
          "tensor([ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,\n"
          "         8.0000,  9.0000, 10.0000, 11.0000], shape=(12), dtype=float32)");
    // rows of a matrix start one column further right: (80 - 8) / 9 = 8 entries per line
    CHECK(to_string(iota({2, 9})) ==
          "tensor([[ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,\n"
          "          8.0000],\n"
          "        [ 9.0000, 10.0000, 11.0000, 12.0000, 13.0000, 14.0000, 15.0000, 16.0000,\n"
          "         17.0000]], shape=(2, 9), dtype=float32)");
}

TEST_CASE("more than 1000 elements are summarised with the first and last 3 of each dim") {
    CHECK(to_string(iota({1001}, DType::Int64)) ==
          "tensor([   0,    1,    2,  ...,  998,  999, 1000], shape=(1001), dtype=int64)");
    CHECK(to_string(iota({10, 200}, DType::Int64)) ==
          "tensor([[   0,    1,    2,  ...,  197,  198,  199],\n"
          "        [ 200,  201,  202,  ...,  397,  398,  399],\n"
          "        [ 400,  401,  402,  ...,  597,  598,  599],\n"
          "        ...,\n"
          "        [1400, 1401, 1402,  ..., 1597, 1598, 1599],\n"
          "        [1600, 1601, 1602,  ..., 1797, 1798, 1799],\n"
          "        [1800, 1801, 1802,  ..., 1997, 1998, 1999]], shape=(10, 200), dtype=int64)");
}

TEST_CASE("a summarised 3-d tensor leaves out whole matrices, and short dims stay whole") {
    // 8 * 2 * 100 = 1600 elements; element (b, r, c) is 200 b + 100 r + c
    CHECK(to_string(iota({8, 2, 100}, DType::Int64)) ==
          "tensor([[[   0,    1,    2,  ...,   97,   98,   99],\n"
          "         [ 100,  101,  102,  ...,  197,  198,  199]],\n"
          "\n"
          "        [[ 200,  201,  202,  ...,  297,  298,  299],\n"
          "         [ 300,  301,  302,  ...,  397,  398,  399]],\n"
          "\n"
          "        [[ 400,  401,  402,  ...,  497,  498,  499],\n"
          "         [ 500,  501,  502,  ...,  597,  598,  599]],\n"
          "\n"
          "        ...,\n"
          "\n"
          "        [[1000, 1001, 1002,  ..., 1097, 1098, 1099],\n"
          "         [1100, 1101, 1102,  ..., 1197, 1198, 1199]],\n"
          "\n"
          "        [[1200, 1201, 1202,  ..., 1297, 1298, 1299],\n"
          "         [1300, 1301, 1302,  ..., 1397, 1398, 1399]],\n"
          "\n"
          "        [[1400, 1401, 1402,  ..., 1497, 1498, 1499],\n"
          "         [1500, 1501, 1502,  ..., 1597, 1598, 1599]]], shape=(8, 2, 100), dtype=int64)");
}

TEST_CASE("exactly 1000 elements are printed in full") {
    const std::string s = to_string(iota({1000}, DType::Int64));
    CHECK(s.find("...") == std::string::npos);
    CHECK(s.find("998, 999], shape=(1000)") != std::string::npos);
}

TEST_CASE("only the shown entries of a summary decide the float format") {
    Tensor a = iota({1001}, DType::Float64);
    a.set({500}, 1e-6);  // hidden by the summary, so it does not force scientific notation
    // width 9 ("1000.0000"), 11 columns per entry: (80 - 7) / 11 = 6 entries per line
    CHECK(to_string(a) ==
          "tensor([   0.0000,    1.0000,    2.0000,       ...,  998.0000,  999.0000,\n"
          "        1000.0000], shape=(1001), dtype=float64)");  // 8 spaces: full width, no padding
}

TEST_CASE("operator<< writes the same text as to_string") {
    const Tensor t = tensor({{1, 2}, {3, 4}});
    std::ostringstream out;
    out << t;
    CHECK(out.str() == to_string(t));
}

// ---- allclose -------------------------------------------------------------------------------

TEST_CASE("allclose accepts equal and nearly equal tensors") {
    const Tensor a = tensor({1, 2, 3}, DType::Float64);
    CHECK(allclose(a, a));
    CHECK(allclose(a, tensor({1 + 1e-9, 2 - 1e-9, 3}, DType::Float64)));
    CHECK(allclose(a, tensor({1, 2, 3})));                  // float32 vs float64, compared in double
    CHECK(allclose(tensor({1, 2}, DType::Int64), tensor({1, 2})));
    CHECK(allclose(iota({2, 3}).t(), tensor({{0, 3}, {1, 4}, {2, 5}})));  // logical values of a view
}

TEST_CASE("allclose names the mismatching element, both values, the difference and the tolerance") {
    const Tensor a = tensor({{1, 2, 3}, {4, 5, 3.5}}, DType::Float64);
    const Tensor b = tensor({{1, 2, 3}, {4, 5, 3.25}}, DType::Float64);
    const CloseReport r = allclose(a, b, 1e-5, 0.0);  // tol = 1e-5 * |3.25| = 3.25e-05
    CHECK_FALSE(r.ok);
    CHECK_FALSE(static_cast<bool>(r));
    CHECK(r.message == "mismatch at (1, 2): 3.5 vs 3.25, |diff| 0.25 > tol 3.25e-05 (1 of 6 elements differ)");
    // the default atol = 1e-8 adds to the tolerance
    CHECK(allclose(a, b).message.find("> tol 3.251e-05") != std::string::npos);
}

TEST_CASE("allclose reports the worst of several mismatches") {
    const Tensor a = tensor({{1.1, 2}, {3, 4.5}}, DType::Float64);
    const Tensor b = tensor({{1, 2}, {3, 4}}, DType::Float64);
    CHECK(allclose(a, b, 0.0, 0.01).message ==
          "mismatch at (1, 1): 4.5 vs 4, |diff| 0.5 > tol 0.01 (2 of 4 elements differ)");
}

TEST_CASE("allclose prints float32 values in float32 precision") {
    const std::string m = allclose(tensor({0.1}), tensor({0.2}, DType::Float64)).message;
    CHECK(m.find("mismatch at (0): 0.1 vs 0.2, |diff| 0.1 > tol") != std::string::npos);
}

TEST_CASE("allclose measures the tolerance relative to b") {
    // |10 - 12| = 2: within 0.18 * 12 = 2.16, but not within 0.18 * 10 = 1.8
    CHECK(allclose(tensor({10}), tensor({12}), 0.18, 0.0));
    CHECK_FALSE(allclose(tensor({12}), tensor({10}), 0.18, 0.0));
}

TEST_CASE("allclose: NaN equals nothing unless equal_nan, and infinities must match exactly") {
    CHECK_FALSE(allclose(tensor({NAN}), tensor({NAN})));
    CHECK(allclose(tensor({NAN}), tensor({NAN}), 1e-5, 1e-8, true));
    CHECK_FALSE(allclose(tensor({NAN}), tensor({1}), 1e-5, 1e-8, true));
    CHECK(allclose(tensor({1, NAN}), tensor({1.5, 1})).message.find("mismatch at (1): nan vs 1") != std::string::npos);
    CHECK(allclose(tensor({INFINITY, -INFINITY}), tensor({INFINITY, -INFINITY})));
    CHECK_FALSE(allclose(tensor({INFINITY}), tensor({-INFINITY})));
    CHECK_FALSE(allclose(tensor({INFINITY}, DType::Float64), tensor({1e308}, DType::Float64), 1.0, 1.0));
}

TEST_CASE("allclose reports different shapes without throwing, and does not broadcast") {
    CloseReport r;
    CHECK_NOTHROW(r = allclose(zeros({2, 3}), zeros({3, 2})));
    CHECK_FALSE(r.ok);
    CHECK(r.message == "shapes (2, 3) and (3, 2) differ");
    CHECK_FALSE(allclose(zeros({1, 3}), zeros({3})));
}

TEST_CASE("allclose on 0-d tensors names the empty index") {
    CHECK(allclose(scalar(1, DType::Float64), scalar(2, DType::Float64)).message.find("mismatch at (): 1 vs 2") !=
          std::string::npos);
}

TEST_CASE("allclose rejects negative tolerances") {
    CHECK_THROWS_WITH_AS(allclose(zeros({1}), zeros({1}), -1.0), doctest::Contains("allclose: tolerances must be >= 0"),
                         Error);
}

// ---- equal ----------------------------------------------------------------------------------

TEST_CASE("equal requires the same shape, dtype and bits") {
    const Tensor a = tensor({1, 2, 3});
    CHECK(equal(a, tensor({1, 2, 3})));
    CHECK_FALSE(equal(a, tensor({1, 2, 3.0001})));
    CHECK_FALSE(equal(a, tensor({1, 2, 3}, DType::Float64)));  // same values, other dtype
    CHECK_FALSE(equal(a, a.view({1, 3})));                     // same values, other shape
    CHECK_FALSE(equal(tensor({0.0}), tensor({-0.0})));          // bitwise: the sign of zero counts
    CHECK(equal(tensor({NAN}), tensor({NAN})));
}

TEST_CASE("equal compares the logical values of views") {
    CHECK(equal(iota({2, 3}).t(), tensor({{0, 3}, {1, 4}, {2, 5}})));
    CHECK_FALSE(equal(iota({2, 2}).t(), iota({2, 2})));
    CHECK(equal(tensor({1, 0}, DType::Bool).expand({2, 2}), tensor({{1, 0}, {1, 0}}, DType::Bool)));
}

}  // TEST_SUITE
