#include "tensor/creation.hpp"

#include <cmath>

#include "tensor/elementwise.hpp"

namespace qkv {

Tensor empty(const Shape& shape, DType dtype) { return Tensor(shape, dtype); }
Tensor zeros(const Shape& shape, DType dtype) { return Tensor(shape, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

Tensor full(const Shape& shape, double value, DType dtype) {
    Tensor out(shape, dtype);
    fill_(out, value);
    return out;
}

Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, double value) { return full(t.shape(), value, t.dtype()); }

Tensor scalar(double value, DType dtype) {
    Tensor out({}, dtype);
    out.set({}, value);
    return out;
}

Tensor arange(double start, double end, double step, DType dtype) {
    if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(end))
        fail("arange", "start ", start, ", end ", end, ", step ", step, ": need finite values and a non-zero step");
    const double count = std::max(0.0, std::ceil((end - start) / step));
    // Casting a double at or beyond 2^63 (or inf, when end - start overflows) to int64 is undefined.
    if (!(count < 9223372036854775808.0))
        fail("arange", "start ", start, ", end ", end, ", step ", step, ": too many elements (", count, ")");
    const auto n = static_cast<std::int64_t>(count);
    Tensor out({n}, dtype);
    dispatch<true, false>(dtype, "arange", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = out.data<T>();
        // start + i * step, not a running sum, so no rounding error accumulates.
        for (std::int64_t i = 0; i < n; ++i) p[i] = convert_element<T>(start + static_cast<double>(i) * step, "arange");
    });
    return out;
}

Tensor arange(std::int64_t end, DType dtype) { return arange(0.0, static_cast<double>(end), 1.0, dtype); }

Tensor linspace(double start, double end, std::int64_t steps, DType dtype) {
    if (steps < 0) fail("linspace", "steps must be >= 0, got ", steps);
    Tensor out({steps}, dtype);
    dispatch_float(dtype, "linspace", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = out.data<T>();
        const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
        for (std::int64_t i = 0; i < steps; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
        if (steps > 1) p[steps - 1] = static_cast<T>(end);  // exactly `end`, whatever the rounding
    });
    return out;
}

Tensor eye(std::int64_t n, std::int64_t m, DType dtype) {
    if (m < 0) m = n;
    if (n < 0) fail("eye", "size must be >= 0, got ", n);
    Tensor out({n, m}, dtype);
    for (std::int64_t i = 0; i < std::min(n, m); ++i) out.set({i, i}, 1.0);
    return out;
}

namespace {
template <class Rows>
void check_rectangular(const Rows& rows, std::size_t expected, const char* what) {
    for (const auto& r : rows)
        if (r.size() != expected)
            fail("tensor", what, " of unequal lengths: ", r.size(), " and ", expected);
}
}  // namespace

Tensor tensor(std::initializer_list<double> values, DType dtype) {
    return from_vector(std::vector<double>(values), {static_cast<std::int64_t>(values.size())}).to(dtype);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype) {
    const std::size_t cols = rows.size() ? rows.begin()->size() : 0;
    check_rectangular(rows, cols, "rows");
    std::vector<double> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return from_vector(flat, {static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(cols)}).to(dtype);
}

Tensor tensor(std::initializer_list<std::initializer_list<std::initializer_list<double>>> blocks, DType dtype) {
    const std::size_t rows = blocks.size() ? blocks.begin()->size() : 0;
    check_rectangular(blocks, rows, "blocks");
    const std::size_t cols = rows ? blocks.begin()->begin()->size() : 0;
    std::vector<double> flat;
    for (const auto& b : blocks) {
        check_rectangular(b, cols, "rows");
        for (const auto& r : b) flat.insert(flat.end(), r.begin(), r.end());
    }
    return from_vector(flat, {static_cast<std::int64_t>(blocks.size()), static_cast<std::int64_t>(rows),
                              static_cast<std::int64_t>(cols)})
        .to(dtype);
}

}  // namespace qkv
