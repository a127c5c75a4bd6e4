// Elementwise ops. Each op is one line naming its scalar formula (scalar_math.hpp holds the
// longer ones); the loops that apply a formula to broadcast, strided operands are written
// once, in map.hpp.
#include "tensor/elementwise.hpp"

#include <cmath>
#include <limits>

#include "tensor/creation.hpp"
#include "tensor/fast_math.hpp"
#include "tensor/map.hpp"
#include "tensor/scalar_math.hpp"

namespace qkv {
namespace {

Tensor scalar_like(const Tensor& t, double v) {
    t.check_defined("scalar");
    return scalar(v, t.dtype());
}


}  // namespace

// ---- binary arithmetic -----------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Numeric>("add", a, b, [](auto x, auto y) { return x + y; }); }
Tensor sub(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Numeric>("sub", a, b, [](auto x, auto y) { return x - y; }); }
Tensor mul(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Numeric>("mul", a, b, [](auto x, auto y) { return x * y; }); }
Tensor div(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Floating>("div", a, b, [](auto x, auto y) { return x / y; }); }
Tensor pow(const Tensor& a, const Tensor& b) {
    return map_binary<Accepts::Floating>("pow", a, b, [](auto x, auto y) { return std::pow(x, y); });
}
Tensor pow(const Tensor& a, double exponent) {
    if (exponent == 2.0) return map_unary<Accepts::Floating>("pow", a, [](auto x) { return x * x; });
    return pow(a, scalar_like(a, exponent));
}
// NaN propagates, as in torch.maximum.
Tensor maximum(const Tensor& a, const Tensor& b) {
    return map_binary<Accepts::Numeric>("maximum", a, b, [](auto x, auto y) { return (is_nan(x) || x > y) ? x : y; });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
    return map_binary<Accepts::Numeric>("minimum", a, b, [](auto x, auto y) { return (is_nan(x) || x < y) ? x : y; });
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, scalar_like(a, b)); }
Tensor operator-(const Tensor& a, double b) { return sub(a, scalar_like(a, b)); }
Tensor operator*(const Tensor& a, double b) { return mul(a, scalar_like(a, b)); }
Tensor operator/(const Tensor& a, double b) { return div(a, scalar_like(a, b)); }
Tensor operator+(double a, const Tensor& b) { return add(scalar_like(b, a), b); }
Tensor operator-(double a, const Tensor& b) { return sub(scalar_like(b, a), b); }
Tensor operator*(double a, const Tensor& b) { return mul(scalar_like(b, a), b); }
Tensor operator/(double a, const Tensor& b) { return div(scalar_like(b, a), b); }
Tensor operator-(const Tensor& a) { return neg(a); }

// ---- unary math ------------------------------------------------------------------------------
Tensor neg(const Tensor& a) { return map_unary<Accepts::Numeric>("neg", a, [](auto x) { return -x; }); }
Tensor abs(const Tensor& a) {
    return map_unary<Accepts::Numeric>("abs", a, [](auto x) { return x < 0 ? -x : x; });
}
Tensor exp(const Tensor& a) { return map_unary<Accepts::Floating>("exp", a, [](auto x) { return fast::exp(x); }); }
Tensor log(const Tensor& a) { return map_unary<Accepts::Floating>("log", a, [](auto x) { return std::log(x); }); }
Tensor sqrt(const Tensor& a) { return map_unary<Accepts::Floating>("sqrt", a, [](auto x) { return std::sqrt(x); }); }
Tensor rsqrt(const Tensor& a) {
    return map_unary<Accepts::Floating>("rsqrt", a, [](auto x) { return decltype(x)(1) / std::sqrt(x); });
}
Tensor tanh(const Tensor& a) { return map_unary<Accepts::Floating>("tanh", a, [](auto x) { return fast::tanh(x); }); }
// exp of a non-positive number only: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) for x < 0.
Tensor sigmoid(const Tensor& a) {
    return map_unary<Accepts::Floating>("sigmoid", a, [](auto x) { return math::sigmoid(x); });
}
// NaN stays NaN (x > 0 is false for NaN, so return x, not 0).
Tensor relu(const Tensor& a) {
    return map_unary<Accepts::Numeric>("relu", a, [](auto x) { return (x > 0 || is_nan(x)) ? x : decltype(x)(0); });
}
Tensor gelu(const Tensor& a) {
    return map_unary<Accepts::Floating>("gelu", a, [](auto x) { return math::gelu(x); });
}
Tensor gelu_tanh(const Tensor& a) {
    return map_unary<Accepts::Floating>("gelu_tanh", a, [](auto x) { return math::gelu_tanh(x); });
}
Tensor clamp(const Tensor& a, double lo, double hi) {
    if (lo > hi) fail("clamp", "lower bound ", lo, " is above upper bound ", hi);
    return map_unary<Accepts::Numeric>("clamp", a, [lo, hi](auto x) {
        using T = decltype(x);
        return x < T(lo) ? T(lo) : (x > T(hi) ? T(hi) : x);
    });
}

