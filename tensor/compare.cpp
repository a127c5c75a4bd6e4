// Elementwise comparisons and selection (tensor/elementwise.hpp): eq .. ge give bool tensors,
// where and masked_fill choose between values by a bool mask.
#include "tensor/elementwise.hpp"

#include <cstdint>

#include "tensor/map.hpp"

namespace qkv {

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

}  // namespace qkv
