// Elementwise ops: broadcasting, strided inputs, values against the <cmath> formulas, dtype
// rules, comparisons, where / masked_fill, and in-place updates through views.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/map.hpp"
#include "tensor/scalar_math.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using qkv::test::kInf;
using qkv::test::kNaN;
using qkv::test::check_same;
using qkv::test::check_values;
using qkv::test::iota;
using qkv::test::sample;
using qkv::test::shape_of;
using doctest::Contains;

namespace {

// `points` as a float64 tensor, and f applied to each of them by the test itself.
Tensor points64(const std::vector<double>& points) { return from_vector(points); }
std::vector<double> map_points(const std::vector<double>& points, const std::function<double(double)>& f) {
    std::vector<double> out;
    for (double x : points) out.push_back(f(x));
    return out;
}

// Non-contiguous (3, 4) views of three kinds, each over its own storage, and the base values
// offset by `shift` (so the positive-domain ops can get positive inputs).
struct NamedView {
    std::string name;
    Tensor view;
};
std::vector<NamedView> strided_views(double shift = 0.0, DType dtype = DType::Float32) {
    const Tensor a = add(sample({4, 3}, DType::Float64), scalar(shift, DType::Float64)).to(dtype);
    const Tensor b = add(sample({3, 9}, DType::Float64, 1.0), scalar(shift, DType::Float64)).to(dtype);
    const Tensor c = add(sample({3, 1}, DType::Float64, 2.0), scalar(shift, DType::Float64)).to(dtype);
    return {{"transposed", a.t()}, {"stepped slice", b.slice(1, 1, 9, 2)}, {"expanded", c.expand({3, 4})}};
}

}  // namespace

TEST_SUITE("tensor") {

// ---- broadcasting ----------------------------------------------------------------------------

TEST_CASE("add broadcasts a column against a row into a matrix") {
    const Tensor a = from_vector<float>({1, 2, 3}, {3, 1});
    const Tensor b = from_vector<float>({10, 20, 30, 40}, {1, 4});
    const Tensor c = add(a, b);
    CHECK(shape_of(c) == "(3, 4)");
    std::vector<double> expected;
    for (double i : {1, 2, 3})
        for (double j : {10, 20, 30, 40}) expected.push_back(i + j);
    check_values(c, expected, 0);
    check_values(b + a, expected, 0);  // and the other way round
}

TEST_CASE("a lower-rank operand is aligned at the right") {
    const Tensor m = iota({2, 3});
    const Tensor r = tensor({100, 200, 300});
    CHECK(shape_of(m + r) == "(2, 3)");
    check_values(m + r, {100, 201, 302, 103, 204, 305}, 0);
    check_values(r - m, {100, 199, 298, 97, 196, 295}, 0);
    // (2, 1, 3) with (4, 1): (2, 4, 3).
    const Tensor p = iota({2, 1, 3}), q = from_vector<float>({0, 10, 20, 30}, {4, 1});
    const Tensor s = p * q;
    CHECK(shape_of(s) == "(2, 4, 3)");
    for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 4; ++j)
            for (std::int64_t k = 0; k < 3; ++k) CHECK(s.at({i, j, k}) == (3 * i + k) * (10 * j));
}

TEST_CASE("a 0-d operand broadcasts with any shape") {
    const Tensor five = scalar(5);
    check_values(five + iota({2, 3}), {5, 6, 7, 8, 9, 10}, 0);
    check_values(iota({2, 3}) * scalar(2), {0, 2, 4, 6, 8, 10}, 0);
    const Tensor s = five - scalar(2);
    CHECK(s.dim() == 0);
    CHECK(s.item() == 3);
    CHECK(shape_of(five + zeros({0, 2})) == "(0, 2)");
}

TEST_CASE("size-0 dims broadcast like any other size") {
    CHECK(shape_of(zeros({0, 3}) + ones({1, 3})) == "(0, 3)");
    CHECK(shape_of(zeros({0, 3}) + ones({3})) == "(0, 3)");
    CHECK(shape_of(zeros({0, 1}) + ones({1, 3})) == "(0, 3)");
    CHECK(shape_of(zeros({2, 0}) * ones({2, 1})) == "(2, 0)");
    // 0 against 2 is a mismatch, not a broadcast.
    CHECK_THROWS_WITH_AS(zeros({0, 3}) + ones({2, 3}), Contains("sizes 0 and 2 differ"), Error);
}

