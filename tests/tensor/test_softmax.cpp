// Softmax and log-softmax: normalisation along any dim and layout, stability at large inputs,
// and the convention for rows that are entirely -inf (fully masked attention rows).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/reduce.hpp"
#include "tensor/softmax.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using qkv::test::kInf;
using qkv::test::check_values;
using qkv::test::sample;
using qkv::test::shape_of;
using doctest::Contains;

namespace {

// Reference softmax along `dim` of a 3-d tensor, by direct loops over at():
// exp(x_i - max) / sum_j exp(x_j - max). Returns the values in row-major order of t's shape.
std::vector<double> naive_softmax(const Tensor& t, std::int64_t dim) {
    const Shape& s = t.shape();
    std::vector<double> out;
    for (std::int64_t i = 0; i < s[0]; ++i)
        for (std::int64_t j = 0; j < s[1]; ++j)
            for (std::int64_t k = 0; k < s[2]; ++k) {
                std::int64_t idx[3] = {i, j, k};
                auto value_at = [&](std::int64_t r) {
                    idx[dim] = r;
                    return t.at({idx[0], idx[1], idx[2]});
                };
                const std::int64_t self = idx[dim];
                double m = -kInf;
                for (std::int64_t r = 0; r < s[static_cast<std::size_t>(dim)]; ++r) m = std::max(m, value_at(r));
                double z = 0;
                for (std::int64_t r = 0; r < s[static_cast<std::size_t>(dim)]; ++r) z += std::exp(value_at(r) - m);
                out.push_back(std::exp(value_at(self) - m) / z);
            }
    return out;
}

std::vector<double> ones_vec(std::int64_t n) { return std::vector<double>(static_cast<std::size_t>(n), 1.0); }

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("softmax along each dim of a 3-d tensor sums to 1 and matches the formula") {
    // Inputs in [-9, 9], so exp spans a wide range.
    const Tensor x = mul(sample({2, 3, 4}), scalar(3));
    const Tensor views[] = {
        x,
        x.permute({2, 0, 1}),                                                  // strides (1, 12, 4)
        mul(sample({4, 3, 8}), scalar(3)).slice(2, 1, 8, 2).transpose(0, 2),  // stepped and transposed
        mul(sample({1, 3, 4}), scalar(3)).expand({2, 3, 4}),                  // stride 0 along dim 0
    };
    for (const Tensor& v : views) {
        for (std::int64_t dim : {0, 1, 2, -1}) {
            INFO("shape ", shape_of(v), " strides ", shape_str(v.strides()), ", dim ", dim);
            const Tensor p = softmax(v, dim);
            CHECK(shape_of(p) == shape_of(v));
            CHECK(p.dtype() == DType::Float32);
            const std::int64_t d = dim < 0 ? dim + 3 : dim;
            const Tensor totals = sum(p, {dim});
            check_values(totals, ones_vec(totals.numel()), 1e-6);
            check_values(p, naive_softmax(v, d), 1e-5);
            for (double q : p.to_vector<double>()) {
                CHECK(q >= 0);
                CHECK(q <= 1);
            }
        }
    }
}

TEST_CASE("softmax is unchanged by adding a constant to a row") {
    const Tensor x = sample({3, 5}, DType::Float64);
    check_values(softmax(add(x, scalar(100.0, DType::Float64)), 1), softmax(x, 1).to_vector<double>(), 1e-12);
    check_values(softmax(add(x, scalar(-50.0, DType::Float64)), 1), softmax(x, 1).to_vector<double>(), 1e-12);
    // Per-row constants, too.
    const Tensor shift = from_vector<double>({-7, 0, 30}, {3, 1});
    check_values(softmax(add(x, shift), 1), softmax(x, 1).to_vector<double>(), 1e-12);
    check_values(log_softmax(add(x, shift), 1), log_softmax(x, 1).to_vector<double>(), 1e-12);
    // float32: adding 100 rounds the inputs to about 1e-5, so agreement is to that level.
    const Tensor f = x.to(DType::Float32);
    check_values(softmax(add(f, scalar(100)), 1), softmax(f, 1).to_vector<double>(), 1e-4);
}

TEST_CASE("softmax of large inputs is finite and correct") {
    // softmax(1000, 1001) = softmax(0, 1) = (1, e) / (1 + e).
    const double e = std::exp(1.0);
    for (DType dtype : {DType::Float32, DType::Float64}) {
        INFO(dtype_name(dtype));
        const Tensor x = tensor({1000, 1001}, dtype);
        check_values(softmax(x, 0), {1 / (1 + e), e / (1 + e)}, 1e-6);
        check_values(log_softmax(x, 0), {-std::log(1 + e), 1 - std::log(1 + e)}, 1e-6);
        check_values(softmax(tensor({-1000, -1001}, dtype), 0), {e / (1 + e), 1 / (1 + e)}, 1e-6);
    }
    // Hand values: 1 / (1 + e) = 0.2689414213699951, log(1 + e) = 1.3132616875182228.
    check_values(softmax(tensor({1000, 1001}, DType::Float64), 0), {0.2689414213699951, 0.7310585786300049}, 1e-14);
    check_values(log_softmax(tensor({1000, 1001}, DType::Float64), 0), {-1.3132616875182228, -0.31326168751822286},
                 1e-14);
}

TEST_CASE("a row of all -inf gives zeros from softmax and -inf from log_softmax") {
    const Tensor x = tensor({{-kInf, -kInf, -kInf}, {1, 2, 3}});
    const Tensor p = softmax(x, 1);
    check_values(p.select(0, 0), {0, 0, 0}, 0);
    check_values(sum(p.select(0, 1), {0}), {1}, 1e-6);
    check_values(log_softmax(x, 1).select(0, 0), {-kInf, -kInf, -kInf});
    // Along dim 0 the same rows are columns: (-inf, 1) etc. are fine, nothing is fully masked.
    check_values(softmax(x, 0), {0, 0, 0, 1, 1, 1}, 0);
}

TEST_CASE("a NaN makes its row NaN, also where the rest is -inf, in the contiguous and the strided path") {
    // rows::max skips NaN, so a row of NaN and -inf looks fully masked to it; it must come out
    // NaN (as PyTorch gives, and as a row with a finite entry gives through its sum), not zeros.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const Tensor x = tensor({{nan, -kInf, -kInf}, {nan, nan, nan}, {nan, 1, 2}, {-kInf, -kInf, -kInf}});  // (4, 3)
    for (const Tensor& rows : {x, x.t().contiguous().t()}) {  // contiguous rows, then strided ones
        CAPTURE(rows.is_contiguous());
        for (int log = 0; log < 2; ++log) {
            const std::vector<double> y = (log ? log_softmax(rows, 1) : softmax(rows, 1)).to_vector<double>();
            for (int i = 0; i < 9; ++i) CHECK(std::isnan(y[static_cast<std::size_t>(i)]));
            for (int i = 9; i < 12; ++i) CHECK(y[static_cast<std::size_t>(i)] == (log ? -kInf : 0.0));  // masked: no NaN
        }
    }
}

TEST_CASE("masked entries of a row get exactly zero probability") {
    const Tensor x = tensor({-kInf, 0, -kInf, 0, 1}, DType::Float64);
    const Tensor p = softmax(x, 0);
    const double e = std::exp(1.0);
    const std::vector<double> got = p.to_vector<double>();
    CHECK(got[0] == 0);  // exactly, not merely small
    CHECK(got[2] == 0);
    check_values(p, {0, 1 / (2 + e), 0, 1 / (2 + e), e / (2 + e)}, 1e-14);
    check_values(log_softmax(x, 0), {-kInf, -std::log(2 + e), -kInf, -std::log(2 + e), 1 - std::log(2 + e)}, 1e-14);
    // Through masked_fill with a causal mask: row t sees positions <= t only.
    const Tensor scores = sample({3, 3}, DType::Float64);
    Tensor future = zeros({3, 3}, DType::Bool);
    future.set({0, 1}, 1), future.set({0, 2}, 1), future.set({1, 2}, 1);
    const Tensor attn = softmax(masked_fill(scores, future, -kInf), -1);
    CHECK(attn.at({0, 0}) == 1);
    CHECK(attn.at({0, 1}) == 0);
    CHECK(attn.at({1, 2}) == 0);
    check_values(sum(attn, {1}), {1, 1, 1}, 1e-14);
}

TEST_CASE("exp of log_softmax is softmax") {
    const Tensor x = mul(sample({4, 6}), scalar(4));
    for (std::int64_t dim : {0, 1}) {
        INFO("dim ", dim);
        check_values(exp(log_softmax(x, dim)), softmax(x, dim).to_vector<double>(), 1e-6);
        check_values(exp(log_softmax(x.t(), dim)), softmax(x.t(), dim).to_vector<double>(), 1e-6);
        // log_softmax(x) = x - logsumexp(x): the two are written independently.
        check_values(log_softmax(x, dim), sub(x, logsumexp(x, {dim}, true)).to_vector<double>(), 1e-5);
    }
}

TEST_CASE("softmax in float64 is accurate to double precision") {
    // e^1, e^2, e^3 over their sum.
    const Tensor p = softmax(tensor({1, 2, 3}, DType::Float64), 0);
    CHECK(p.dtype() == DType::Float64);
    check_values(p, {0.09003057317038046, 0.24472847105479767, 0.6652409557748219}, 1e-14);
    const Tensor x = sample({2, 3, 4}, DType::Float64);
    for (std::int64_t dim : {0, 1, 2}) {
        INFO("dim ", dim);
        check_values(softmax(x, dim), naive_softmax(x, dim), 1e-14);
        check_values(sum(softmax(x, dim), {dim}), ones_vec(24 / x.size(dim)), 1e-14);
    }
}

TEST_CASE("softmax edge shapes and bad input") {
    // A 0-d tensor is a row of one: probability 1.
    CHECK(softmax(scalar(3), 0).item() == 1);
    CHECK(softmax(scalar(3), 0).dim() == 0);
    CHECK(log_softmax(scalar(3), 0).item() == 0);
    // Rows of length 1, and an empty tensor.
    check_values(softmax(tensor({5, -2}).reshape({2, 1}), 1), {1, 1}, 0);
    CHECK(shape_of(softmax(zeros({0, 3}), 1)) == "(0, 3)");
    CHECK(shape_of(softmax(zeros({3, 0}), 1)) == "(3, 0)");
    CHECK_THROWS_WITH_AS(softmax(tensor({1, 2}, DType::Int64), 0),
                         Contains("softmax: expected a floating-point tensor (float32 or float64), got int64"), Error);
    CHECK_THROWS_WITH_AS(log_softmax(tensor({1, 2}), 1), Contains("log_softmax: dim 1 out of range for a tensor of 1 dims"),
                         Error);
    CHECK_THROWS_WITH_AS(softmax(Tensor(), 0), Contains("softmax: the tensor is undefined"), Error);
}

}  // TEST_SUITE