// ---- comparisons -----------------------------------------------------------------------------
Tensor eq(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Any>("eq", a, b, [](auto x, auto y) { return x == y; }, true); }
Tensor ne(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Any>("ne", a, b, [](auto x, auto y) { return x != y; }, true); }
Tensor lt(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Any>("lt", a, b, [](auto x, auto y) { return x < y; }, true); }
Tensor le(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Any>("le", a, b, [](auto x, auto y) { return x <= y; }, true); }
Tensor gt(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Any>("gt", a, b, [](auto x, auto y) { return x > y; }, true); }
Tensor ge(const Tensor& a, const Tensor& b) { return map_binary<Accepts::Any>("ge", a, b, [](auto x, auto y) { return x >= y; }, true); }

Tensor logical_not(const Tensor& mask) {
    mask.check_defined("logical_not");
    if (mask.dtype() != DType::Bool) fail("logical_not", "expected a bool tensor, got ", describe(mask));
    return map_unary<Accepts::Any>("logical_not", mask, [](auto x) { return static_cast<decltype(x)>(!x); });
}

// ---- selection -------------------------------------------------------------------------------
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
    cond.check_defined("where");
    if (cond.dtype() != DType::Bool) fail("where", "condition must be a bool tensor, got ", describe(cond));
    const Shape ab = broadcast_shapes(a.shape(), b.shape(), "where");
    const Shape shape = broadcast_shapes(cond.shape(), ab, "where");
    // Start from b everywhere, then copy a's elements where cond holds.
    Tensor out = b.expand(shape).clone();
    if (a.dtype() != b.dtype())
        fail("where", "dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()), " differ");
    const Tensor ec = cond.expand(shape), ea = a.expand(shape);
    dispatch(a.dtype(), "where", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = raw<T>(out);
        const std::uint8_t* c = raw<std::uint8_t>(ec);
        const T* x = raw<T>(ea);
        for_each_offset<3>(shape, {out.strides().data(), ec.strides().data(), ea.strides().data()},
                           {out.offset(), ec.offset(), ea.offset()}, [&](const std::int64_t* off) {
                               if (c[off[1]]) o[off[0]] = x[off[2]];
                           });
    });
    return out;
}

void masked_fill_(const Tensor& a, const Tensor& mask, double value) {
    check_writable(a, "masked_fill_");
    mask.check_defined("masked_fill_");
    if (mask.dtype() != DType::Bool) fail("masked_fill", "mask must be a bool tensor, got ", describe(mask));
    if (broadcast_shapes(a.shape(), mask.shape(), "masked_fill") != a.shape())
        fail("masked_fill", "mask of shape ", shape_str(mask.shape()), " does not broadcast to the tensor's shape ",
             shape_str(a.shape()));
    const Tensor em = mask.expand(a.shape());
    dispatch(a.dtype(), "masked_fill", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* x = raw<T>(a);
        const std::uint8_t* m = raw<std::uint8_t>(em);
        const T v = convert_element<T>(value, "masked_fill");
        // Row by row; a contiguous row is a select the compiler vectorises.
        parallel_for_each_row<2>(a.shape(), {a.strides().data(), em.strides().data()}, {a.offset(), em.offset()},
                                 [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step) {
                                     T* px = x + off[0];
                                     const std::uint8_t* pm = m + off[1];
                                     if (step[0] == 1 && step[1] == 1)
                                         for (std::int64_t k = 0; k < n; ++k) px[k] = pm[k] ? v : px[k];
                                     else
                                         for (std::int64_t k = 0; k < n; ++k)
                                             if (pm[k * step[1]]) px[k * step[0]] = v;
                                 });
    });
}

Tensor masked_fill(const Tensor& a, const Tensor& mask, double value) {
    a.check_defined("masked_fill");
    mask.check_defined("masked_fill");
    Tensor out = a.expand(broadcast_shapes(a.shape(), mask.shape(), "masked_fill")).clone();
    masked_fill_(out, mask, value);
    return out;
}

// ---- in place --------------------------------------------------------------------------------
void add_(const Tensor& a, const Tensor& b, double alpha) {
    if (alpha == 1.0) return update_binary<Accepts::Numeric>("add_", a, b, [](auto x, auto y) { return x + y; });
    update_binary<Accepts::Numeric>("add_", a, b, [alpha](auto x, auto y) {
        using T = decltype(x);
        return x + static_cast<T>(alpha) * y;
    });
}
void sub_(const Tensor& a, const Tensor& b) { update_binary<Accepts::Numeric>("sub_", a, b, [](auto x, auto y) { return x - y; }); }
void mul_(const Tensor& a, const Tensor& b) { update_binary<Accepts::Numeric>("mul_", a, b, [](auto x, auto y) { return x * y; }); }
void div_(const Tensor& a, const Tensor& b) { update_binary<Accepts::Floating>("div_", a, b, [](auto x, auto y) { return x / y; }); }
void add_(const Tensor& a, double b) { add_(a, scalar_like(a, b)); }
void mul_(const Tensor& a, double b) { mul_(a, scalar_like(a, b)); }
void fill_(const Tensor& a, double value) {
    a.check_defined("fill_");
    copy_(a, scalar(value, DType::Float64));
}
void zero_(const Tensor& a) { fill_(a, 0.0); }
void clamp_(const Tensor& a, double lo, double hi) { copy_(a, clamp(a, lo, hi)); }

}  // namespace qkv