TEST_CASE("shapes that do not broadcast throw naming both shapes") {
    CHECK_THROWS_WITH_AS(iota({2, 3}) + iota({4}),
                         Contains("add: shapes (2, 3) and (4) cannot be broadcast: sizes 3 and 4 differ at dim 1"), Error);
    CHECK_THROWS_WITH_AS(mul(iota({2, 3, 4}), iota({3, 3, 4})), Contains("mul: shapes (2, 3, 4) and (3, 3, 4)"), Error);
    CHECK_THROWS_WITH_AS(maximum(iota({2}), iota({3})), Contains("maximum: shapes (2) and (3)"), Error);
    CHECK_THROWS_WITH_AS(lt(iota({2}), iota({3})), Contains("lt: shapes (2) and (3)"), Error);
}

// ---- strided inputs --------------------------------------------------------------------------

TEST_CASE("every unary op gives the same result on a strided view as on its contiguous copy") {
    using Op = std::function<Tensor(const Tensor&)>;
    const std::vector<std::pair<std::string, Op>> ops = {
        {"neg", [](const Tensor& x) { return neg(x); }},
        {"abs", [](const Tensor& x) { return abs(x); }},
        {"exp", [](const Tensor& x) { return exp(x); }},
        {"log", [](const Tensor& x) { return log(x); }},
        {"sqrt", [](const Tensor& x) { return sqrt(x); }},
        {"rsqrt", [](const Tensor& x) { return rsqrt(x); }},
        {"tanh", [](const Tensor& x) { return tanh(x); }},
        {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
        {"relu", [](const Tensor& x) { return relu(x); }},
        {"gelu", [](const Tensor& x) { return gelu(x); }},
        {"gelu_tanh", [](const Tensor& x) { return gelu_tanh(x); }},
        {"clamp", [](const Tensor& x) { return clamp(x, -1, 2); }},
        {"pow 2", [](const Tensor& x) { return pow(x, 2.0); }},
        {"pow 1.5", [](const Tensor& x) { return pow(x, 1.5); }},
        {"x - 1", [](const Tensor& x) { return x - 1.0; }},
        {"2 / x", [](const Tensor& x) { return 2.0 / x; }},
    };
    // Signed inputs for all ops, and positive ones so that log, sqrt, ... are not all NaN.
    for (double shift : {0.0, 3.5}) {
        for (DType dtype : {DType::Float32, DType::Float64}) {
            for (const NamedView& v : strided_views(shift, dtype)) {
                REQUIRE_FALSE(v.view.is_contiguous());
                const Tensor copy = v.view.contiguous();
                for (const auto& op : ops) {
                    INFO(op.first, " on a ", v.name, " ", dtype_name(dtype), " view, shift ", shift);
                    check_same(op.second(v.view), op.second(copy));
                }
            }
        }
    }
}

TEST_CASE("every binary op gives the same result on strided views as on contiguous copies") {
    using Op = std::function<Tensor(const Tensor&, const Tensor&)>;
    const std::vector<std::pair<std::string, Op>> ops = {
        {"add", [](const Tensor& a, const Tensor& b) { return add(a, b); }},
        {"sub", [](const Tensor& a, const Tensor& b) { return sub(a, b); }},
        {"mul", [](const Tensor& a, const Tensor& b) { return mul(a, b); }},
        {"div", [](const Tensor& a, const Tensor& b) { return div(a, b); }},
        {"pow", [](const Tensor& a, const Tensor& b) { return pow(abs(a), b); }},
        {"maximum", [](const Tensor& a, const Tensor& b) { return maximum(a, b); }},
        {"minimum", [](const Tensor& a, const Tensor& b) { return minimum(a, b); }},
        {"eq", [](const Tensor& a, const Tensor& b) { return eq(a, b); }},
        {"ne", [](const Tensor& a, const Tensor& b) { return ne(a, b); }},
        {"lt", [](const Tensor& a, const Tensor& b) { return lt(a, b); }},
        {"le", [](const Tensor& a, const Tensor& b) { return le(a, b); }},
        {"gt", [](const Tensor& a, const Tensor& b) { return gt(a, b); }},
        {"ge", [](const Tensor& a, const Tensor& b) { return ge(a, b); }},
        {"masked_fill", [](const Tensor& a, const Tensor& b) { return masked_fill(a, gt(b, scalar(0)), -7); }},
        {"where", [](const Tensor& a, const Tensor& b) { return where(gt(a, b), a, b); }},
    };
    const std::vector<NamedView> lhs = strided_views(0.0), rhs = strided_views(0.5);
    // A stepped 1-d slice broadcasts along the rows.
    const Tensor row = sample({8}, DType::Float32, 3.0).slice(0, 0, 8, 2);
    for (const auto& op : ops) {
        for (const NamedView& a : lhs) {
            for (const NamedView& b : rhs) {
                INFO(op.first, "(", a.name, ", ", b.name, ")");
                check_same(op.second(a.view, b.view), op.second(a.view.contiguous(), b.view.contiguous()));
            }
            INFO(op.first, "(", a.name, ", stepped row)");
            check_same(op.second(a.view, row), op.second(a.view.contiguous(), row.contiguous()));
            check_same(op.second(row, a.view), op.second(row.contiguous(), a.view.contiguous()));
        }
    }
}

// ---- values against <cmath> ----------------------------------------------------------------

TEST_CASE("exp log sqrt rsqrt and tanh match the <cmath> functions") {
    const std::vector<double> pts = {-3, -0.5, 0, 0.5, 2, 10};
    const std::vector<double> pos = {1e-3, 0.5, 1, 2, 100};
    const Tensor x = points64(pts), p = points64(pos);
    check_values(exp(x), map_points(pts, [](double v) { return std::exp(v); }), 1e-15);
    check_values(tanh(x), map_points(pts, [](double v) { return std::tanh(v); }), 1e-15);
    check_values(log(p), map_points(pos, [](double v) { return std::log(v); }), 1e-15);
    check_values(sqrt(p), map_points(pos, [](double v) { return std::sqrt(v); }), 1e-15);
    check_values(rsqrt(p), map_points(pos, [](double v) { return 1 / std::sqrt(v); }), 1e-15);
    // Edge values follow IEEE: log 0 = -inf, log of a negative and sqrt of a negative are NaN.
    check_values(log(tensor({0, -1})), {-kInf, kNaN});
    check_values(sqrt(tensor({-1, 0})), {kNaN, 0});
    check_values(rsqrt(tensor({0})), {kInf});
    // float32 agrees with the double formula to float precision.
    check_values(exp(x.to(DType::Float32)), map_points(pts, [](double v) { return std::exp(v); }), 1e-6);
    CHECK(exp(x.to(DType::Float32)).dtype() == DType::Float32);
}

TEST_CASE("sigmoid stays finite and within 0..1 at large |x|") {
    const std::vector<double> pts = {-1000, -100, -20, -1, 0, 1, 20, 100, 1000};
    // 1 / (1 + e^-x), written out here for each x; for x = -1000 e^1000 is inf and 1 / inf = 0,
    // which is the right limit.
    const std::vector<double> expected = map_points(pts, [](double v) { return 1 / (1 + std::exp(-v)); });
    check_values(sigmoid(points64(pts)), expected, 1e-14);
    CHECK(sigmoid(tensor({0})).item() == 0.5);
    const Tensor f = sigmoid(points64(pts).to(DType::Float32));
    for (double v : f.to_vector<double>()) {
        CHECK_FALSE(std::isnan(v));
        CHECK(v >= 0);
        CHECK(v <= 1);
    }
    CHECK(f.at({0}) == 0);
    CHECK(f.at({8}) == 1);
    check_values(f.slice(0, 2, 7), {1 / (1 + std::exp(20.0)), 1 / (1 + std::exp(1.0)), 0.5, 1 / (1 + std::exp(-1.0)),
                                    1 / (1 + std::exp(-20.0))});
}

TEST_CASE("relu zeroes the negatives and keeps NaN") {
    check_values(relu(tensor({-2, -0.0, 0, 0.5, 3, kNaN})), {0, 0, 0, 0.5, 3, kNaN}, 0);
    CHECK(relu(tensor({-2, 5}, DType::Int64)).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 5});
}

