// Shared by the autograd tests: random float64 inputs drawn from an op's domain, in three
// layouts (contiguous, strided view, broadcast), and a gradcheck that reports where it failed.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/autograd.hpp"
#include "tests/testing.hpp"

namespace qkv::test {

// Where an op's random inputs come from, chosen so central differences (step 1e-6) never
// straddle a point where the op is not differentiable.
struct Domain {
    enum class Kind { Normal, Uniform, Signed, Grid, Distinct };
    Kind kind = Kind::Normal;
    double lo = 0, hi = 1;  // Uniform / Signed: the range of |x|; Grid: the offset in lo

    static Domain normal() { return {}; }
    // Uniform in [lo, hi): log, sqrt, pow on [0.5, 2].
    static Domain uniform(double lo, double hi) { return {Kind::Uniform, lo, hi}; }
    // |x| uniform in [lo, hi), either sign: denominators kept away from 0.
    static Domain signed_away(double lo, double hi) { return {Kind::Signed, lo, hi}; }
    // 0.1 k + offset + u, k in [-20, 20), u in [0, 0.01): every value sits between offset and
    // offset + 0.01 modulo 0.1. With offset 0.05 nothing is within 0.04 of a multiple of 0.1
    // (abs and relu at 0, clamp at +-0.5); two grids with offsets 0.02 and 0.06 never tie
    // (maximum, minimum).
    static Domain grid(double offset) { return {Kind::Grid, offset, 0}; }
    // All values of the tensor at least 0.09 apart: max along a dim has no ties.
    static Domain distinct() { return {Kind::Distinct}; }
};

// A contiguous float64 tensor of `shape` with values from `d`.
inline Tensor draw(const Shape& shape, const Domain& d, Generator& gen) {
    switch (d.kind) {
    case Domain::Kind::Normal: return randn(shape, 0.0, 1.0, f64, gen);
    case Domain::Kind::Uniform: return rand(shape, d.lo, d.hi, f64, gen);
    case Domain::Kind::Signed: {
        const Tensor magnitude = rand(shape, d.lo, d.hi, f64, gen);
        return where(bernoulli(shape, 0.5, gen), magnitude, neg(magnitude));
    }
    case Domain::Kind::Grid:
        return randint(-20, 20, shape, gen).to(f64) * 0.1 + d.lo + rand(shape, 0.0, 0.01, f64, gen);
    case Domain::Kind::Distinct: {
        const std::int64_t n = shape_numel(shape);
        const Tensor spaced = randperm(n, gen).to(f64) * 0.1 - 0.05 * static_cast<double>(n);
        return (spaced + rand({n}, 0.0, 0.01, f64, gen)).reshape(shape);
    }
    }
    return Tensor();
}

// A float64 tensor of `shape` that is a strided view into a larger buffer (values from `d`):
//   >= 2 dims: the transpose of every other column of a buffer (..., n, 2m), so both of the
//              last two dims have non-unit strides;
//   1 dim:     every other element of a buffer (2n), from the second on;
//   0 dims:    element 1 of a buffer (2), a view with a non-zero offset.
inline Tensor draw_strided(const Shape& shape, const Domain& d, Generator& gen) {
    const std::size_t n = shape.size();
    if (n == 0) return draw({2}, d, gen).select(0, 1);
    if (n == 1) return draw({2 * shape[0]}, d, gen).slice(0, 1, 2 * shape[0], 2);
    Shape buffer = shape;
    buffer[n - 2] = shape[n - 1];
    buffer[n - 1] = 2 * shape[n - 2];
    const Tensor view = draw(buffer, d, gen).slice(-1, 0, buffer[n - 1], 2).transpose(-1, -2);
    REQUIRE(shape_str(view.shape()) == shape_str(shape));
    return view;
}

// gradcheck, with any exception turned into a failed check, and the checker's message (which
// names the input, the element and both values) printed on failure.
inline void check_gradients(const std::string& what, const GradcheckFn& f, const std::vector<Tensor>& inputs,
                            const GradcheckOptions& options = {}) {
    INFO(what);
    try {
        const GradcheckResult result = gradcheck(f, inputs, options);
        INFO(result.message);
        CHECK(result.ok);
    } catch (const std::exception& e) {
        FAIL_CHECK("threw: " << std::string(e.what()));
    }
}

// Every element of `t` (row-major) against `expected` written out in the test, one check
// (tests/testing.hpp): |got - expected| <= tol (1 + |expected|).
inline void check_close(const Tensor& t, const std::vector<double>& expected, double tol = 1e-12,
                        const char* file = __builtin_FILE(), int line = __builtin_LINE()) {
    check_close("values", expected, t, tol, tol, file, line);
}

// A float64 leaf that requires grad, from literal values.
inline Var leaf(const std::vector<double>& values) { return Var(from_vector(values), true); }
inline Var leaf(const std::vector<double>& values, Shape shape) {
    return Var(from_vector(values, std::move(shape)), true);
}

}  // namespace qkv::test
