// Reductions: sum, mean, var, logsumexp, max/min/argmax, against naive loops written here.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/reduce.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using qkv::test::kInf;
using qkv::test::kNaN;
using qkv::test::check_values;
using qkv::test::iota;
using qkv::test::sample;
using qkv::test::shape_of;
using doctest::Contains;

namespace {

// Brute-force sum: walk every element of `t` in row-major order, decode its multi-index, and add
// it into the output slot named by the coordinates of the dims not in `reduced` (whose flags are
// indexed by dim). Also counts the elements per slot, for means.
struct Naive {
    std::vector<double> sums;
    std::vector<double> counts;
};
Naive naive_sum(const Tensor& t, const std::vector<bool>& reduced) {
    const std::vector<double> values = t.to_vector<double>();
    const Shape& shape = t.shape();
    std::int64_t out_size = 1;
    for (std::size_t k = 0; k < shape.size(); ++k)
        if (!reduced[k]) out_size *= shape[k];
    Naive r{std::vector<double>(static_cast<std::size_t>(out_size), 0.0),
            std::vector<double>(static_cast<std::size_t>(out_size), 0.0)};
    for (std::size_t flat = 0; flat < values.size(); ++flat) {
        // Decode flat -> multi-index (last dim fastest), then encode the kept coordinates.
        std::vector<std::int64_t> index(shape.size());
        std::int64_t rest = static_cast<std::int64_t>(flat);
        for (std::size_t k = shape.size(); k-- > 0;) {
            index[k] = rest % shape[k];
            rest /= shape[k];
        }
        std::int64_t out = 0;
        for (std::size_t k = 0; k < shape.size(); ++k)
            if (!reduced[k]) out = out * shape[k] + index[k];
        r.sums[static_cast<std::size_t>(out)] += values[flat];
        r.counts[static_cast<std::size_t>(out)] += 1;
    }
    return r;
}

std::vector<double> naive_mean(const Tensor& t, const std::vector<bool>& reduced) {
    Naive r = naive_sum(t, reduced);
    for (std::size_t i = 0; i < r.sums.size(); ++i) r.sums[i] /= r.counts[i];
    return r.sums;
}

}  // namespace