TEST_CASE("gelu is x Phi(x) and gelu_tanh its tanh approximation at hand-computed points") {
    // Phi(1) = 0.8413447460685429 and Phi(2) = 0.9772498680518208 (standard normal table), so
    // gelu(1) = Phi(1), gelu(-1) = -(1 - Phi(1)), gelu(2) = 2 Phi(2), gelu(-3) = -3 (1 - Phi(3)).
    const std::vector<double> pts = {-3, -1, -0.5, 0, 0.5, 1, 2, 3};
    const std::vector<double> gelu_ref = {-0.00404969409489031, -0.15865525393145707, -0.15426876936299344, 0,
                                          0.34573123063700656,  0.8413447460685429,   1.9544997361036416,   2.99595030590511};
    const std::vector<double> gelu_tanh_ref = {-0.0036373920817729943, -0.15880800939172324, -0.15428599017485606, 0,
                                               0.34571400982514394,    0.8411919906082768,   1.954597694087775,
                                               2.996362607918227};
    check_values(gelu(points64(pts)), gelu_ref, 1e-14);
    check_values(gelu_tanh(points64(pts)), gelu_tanh_ref, 1e-14);
    // The closed forms, evaluated here with <cmath>.
    check_values(gelu(points64(pts)), map_points(pts, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }),
                 1e-15);
    check_values(gelu_tanh(points64(pts)), map_points(pts, [](double x) {
                     return 0.5 * x * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
                 }),
                 1e-15);
    check_values(gelu(points64(pts).to(DType::Float32)), gelu_ref, 1e-6);
    check_values(gelu_tanh(points64(pts).to(DType::Float32)), gelu_tanh_ref, 1e-6);
    // Far out, gelu is x for large x and 0 for very negative x, without NaN.
    check_values(gelu(tensor({-100, 100})), {0, 100}, 0);
    check_values(gelu_tanh(tensor({-100, 100})), {0, 100}, 0);
}

TEST_CASE("gelu, gelu_tanh and their slopes give their limits at -inf and +inf, not NaN") {
    // x Phi(x) -> 0 as x -> -inf and x as x -> +inf; the slope Phi(x) + x phi(x) -> 0 and 1. A
    // row of 37 values puts the infinities both in the vectorised body and in the scalar tail.
    std::vector<double> xs(37, 0.5), gelu_want(37), slope_want(37);
    for (int i : {0, 20, 35}) xs[static_cast<std::size_t>(i)] = -kInf;
    for (int i : {1, 21, 36}) xs[static_cast<std::size_t>(i)] = kInf;
    // Finite but huge: x^2 overflows float there, and the slope must still be its limit, not NaN.
    for (int i : {2, 22}) xs[static_cast<std::size_t>(i)] = 1e20;
    for (int i : {3, 23}) xs[static_cast<std::size_t>(i)] = -1e20;
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const Tensor x = points64(xs).to(dtype);
        for (const auto& [name, f, slope] :
             {std::tuple{"gelu", &gelu, +[](const Tensor& t) {
                             return map_unary<Accepts::Floating>("slope", t, [](auto v) { return math::gelu_grad(v); });
                         }},
              std::tuple{"gelu_tanh", &gelu_tanh, +[](const Tensor& t) {
                             return map_unary<Accepts::Floating>("slope", t,
                                                                 [](auto v) { return math::gelu_tanh_grad(v); });
                         }}}) {
            const char* op = name;  // Clang 14 cannot capture a structured binding, as CAPTURE does
            CAPTURE(op);
            CAPTURE(dtype_name(dtype));
            const auto y = f(x).to_vector<double>();
            const auto d = slope(x).to_vector<double>();
            for (std::size_t i = 0; i < xs.size(); ++i) {
                CAPTURE(i);
                if (xs[i] == -kInf) CHECK((y[i] == 0 && d[i] == 0));
                else if (xs[i] == kInf) CHECK((y[i] == kInf && d[i] == 1));
                else if (xs[i] == 1e20) CHECK(d[i] == 1);
                else if (xs[i] == -1e20) CHECK(d[i] == 0);
                else CHECK((std::isfinite(y[i]) && std::isfinite(d[i])));
            }
        }
    }
}

TEST_CASE("clamp limits values to lo..hi and keeps NaN") {
    check_values(clamp(tensor({-2, -1, -0.5, 0.5, 1, 2, kNaN}), -1, 1), {-1, -1, -0.5, 0.5, 1, 1, kNaN}, 0);
    CHECK(clamp(tensor({-5, 0, 5}, DType::Int64), -2, 3).to_vector<std::int64_t>() == std::vector<std::int64_t>{-2, 0, 3});
    check_values(clamp(tensor({-kInf, kInf}), 0, 0), {0, 0}, 0);
    CHECK_THROWS_WITH_AS(clamp(tensor({1}), 2, 1), Contains("clamp: lower bound 2 is above upper bound 1"), Error);
}

TEST_CASE("pow with a number or a broadcast tensor exponent matches std::pow") {
    const std::vector<double> pts = {-2, -0.5, 0, 0.5, 3};
    check_values(pow(points64(pts), 2.0), {4, 0.25, 0, 0.25, 9}, 0);
    check_values(pow(points64(pts), 3.0), map_points(pts, [](double v) { return std::pow(v, 3.0); }), 1e-15);
    check_values(pow(points64(pts), 0.5), map_points(pts, [](double v) { return std::pow(v, 0.5); }), 1e-15);
    check_values(pow(points64(pts), -1.0), map_points(pts, [](double v) { return std::pow(v, -1.0); }), 1e-15);
    // Base (3, 1) against exponents (2): (3, 2).
    const Tensor base = from_vector<double>({2, 3, 4}, {3, 1});
    const Tensor e = from_vector<double>({0.5, 3});
    check_values(pow(base, e), {std::sqrt(2.0), 8, std::sqrt(3.0), 27, 2, 64}, 1e-15);
    CHECK_THROWS_WITH_AS(pow(tensor({2}, DType::Int64), 2.0), Contains("pow: expected a floating-point tensor"), Error);
}