TEST_SUITE("tensor") {

// ---- sum and mean ----------------------------------------------------------------------------

TEST_CASE("sum over one or several or negative or all dims matches a naive loop") {
    const Tensor x = sample({2, 3, 4});
    struct Case {
        Dims dims;
        std::vector<bool> reduced;
        const char* shape;
        const char* keep_shape;
    };
    const std::vector<Case> cases = {
        {{0}, {true, false, false}, "(3, 4)", "(1, 3, 4)"},
        {{1}, {false, true, false}, "(2, 4)", "(2, 1, 4)"},
        {{2}, {false, false, true}, "(2, 3)", "(2, 3, 1)"},
        {{-1}, {false, false, true}, "(2, 3)", "(2, 3, 1)"},
        {{0, 2}, {true, false, true}, "(3)", "(1, 3, 1)"},
        {{2, 0}, {true, false, true}, "(3)", "(1, 3, 1)"},
        {{-3, -2}, {true, true, false}, "(4)", "(1, 1, 4)"},
        {{0, 1, 2}, {true, true, true}, "()", "(1, 1, 1)"},
        {{}, {true, true, true}, "()", "(1, 1, 1)"},
    };
    for (const Case& c : cases) {
        INFO("dims ", shape_str(c.dims));
        const std::vector<double> expected = naive_sum(x, c.reduced).sums;
        const Tensor s = sum(x, c.dims), k = sum(x, c.dims, true);
        CHECK(shape_of(s) == c.shape);
        CHECK(shape_of(k) == c.keep_shape);
        CHECK(s.dtype() == DType::Float32);
        check_values(s, expected, 1e-6);
        check_values(k, expected, 1e-6);
        const Tensor m = mean(x, c.dims), mk = mean(x, c.dims, true);
        CHECK(shape_of(m) == c.shape);
        CHECK(shape_of(mk) == c.keep_shape);
        check_values(m, naive_mean(x, c.reduced), 1e-6);
    }
    // A small case by hand: rows of (0 1 2; 3 4 5).
    check_values(sum(iota({2, 3}), {1}), {3, 12}, 0);
    check_values(sum(iota({2, 3}), {0}), {3, 5, 7}, 0);
    check_values(mean(iota({2, 3}), {1}), {1, 4}, 0);
    CHECK(sum(iota({2, 3})).item() == 15);
    CHECK(mean(iota({2, 3})).item() == 2.5);
}

TEST_CASE("sum and mean of strided views match the naive loop over their logical elements") {
    const Tensor base = sample({2, 3, 4});
    const std::vector<Tensor> views = {
        base.permute({2, 0, 1}),                           // (4, 2, 3)
        sample({4, 3, 4}).slice(0, 1, 4, 2).transpose(1, 2),  // (2, 4, 3), stepped and transposed
        sample({1, 3, 1}).expand({4, 3, 2}),                  // stride 0 along two dims
    };
    for (const Tensor& v : views) {
        REQUIRE_FALSE(v.is_contiguous());
        for (const std::vector<bool>& reduced : std::vector<std::vector<bool>>{
                 {true, false, false}, {false, true, false}, {false, false, true}, {true, false, true}, {true, true, true}}) {
            Dims dims;
            for (std::int64_t k = 0; k < 3; ++k)
                if (reduced[static_cast<std::size_t>(k)]) dims.push_back(k);
            INFO("view ", shape_of(v), " strides ", shape_str(v.strides()), ", dims ", shape_str(dims));
            check_values(sum(v, dims), naive_sum(v, reduced).sums, 1e-6);
            check_values(mean(v, dims), naive_mean(v, reduced), 1e-6);
        }
    }
    // An expanded column: each row of iota(3, 1) repeated 4 times sums to 4 i.
    check_values(sum(iota({3, 1}).expand({3, 4}), {1}), {0, 4, 8}, 0);
}

TEST_CASE("float32 sums accumulate in double") {
    // 10^6 ones: exactly 10^6.
    CHECK(sum(ones({1000000})).item() == 1000000.0);
    // 10^6 copies of 0.1f (= 0.100000001490116...) sum to 100000.0015 in double, which rounds to
    // the float 100000; a float accumulator drifts to about 100958.
    const Tensor s = sum(full({1000000}, 0.1));
    CHECK(s.dtype() == DType::Float32);
    CHECK(s.item() == 100000.0);
    CHECK(mean(full({1000000}, 0.1)).item() == static_cast<double>(0.1f));
    // 1e8 + 1 - 1e8: float spacing at 1e8 is 8, so a float accumulator loses the 1.
    CHECK(sum(tensor({1e8, 1, -1e8})).item() == 1);
}

TEST_CASE("integer and bool sums are int64 and exact") {
    const std::int64_t big = (std::int64_t{1} << 53) + 1;
    const Tensor n = from_vector<std::int64_t>({big, 2, -1, 5}, {2, 2});
    const Tensor s = sum(n, {1});
    CHECK(s.dtype() == DType::Int64);
    CHECK(s.to_vector<std::int64_t>() == std::vector<std::int64_t>{big + 2, 4});
    const Tensor b = sum(from_vector<std::uint8_t>({1, 0, 1, 1}));
    CHECK(b.dtype() == DType::Int64);
    CHECK(b.item() == 3);
    CHECK_THROWS_WITH_AS(mean(n), Contains("mean: expected a floating-point tensor (float32 or float64), got int64"), Error);
}

TEST_CASE("reductions over empty slices and 0-d tensors") {
    // The sum of nothing is 0; its mean is 0 / 0 = NaN.
    check_values(sum(zeros({0, 3}), {0}), {0, 0, 0}, 0);
    check_values(mean(zeros({0, 3}), {0}), {kNaN, kNaN, kNaN});
    CHECK(shape_of(sum(zeros({0, 3}), {1})) == "(0)");
    CHECK(sum(zeros({0})).item() == 0);
    // Reducing a 0-d tensor over all (no) dims gives its value.
    CHECK(sum(scalar(2.5)).item() == 2.5);
    CHECK(mean(scalar(2.5)).item() == 2.5);
}

TEST_CASE("reductions reject repeated and out-of-range dims") {
    const Tensor x = zeros({2, 3, 4});
    CHECK_THROWS_WITH_AS(sum(x, {1, -2}), Contains("sum: dim appears more than once in (1, -2)"), Error);
    CHECK_THROWS_WITH_AS(mean(x, {0, 0}), Contains("mean: dim appears more than once"), Error);
    CHECK_THROWS_WITH_AS(var(x, {2, -1}), Contains("var: dim appears more than once"), Error);
    CHECK_THROWS_WITH_AS(logsumexp(x, {1, 1}), Contains("logsumexp: dim appears more than once"), Error);
    CHECK_THROWS_WITH_AS(sum(x, {3}), Contains("sum: dim 3 out of range for a tensor of 3 dims"), Error);
    CHECK_THROWS_WITH_AS(mean(x, {-4}), Contains("mean: dim -4 out of range for a tensor of 3 dims"), Error);
    CHECK_THROWS_WITH_AS(sum(Tensor()), Contains("sum: the tensor is undefined"), Error);
}

// ---- var -----------------------------------------------------------------------------------------

TEST_CASE("var divides the squared deviations by N - correction") {
    // 1, 2, 3, 4: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5.
    const Tensor x = tensor({1, 2, 3, 4}, DType::Float64);
    CHECK(var(x, {}, 0).item() == doctest::Approx(5.0 / 4).epsilon(1e-15));
    CHECK(var(x, {}, 1).item() == doctest::Approx(5.0 / 3).epsilon(1e-15));
    CHECK(var(x).item() == doctest::Approx(5.0 / 3).epsilon(1e-15));  // unbiased by default
    // Rows: (1 2 3 4) as above; (2 4 6 8) has deviations 4 times as large, squares 16x: 20.
    const Tensor m = tensor({{1, 2, 3, 4}, {2, 4, 6, 8}});
    check_values(var(m, {1}, 0), {1.25, 5}, 1e-6);
    check_values(var(m, {1}, 1), {5.0 / 3, 20.0 / 3}, 1e-6);
    const Tensor k = var(m, {1}, 0, true);
    CHECK(shape_of(k) == "(2, 1)");
    // Columns: pairs (1,2), (2,4), (3,6), (4,8); biased variance of (a, b) is ((a - b) / 2)^2.
    check_values(var(m, {0}, 0), {0.25, 1, 2.25, 4}, 1e-6);
    // On a transposed view: the same numbers.
    check_values(var(m.t(), {0}, 0), {1.25, 5}, 1e-6);
    check_values(var(m.t(), {1}, 1), {0.5, 2, 4.5, 8}, 1e-6);
    // N - correction <= 0 has no variance: NaN.
    check_values(var(tensor({3}), {0}, 1), {kNaN});
    CHECK_THROWS_WITH_AS(var(x, {}, -1), Contains("var: correction must be >= 0, got -1"), Error);
    CHECK_THROWS_WITH_AS(var(tensor({1, 2}, DType::Int64)), Contains("var: expected a floating-point tensor"), Error);
}

TEST_CASE("var does not cancel catastrophically around a large mean") {
    // 1e8 + {1, 2, 3}: deviations -1, 0, 1, biased variance 2/3. E[x^2] - E[x]^2 would subtract
    // two numbers near 1e16, where float64 spacing is 2, and get garbage.
    const Tensor x = tensor({1e8 + 1, 1e8 + 2, 1e8 + 3}, DType::Float64);
    CHECK(var(x, {0}, 0).item() == doctest::Approx(2.0 / 3).epsilon(1e-12));
    CHECK(var(x, {0}, 1).item() == doctest::Approx(1.0).epsilon(1e-12));
}

// ---- logsumexp ---------------------------------------------------------------------------------

TEST_CASE("logsumexp equals log(sum(exp)) where that is safe to compute") {
    const Tensor x = tensor({{0, 1, 2}, {-1, 0.5, 3}}, DType::Float64);
    const double r0 = std::log(std::exp(0.0) + std::exp(1.0) + std::exp(2.0));
    const double r1 = std::log(std::exp(-1.0) + std::exp(0.5) + std::exp(3.0));
    check_values(logsumexp(x, {1}), {r0, r1}, 1e-14);
    check_values(logsumexp(x, {-1}, true), {r0, r1}, 1e-14);
    CHECK(shape_of(logsumexp(x, {1}, true)) == "(2, 1)");
    const double c0 = std::log(std::exp(0.0) + std::exp(-1.0)), c2 = std::log(std::exp(2.0) + std::exp(3.0));
    check_values(logsumexp(x, {0}), {c0, std::log(std::exp(1.0) + std::exp(0.5)), c2}, 1e-14);
    check_values(logsumexp(x.t(), {0}), {r0, r1}, 1e-14);
    const double all = std::log(std::exp(0.0) + std::exp(1.0) + std::exp(2.0) + std::exp(-1.0) + std::exp(0.5) +
                                std::exp(3.0));
    CHECK(logsumexp(x, {}).item() == doctest::Approx(all).epsilon(1e-14));
    CHECK(logsumexp(x, {0, 1}).item() == doctest::Approx(all).epsilon(1e-14));
    check_values(logsumexp(x.to(DType::Float32), {1}), {r0, r1}, 1e-6);
}

TEST_CASE("logsumexp of huge values does not overflow and of all -inf is -inf") {
    // log(e^1000 + e^1000) = 1000 + log 2, though e^1000 overflows double.
    CHECK(logsumexp(tensor({1000, 1000}, DType::Float64), {0}).item() == doctest::Approx(1000 + std::log(2.0)).epsilon(1e-15));
    CHECK(logsumexp(tensor({1000, 1000}), {0}).item() == doctest::Approx(1000 + std::log(2.0)).epsilon(1e-7));
    CHECK(logsumexp(tensor({-1000, -1000}, DType::Float64), {0}).item() == doctest::Approx(-1000 + std::log(2.0)).epsilon(1e-15));
    // Rows: all -inf; one finite; +inf present; NaN present.
    const Tensor x = tensor({{-kInf, -kInf}, {-kInf, 0}, {kInf, 1}, {kNaN, 1}});
    check_values(logsumexp(x, {1}), {-kInf, 0, kInf, kNaN});
}

// ---- max, min, argmax ----------------------------------------------------------------------------

TEST_CASE("max and min along a dim give values and the index of the first occurrence") {
    const Tensor x = tensor({{3, 1, 4, 1, 5}, {9, 2, 6, 5, 3}});
    const ValuesIndices mx = max(x, 1);
    CHECK(shape_of(mx.values) == "(2)");
    CHECK(mx.indices.dtype() == DType::Int64);
    check_values(mx.values, {5, 9}, 0);
    CHECK(mx.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 0});
    // Row 0 has 1 at positions 1 and 3: the first one is reported.
    const ValuesIndices mn = min(x, -1);
    check_values(mn.values, {1, 2}, 0);
    CHECK(mn.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1});
    // Along dim 0, with keepdim.
    const ValuesIndices col = max(x, 0, true);
    CHECK(shape_of(col.values) == "(1, 5)");
    CHECK(shape_of(col.indices) == "(1, 5)");
    check_values(col.values, {9, 2, 6, 5, 5}, 0);
    CHECK(col.indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 1, 1, 0});
    CHECK(argmax(x, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 0});
    CHECK(shape_of(argmax(x, 1, true)) == "(2, 1)");
    // Ties: the first of the equal maxima.
    CHECK(argmax(tensor({2, 7, 7, 1}), 0).item() == 1);
    CHECK(min(tensor({2, 1, 7, 1}), 0).indices.item() == 1);
    // The same answers through a transposed view, and on int64.
    CHECK(max(x.t(), 0).indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 0});
    CHECK(min(x.t(), 0).indices.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1});
    const ValuesIndices xi = max(x.to(DType::Int64), 1);
    CHECK(xi.values.dtype() == DType::Int64);
    CHECK(xi.values.to_vector<std::int64_t>() == std::vector<std::int64_t>{5, 9});
}