TEST_CASE("maximum and minimum propagate NaN from either side") {
    const Tensor a = tensor({1, kNaN, 3, kNaN, -0.5});
    const Tensor b = tensor({2, 0, kNaN, kNaN, -1});
    check_values(maximum(a, b), {2, kNaN, kNaN, kNaN, -0.5}, 0);
    check_values(minimum(a, b), {1, kNaN, kNaN, kNaN, -1}, 0);
    check_values(maximum(b, a), {2, kNaN, kNaN, kNaN, -0.5}, 0);
    check_values(minimum(b, a), {1, kNaN, kNaN, kNaN, -1}, 0);
    // Broadcast, and int64.
    check_values(maximum(iota({2, 3}), scalar(2.5)), {2.5, 2.5, 2.5, 3, 4, 5}, 0);
    CHECK(minimum(tensor({-7, 8}, DType::Int64), tensor({0}, DType::Int64)).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{-7, 0});
}

TEST_CASE("arithmetic with a number on either side takes the tensor's dtype") {
    const Tensor x = tensor({1, 2, 4}, DType::Float64);
    check_values(x + 1.0, {2, 3, 5}, 0);
    check_values(1.0 - x, {0, -1, -3}, 0);
    check_values(x * 0.5, {0.5, 1, 2}, 0);
    check_values(2.0 / x, {2, 1, 0.5}, 0);
    check_values(x / 4.0, {0.25, 0.5, 1}, 0);
    check_values(3.0 * x, {3, 6, 12}, 0);
    check_values(x - 1.0, {0, 1, 3}, 0);
    check_values(-x, {-1, -2, -4}, 0);
    check_values(4.0 + x, {5, 6, 8}, 0);
    CHECK((x + 1.0).dtype() == DType::Float64);
    check_values(tensor({1, -1, 0}) / tensor({0, 0, 0}), {kInf, -kInf, kNaN});
    // int64 arithmetic is exact beyond 2^53, so it must not go through double.
    const std::int64_t big = (std::int64_t{1} << 53) + 1;
    const Tensor n = from_vector<std::int64_t>({big, -3});
    const Tensor one = from_vector<std::int64_t>({1, 1});
    CHECK(add(n, one).to_vector<std::int64_t>() == std::vector<std::int64_t>{big + 1, -2});
    CHECK(sub(n, one).to_vector<std::int64_t>() == std::vector<std::int64_t>{big - 1, -4});
    CHECK(mul(n, from_vector<std::int64_t>({1, -5})).to_vector<std::int64_t>() == std::vector<std::int64_t>{big, 15});
    CHECK((n * 2.0).to_vector<std::int64_t>() == std::vector<std::int64_t>{2 * big, -6});
    CHECK(abs(n).to_vector<std::int64_t>() == std::vector<std::int64_t>{big, 3});
    CHECK(neg(n).to_vector<std::int64_t>() == std::vector<std::int64_t>{-big, 3});
}

// ---- dtype rules -----------------------------------------------------------------------------

TEST_CASE("binary ops refuse operands of different dtypes") {
    const Tensor f = tensor({1, 2}), d = tensor({1, 2}, DType::Float64), i = tensor({1, 2}, DType::Int64);
    CHECK_THROWS_WITH_AS(add(f, d), Contains("add: dtypes float32 and float64 differ"), Error);
    CHECK_THROWS_WITH_AS(mul(i, f), Contains("mul: dtypes int64 and float32 differ"), Error);
    CHECK_THROWS_WITH_AS(eq(f, i), Contains("eq: dtypes float32 and int64 differ"), Error);
    CHECK_THROWS_WITH_AS(maximum(d, f), Contains("maximum: dtypes float64 and float32 differ"), Error);
    CHECK_THROWS_WITH_AS(add_(f, d), Contains("add_: dtypes float32 and float64 differ"), Error);
    CHECK_THROWS_WITH_AS(where(gt(f, f), f, d), Contains("where: dtypes float32 and float64 differ"), Error);
}

TEST_CASE("math functions refuse int64 and bool tensors") {
    const Tensor i = tensor({1, 2}, DType::Int64), b = tensor({1, 0}, DType::Bool);
    CHECK_THROWS_WITH_AS(exp(i), Contains("exp: expected a floating-point tensor (float32 or float64), got int64"), Error);
    CHECK_THROWS_WITH_AS(log(i), Contains("log: expected a floating-point tensor"), Error);
    CHECK_THROWS_WITH_AS(sqrt(i), Contains("sqrt: expected a floating-point tensor"), Error);
    CHECK_THROWS_WITH_AS(tanh(i), Contains("tanh: expected a floating-point tensor"), Error);
    CHECK_THROWS_WITH_AS(sigmoid(b), Contains("sigmoid: expected a floating-point tensor (float32 or float64), got bool"),
                         Error);
    CHECK_THROWS_WITH_AS(gelu(i), Contains("gelu: expected a floating-point tensor"), Error);
    CHECK_THROWS_WITH_AS(div(i, i), Contains("div: expected a floating-point tensor"), Error);
    CHECK_THROWS_WITH_AS(add(b, b), Contains("add: not defined for bool tensors"), Error);
    CHECK_THROWS_WITH_AS(neg(b), Contains("neg: not defined for bool tensors"), Error);
    CHECK_THROWS_WITH_AS(div_(i, i), Contains("div_: expected a floating-point tensor"), Error);
}

// ---- comparisons and selection ---------------------------------------------------------------

TEST_CASE("comparisons broadcast and give bool tensors") {
    const Tensor x = tensor({1, 2, 3});
    const Tensor two = scalar(2);
    const Tensor less = lt(x, two);
    CHECK(less.dtype() == DType::Bool);
    CHECK(less.to_vector<int>() == std::vector<int>{1, 0, 0});
    CHECK(le(x, two).to_vector<int>() == std::vector<int>{1, 1, 0});
    CHECK(gt(x, two).to_vector<int>() == std::vector<int>{0, 0, 1});
    CHECK(ge(x, two).to_vector<int>() == std::vector<int>{0, 1, 1});
    CHECK(eq(x, two).to_vector<int>() == std::vector<int>{0, 1, 0});
    CHECK(ne(x, two).to_vector<int>() == std::vector<int>{1, 0, 1});
    // NaN equals nothing, itself included.
    const Tensor n = tensor({kNaN, 1});
    CHECK(eq(n, n).to_vector<int>() == std::vector<int>{0, 1});
    CHECK(ne(n, n).to_vector<int>() == std::vector<int>{1, 0});
    CHECK(lt(n, scalar(5)).to_vector<int>() == std::vector<int>{0, 1});
    // (3, 1) against (3): a (3, 3) table of i < j.
    const Tensor table = lt(iota({3, 1}), iota({3}));
    CHECK(shape_of(table) == "(3, 3)");
    CHECK(table.to_vector<int>() == std::vector<int>{0, 1, 1, 0, 0, 1, 0, 0, 0});
    // Bool and int64 operands compare too.
    CHECK(eq(table, table.t()).to_vector<int>() == std::vector<int>{1, 0, 0, 0, 1, 0, 0, 0, 1});
    CHECK(gt(tensor({3, -3}, DType::Int64), scalar(0, DType::Int64)).to_vector<int>() == std::vector<int>{1, 0});
    CHECK(logical_not(table).to_vector<int>() == std::vector<int>{1, 0, 0, 1, 1, 0, 1, 1, 1});
    CHECK(logical_not(table.t()).to_vector<int>() == std::vector<int>{1, 1, 1, 0, 1, 1, 0, 0, 1});
    CHECK_THROWS_WITH_AS(logical_not(x), Contains("logical_not: expected a bool tensor, got float32 (3)"), Error);
}

TEST_CASE("where broadcasts condition and then-values and else-values together") {
    // cond (3, 1), a (1, 4), b (2, 1, 1): result (2, 3, 4).
    const Tensor cond = from_vector<std::uint8_t>({1, 0, 1}, {3, 1});
    const Tensor a = from_vector<float>({1, 2, 3, 4}, {1, 4});
    const Tensor b = from_vector<float>({-1, -2}, {2, 1, 1});
    const Tensor w = where(cond, a, b);
    CHECK(shape_of(w) == "(2, 3, 4)");
    CHECK(w.dtype() == DType::Float32);
    const std::vector<int> c = {1, 0, 1};
    std::vector<double> expected;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) expected.push_back(c[j] ? k + 1 : -(i + 1));
    check_values(w, expected, 0);
    // A 0-d else-value.
    check_values(where(gt(iota({4}), scalar(1.5)), iota({4}), scalar(-1)), {-1, -1, 2, 3}, 0);
    CHECK_THROWS_WITH_AS(where(iota({3}), iota({3}), iota({3})), Contains("where: condition must be a bool tensor, got float32 (3)"),
                         Error);
    CHECK_THROWS_WITH_AS(where(cond, a, iota({5})), Contains("where: shapes"), Error);
}