TEST_CASE("max and min along a dim match a naive loop on a strided 3-d view") {
    const Tensor v = sample({3, 4, 5}).permute({1, 2, 0}).slice(1, 0, 5, 2);  // (4, 3, 3)
    for (std::int64_t d = 0; d < 3; ++d) {
        INFO("dim ", d);
        const ValuesIndices mx = max(v, d), mn = min(v, d);
        // Walk every output position: the two kept coordinates (i, j) fill the other dims.
        std::int64_t out = 0;
        const Shape& s = v.shape();
        const std::int64_t da = d == 0 ? 1 : 0, db = d == 2 ? 1 : 2;
        const std::vector<double> mxv = mx.values.to_vector<double>(), mnv = mn.values.to_vector<double>();
        const std::vector<std::int64_t> mxi = mx.indices.to_vector<std::int64_t>(), mni = mn.indices.to_vector<std::int64_t>();
        for (std::int64_t i = 0; i < s[static_cast<std::size_t>(da)]; ++i)
            for (std::int64_t j = 0; j < s[static_cast<std::size_t>(db)]; ++j, ++out) {
                double best_hi = -kInf, best_lo = kInf;
                std::int64_t at_hi = -1, at_lo = -1;
                for (std::int64_t r = 0; r < s[static_cast<std::size_t>(d)]; ++r) {
                    std::int64_t idx[3];
                    idx[d] = r, idx[da] = i, idx[db] = j;
                    const double val = v.at({idx[0], idx[1], idx[2]});
                    if (val > best_hi) best_hi = val, at_hi = r;
                    if (val < best_lo) best_lo = val, at_lo = r;
                }
                const auto o = static_cast<std::size_t>(out);
                CHECK(mxv[o] == best_hi);
                CHECK(mxi[o] == at_hi);
                CHECK(mnv[o] == best_lo);
                CHECK(mni[o] == at_lo);
            }
    }
}