TEST_CASE("masked_fill with a broadcast B x 1 x 1 x T padding mask writes -inf into the padded keys") {
    // Scores (B, H, T, T) = (2, 2, 3, 3); sequence b has lengths[b] real tokens, the rest is padding.
    const std::int64_t B = 2, H = 2, T = 3;
    const std::vector<std::int64_t> lengths = {3, 1};
    const Tensor scores = sample({B, H, T, T});
    Tensor pad = zeros({B, 1, 1, T}, DType::Bool);
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = lengths[static_cast<std::size_t>(b)]; t < T; ++t) pad.set({b, 0, 0, t}, 1);
    const Tensor masked = masked_fill(scores, pad, -kInf);
    CHECK(shape_of(masked) == "(2, 2, 3, 3)");
    CHECK_FALSE(masked.shares_storage_with(scores));
    std::vector<double> expected;  // (B, H, T, T)
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t h = 0; h < H; ++h)
            for (std::int64_t q = 0; q < T; ++q)
                for (std::int64_t k = 0; k < T; ++k)
                    expected.push_back(k >= lengths[static_cast<std::size_t>(b)] ? -kInf : scores.at({b, h, q, k}));
    qkv::test::check_close("masked scores", expected, masked, 0, 0);
    // The input is untouched; the in-place form writes through a view.
    CHECK(std::isfinite(scores.at({1, 0, 0, 2})));
    Tensor x = zeros({3, 2});
    masked_fill_(x.t(), from_vector<std::uint8_t>({0, 1, 0}), 5);  // column 1 of x.t() is row 1 of x
    check_values(x, {0, 0, 5, 5, 0, 0}, 0);
    CHECK_THROWS_WITH_AS(masked_fill(scores, zeros({T}), 0), Contains("masked_fill: mask must be a bool tensor, got float32 (3)"),
                         Error);
    CHECK_THROWS_WITH_AS(masked_fill_(zeros({3}), zeros({2, 3}, DType::Bool), 0), Contains("masked_fill"), Error);
    CHECK_THROWS_WITH_AS(masked_fill(zeros({2}, DType::Int64), from_vector<std::uint8_t>({1, 0}), -kInf),
                         Contains("cannot be stored in an integer tensor"), Error);
}

// ---- in place ----------------------------------------------------------------------------------

TEST_CASE("add_ on a transposed view updates the right elements of the base") {
    Tensor base = zeros({2, 3});
    // base.t()[j, i] += iota[j, i] = 2 j + i, so base[i, j] = 2 j + i.
    add_(base.t(), iota({3, 2}));
    check_values(base, {0, 2, 4, 1, 3, 5}, 0);
    // One column via select, broadcasting a 0-d value.
    add_(base.select(1, 2), scalar(10));
    check_values(base, {0, 2, 14, 1, 3, 15}, 0);
    // A stepped slice, with b broadcasting along rows.
    Tensor m = zeros({2, 5});
    add_(m.slice(1, 0, 5, 2), tensor({1, 2, 3}));
    check_values(m, {1, 0, 2, 0, 3, 1, 0, 2, 0, 3}, 0);
}

TEST_CASE("add_ scales b by alpha") {
    Tensor a = tensor({1, 2, 3}, DType::Float64);
    add_(a, tensor({10, 20, 30}, DType::Float64), -0.5);
    check_values(a, {-4, -8, -12}, 0);
    add_(a, tensor({1, 1, 1}, DType::Float64), 0.0);
    check_values(a, {-4, -8, -12}, 0);
}

TEST_CASE("in-place ops with b aliasing a read the old values") {
    Tensor x = tensor({1, 2, 3});
    add_(x, x);
    check_values(x, {2, 4, 6}, 0);
    mul_(x, x);
    check_values(x, {4, 16, 36}, 0);
    // x[1:] += x[:-1]: a left-to-right loop that re-read x would give 0, 1, 3, 6, 10.
    Tensor y = iota({5});
    add_(y.slice(0, 1, 5), y.slice(0, 0, 4));
    check_values(y, {0, 1, 3, 5, 7}, 0);
    // m -= m.t() must read the old m on both sides: m[i, j] - m[j, i] = (3i + j) - (3j + i) = 2 (i - j).
    Tensor m = iota({3, 3});
    sub_(m, m.t());
    check_values(m, {0, -2, -4, 2, 0, -2, 4, 2, 0}, 0);
}