TEST_CASE("NaN wins max and min at its first position") {
    const Tensor x = tensor({1, kNaN, 3, kNaN});
    const ValuesIndices mx = max(x, 0), mn = min(x, 0);
    CHECK(std::isnan(mx.values.item()));
    CHECK(mx.indices.item() == 1);
    CHECK(std::isnan(mn.values.item()));
    CHECK(mn.indices.item() == 1);
    CHECK(argmax(tensor({kNaN, 5}), 0).item() == 0);
    CHECK(std::isnan(max(x).item()));
    CHECK(std::isnan(min(x).item()));
}

TEST_CASE("max and min of a whole tensor are 0-d") {
    const Tensor x = tensor({{3, -1, 4}, {1, -5, 9}});
    const Tensor hi = max(x), lo = min(x);
    CHECK(hi.dim() == 0);
    CHECK(hi.item() == 9);
    CHECK(lo.item() == -5);
    CHECK(hi.dtype() == DType::Float32);
    // x.t()[:2] holds columns 0 and 1 of x: 3, 1, -1, -5.
    CHECK(max(x.t().slice(0, 0, 2)).item() == 3);
    CHECK(min(x.t().slice(0, 1, 3)).item() == -5);
    CHECK(max(tensor({-2, 7}, DType::Int64)).to_vector<std::int64_t>() == std::vector<std::int64_t>{7});
}

TEST_CASE("max and min refuse empty dims and bool tensors") {
    CHECK_THROWS_WITH_AS(max(zeros({0, 3}), 0), Contains("max: cannot reduce over dim 0 of size 0 in shape (0, 3)"), Error);
    CHECK_THROWS_WITH_AS(min(zeros({2, 0}), -1), Contains("min: cannot reduce over dim 1 of size 0 in shape (2, 0)"), Error);
    CHECK_THROWS_WITH_AS(argmax(zeros({0}), 0), Contains("cannot reduce over dim 0 of size 0"), Error);
    CHECK_THROWS_WITH_AS(max(zeros({0})), Contains("max: cannot take the max of an empty tensor of shape (0)"), Error);
    CHECK_THROWS_WITH_AS(min(zeros({2, 0})), Contains("min: cannot take the min of an empty tensor of shape (2, 0)"), Error);
    CHECK_THROWS_WITH_AS(max(zeros({2}), 1), Contains("max: dim 1 out of range"), Error);
    // Reducing a non-empty dim of a tensor that is empty elsewhere is fine: nothing to reduce.
    CHECK(shape_of(max(zeros({2, 0}), 0).values) == "(0)");
    CHECK_THROWS_WITH_AS(max(zeros({2}, DType::Bool), 0), Contains("max: dtype bool is not supported"), Error);
}

}  // TEST_SUITE