TEST_CASE("every in-place op gives the same result through a strided view as on a contiguous copy") {
    using Op = std::function<void(const Tensor&, const Tensor&)>;
    const std::vector<std::pair<std::string, Op>> ops = {
        {"add_", [](const Tensor& a, const Tensor& b) { add_(a, b); }},
        {"add_ alpha", [](const Tensor& a, const Tensor& b) { add_(a, b, 2.5); }},
        {"sub_", [](const Tensor& a, const Tensor& b) { sub_(a, b); }},
        {"mul_", [](const Tensor& a, const Tensor& b) { mul_(a, b); }},
        {"div_", [](const Tensor& a, const Tensor& b) { div_(a, b); }},
        {"masked_fill_", [](const Tensor& a, const Tensor& b) { masked_fill_(a, gt(b, scalar(0)), -1); }},
        {"add_ number", [](const Tensor& a, const Tensor&) { add_(a, 1.5); }},
        {"mul_ number", [](const Tensor& a, const Tensor&) { mul_(a, -2.0); }},
        {"clamp_", [](const Tensor& a, const Tensor&) { clamp_(a, -1, 1); }},
        {"fill_", [](const Tensor& a, const Tensor&) { fill_(a, 3); }},
        {"zero_", [](const Tensor& a, const Tensor&) { zero_(a); }},
    };
    const std::vector<NamedView> bs = strided_views(0.5);
    for (const auto& op : ops) {
        for (const NamedView& b : bs) {
            INFO(op.first, " with a ", b.name, " b");
            // a is a transposed view of a fresh (4, 3); the reference updates a contiguous copy.
            const Tensor base = sample({4, 3}, DType::Float32, 5.0);
            const Tensor expected = base.t().contiguous();
            op.second(expected, b.view.contiguous());
            op.second(base.t(), b.view);
            check_same(base.t(), expected);
        }
    }
}

TEST_CASE("fill_ and zero_ and clamp_ write through views only") {
    Tensor x = iota({3, 3});
    fill_(x.select(1, 1), 7);
    check_values(x, {0, 7, 2, 3, 7, 5, 6, 7, 8}, 0);
    zero_(x.slice(0, 2, 3));
    check_values(x, {0, 7, 2, 3, 7, 5, 0, 0, 0}, 0);
    clamp_(x.slice(1, 0, 3, 2), 1, 4);  // columns 0 and 2
    check_values(x, {1, 7, 2, 3, 7, 4, 1, 0, 1}, 0);
    Tensor b = zeros({2}, DType::Bool);
    fill_(b, 0.5);
    CHECK(b.to_vector<int>() == std::vector<int>{1, 1});
    CHECK_THROWS_WITH_AS(fill_(zeros({2}, DType::Int64), kNaN), Contains("cannot be stored in an integer tensor"), Error);
}

TEST_CASE("an in-place op cannot grow its target") {
    CHECK_THROWS_WITH_AS(add_(zeros({3}), ones({2, 3})),
                         Contains("add_: cannot update a tensor of shape (3) in place with shape (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(mul_(zeros({3, 1}), ones({3, 4})), Contains("mul_: cannot update a tensor of shape (3, 1)"), Error);
    CHECK_THROWS_WITH_AS(sub_(zeros({3}), ones({4})), Contains("sub_: shapes (3) and (4) cannot be broadcast"), Error);
    // b may broadcast up to a's shape.
    Tensor a = zeros({2, 3});
    add_(a, ones({3, 1}).t());
    check_values(a, {1, 1, 1, 1, 1, 1}, 0);
}

}  // TEST_SUITE

TEST_SUITE("tensor") {
TEST_CASE("in-place writes into an expanded tensor are refused") {
    Tensor base = zeros({1, 3});
    Tensor wide = base.expand({4, 3});  // four rows, one row of memory
    CHECK_THROWS_WITH_AS(add_(wide, ones({4, 3})), doctest::Contains("cannot write in place to an expanded tensor"),
                         qkv::Error);
    CHECK_THROWS_WITH_AS(copy_(wide, ones({4, 3})), doctest::Contains("copy_: cannot write in place"), qkv::Error);
    CHECK_THROWS_WITH_AS(masked_fill_(wide, ones({4, 3}, DType::Bool), 1.0), doctest::Contains("masked_fill_:"),
                         qkv::Error);
    // A size-1 dim with stride 0 holds one element per position: writing is fine.
    Tensor one_row = base.expand({1, 3});
    add_(one_row, ones({1, 3}));
    CHECK(base.to_vector<float>() == std::vector<float>{1, 1, 1});
}
}
