// The loops behind every elementwise op, public so that other layers (autograd's backward
// rules, nn's fused kernels) can apply their own scalar formulas to tensors:
//
//   map_unary<Accepts::Floating>("gelu_grad", x, [](auto v) { return ...; })
//   map_binary<Accepts::Floating>("mul", a, b, [](auto x, auto y) { return x * y; })
//
// They handle dtype dispatch, broadcasting and any strided layout; the lambda sees scalars of
// the element type (float or double for Floating) and is instantiated only for the accepted
// dtypes. Large tensors are split over the thread pool, so the lambda must be a pure formula.
#pragma once

#include <algorithm>
#include <array>
#include <type_traits>

#include "tensor/core.hpp"
#include "tensor/strided_loop.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv {

// Pointer to the start of t's storage (element 0 of the storage, not of the view: add offsets).
template <class T> T* raw(const Tensor& t) { return reinterpret_cast<T*>(t.storage()->bytes()); }

enum class Accepts { Numeric, Floating, Any };  // which dtypes an op takes

// Dispatches on the dtypes an op accepts, so the op's formula is only compiled for those.
template <Accepts A, class F>
decltype(auto) dispatch_accepted(DType t, const char* op, F&& f) {
    if constexpr (A == Accepts::Floating) return dispatch_float(t, op, f);
    else if constexpr (A == Accepts::Numeric) return dispatch<true, false>(t, op, f);
    else return dispatch(t, op, f);
}

inline void check_accepts(DType t, Accepts accepts, const char* op) {
    if (accepts == Accepts::Floating && !is_floating(t))
        fail(op, "expected a floating-point tensor (float32 or float64), got ", dtype_name(t));
    if (accepts == Accepts::Numeric && t == DType::Bool) fail(op, "not defined for bool tensors");
}

// The contiguous inner loops, each a function of its own marked `flatten`: the formula, and
// whatever it calls (fast::exp, ...), is inlined into the loop however large it is, so the loop
// vectorises instead of calling the formula once per element.
#if defined(__GNUC__)
#define QKV_FLATTEN [[gnu::flatten]]
#else
#define QKV_FLATTEN
#endif
template <class O, class T, class F> QKV_FLATTEN void map_loop(O* o, const T* x, std::int64_t n, const F& f) {
    for (std::int64_t k = 0; k < n; ++k) o[k] = static_cast<O>(f(x[k]));
}
// step_x, step_y are 1 or 0 (an operand constant along the row), fixed at compile time.
template <int step_x, int step_y, class O, class T, class F>
QKV_FLATTEN void map_loop(O* o, const T* x, const T* y, std::int64_t n, const F& f) {
    for (std::int64_t k = 0; k < n; ++k) o[k] = static_cast<O>(f(x[k * step_x], y[k * step_y]));
}

// Elementwise work is shared over the thread pool when each thread gets at least this many
// elements (a few microseconds of work each, against a hand-off of about one).
inline constexpr std::int64_t parallel_min_elements = 32768;

// for_each_row, with the rows shared out over the thread pool when the tensor is large: the
// first (coalesced) dim is cut into one range per thread, or, for one long row, the row itself.
// A 0-d tensor is one row of one element.
// Each element is still computed once, by the same formula, so the result does not depend on
// the thread count; `row` must only write the elements of its own row.
template <std::size_t N, class RowFn>
void parallel_for_each_row(Shape shape, std::array<const std::int64_t*, N> stride_ptrs,
                           std::array<std::int64_t, N> base, RowFn row) {
    // Which of the two loops below runs depends on the shape alone, never on the thread count
    // or the size: each is a separately compiled copy of `row`, and the compiler may contract
    // a * b + c into an FMA in one copy and not in the other. (Small tensors take the same
    // loops; parallel_for then runs them inline.)
    const std::int64_t numel = shape_numel(shape);
    if (numel == 0) return;
    std::array<Strides, N> strides;
    for (std::size_t j = 0; j < N; ++j) strides[j].assign(stride_ptrs[j], stride_ptrs[j] + shape.size());
    coalesce_dims(shape, strides);
    if (shape.empty()) {  // a single element
        std::array<std::int64_t, N> steps{};
        row(static_cast<const std::int64_t*>(base.data()), std::int64_t{1}, static_cast<const std::int64_t*>(steps.data()));
        return;
    }
    if (shape.size() == 1) {
        // One long row: cut it in pieces whose lengths are multiples of `block`. A vectorised
        // loop runs its last n % (vector width) elements through scalar code, which the
        // compiler may contract into FMAs differently; with whole blocks, the elements that
        // take the scalar path are the same last few of the row for any number of pieces.
        constexpr std::int64_t block = 64;
        const std::int64_t n = shape[0], blocks = (n + block - 1) / block;
        parallel_for(blocks, parallel_min_elements / block, [&](std::int64_t first, std::int64_t last) {
            const std::int64_t begin = first * block, end = std::min(last * block, n);
            std::array<std::int64_t, N> off, step;
            for (std::size_t j = 0; j < N; ++j) off[j] = base[j] + begin * strides[j][0], step[j] = strides[j][0];
            row(static_cast<const std::int64_t*>(off.data()), end - begin, static_cast<const std::int64_t*>(step.data()));
        });
        return;
    }
    const Shape rest(shape.begin() + 1, shape.end());
    const std::int64_t per_slice = numel / shape[0];
    std::array<const std::int64_t*, N> rest_strides;
    for (std::size_t j = 0; j < N; ++j) rest_strides[j] = strides[j].data() + 1;
    parallel_for(shape[0], (parallel_min_elements + per_slice - 1) / per_slice, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t i = first; i < last; ++i) {
            std::array<std::int64_t, N> off;
            for (std::size_t j = 0; j < N; ++j) off[j] = base[j] + i * strides[j][0];
            for_each_row<N>(rest, rest_strides, off, row);
        }
    });
}

// Applies f to each row of N lock-stepped operands; a plain pointer loop when every step is 1,
// so the compiler can vectorise the common contiguous case. Large tensors are shared out over
// the thread pool, so f must be a pure formula (no state shared between calls).
template <std::size_t N, class F>
void apply_rows(const Shape& shape, const std::array<const Tensor*, N>& ops, F f) {
    std::array<const std::int64_t*, N> strides;
    std::array<std::int64_t, N> base;
    for (std::size_t j = 0; j < N; ++j) strides[j] = ops[j]->strides().data(), base[j] = ops[j]->offset();
    parallel_for_each_row<N>(shape, strides, base, [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step) {
        bool unit = true;
        for (std::size_t j = 0; j < N; ++j) unit = unit && (step[j] == 1);
        f(off, n, step, unit);
    });
}


// out[i] = f(a[i]); out has a's shape, and dtype `out_dtype` (a's own by default).
template <Accepts accepts, class F>
Tensor map_unary(const char* op, const Tensor& a, F f) {
    a.check_defined(op);
    check_accepts(a.dtype(), accepts, op);
    Tensor out = Tensor::uninitialized(a.shape(), a.dtype());  // every element is written
    dispatch_accepted<accepts>(a.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = raw<T>(out);
        const T* x = raw<T>(a);
        parallel_for_each_row<2>(a.shape(), {out.strides().data(), a.strides().data()}, {out.offset(), a.offset()},
                        [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step) {
                            T* po = o + off[0];
                            const T* px = x + off[1];
                            if (step[1] == 1)  // out is contiguous: its step is always 1
                                map_loop(po, px, n, f);
                            else
                                for (std::int64_t k = 0; k < n; ++k) po[k] = f(px[k * step[1]]);
                        });
    });
    return out;
}

// out[i] = f(a[i], b[i]) with a and b broadcast together. The output dtype is the inputs'
// dtype, or bool when `to_bool` (comparisons).
template <Accepts accepts, class F>
Tensor map_binary(const char* op, const Tensor& a, const Tensor& b, F f, bool to_bool = false) {
    a.check_defined(op);
    b.check_defined(op);
    if (a.dtype() != b.dtype())
        fail(op, "dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()), " differ (", describe(a), " and ",
             describe(b), "); convert one with .to()");
    check_accepts(a.dtype(), accepts, op);
    const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
    const Tensor ea = a.expand(shape), eb = b.expand(shape);
    Tensor out = Tensor::uninitialized(shape, to_bool ? DType::Bool : a.dtype());  // every element is written
    dispatch_accepted<accepts>(a.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        using O = std::conditional_t<std::is_same_v<decltype(f(T{}, T{})), bool>, std::uint8_t, T>;
        O* o = raw<O>(out);
        const T* x = raw<T>(ea);
        const T* y = raw<T>(eb);
        apply_rows<3>(shape, {&out, &ea, &eb},
                      [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step, bool unit) {
                          O* po = o + off[0];
                          const T* px = x + off[1];
                          const T* py = y + off[2];
                          if (unit)
                              map_loop<1, 1>(po, px, py, n, f);
                          else if (step[0] == 1 && step[1] == 1 && step[2] == 0)  // b constant along the row
                              map_loop<1, 0>(po, px, py, n, f);
                          else if (step[0] == 1 && step[1] == 0 && step[2] == 1)  // a constant along the row
                              map_loop<0, 1>(po, px, py, n, f);
                          else
                              for (std::int64_t k = 0; k < n; ++k)
                                  po[k * step[0]] = static_cast<O>(f(px[k * step[1]], py[k * step[2]]));
                      });
    });
    return out;
}

// a[i] = f(a[i], b[i]) in place, b broadcast to a's shape (a itself does not broadcast).
template <Accepts accepts, class F>
void update_binary(const char* op, const Tensor& a, const Tensor& b_in, F f) {
    check_writable(a, op);
    b_in.check_defined(op);
    if (a.dtype() != b_in.dtype())
        fail(op, "dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b_in.dtype()), " differ");
    check_accepts(a.dtype(), accepts, op);
    if (broadcast_shapes(a.shape(), b_in.shape(), op) != a.shape())
        fail(op, "cannot update a tensor of shape ", shape_str(a.shape()), " in place with shape ",
             shape_str(b_in.shape()), ": the result would have another shape");
    // Reading b while writing a is only safe when they do not share memory.
    Tensor b = b_in.shares_storage_with(a) ? b_in.clone() : b_in;
    const Tensor eb = b.expand(a.shape());
    dispatch_accepted<accepts>(a.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* x = raw<T>(a);
        const T* y = raw<T>(eb);
        apply_rows<2>(a.shape(), {&a, &eb},
                      [&](const std::int64_t* off, std::int64_t n, const std::int64_t* step, bool unit) {
                          T* px = x + off[0];
                          const T* py = y + off[1];
                          if (unit)
                              map_loop<1, 1>(px, static_cast<const T*>(px), py, n, f);
                          else if (step[0] == 1 && step[1] == 0)  // b constant along the row
                              map_loop<1, 0>(px, static_cast<const T*>(px), py, n, f);
                          else
                              for (std::int64_t k = 0; k < n; ++k)
                                  px[k * step[0]] = static_cast<T>(f(px[k * step[0]], py[k * step[1]]));
                      });
    });
}

}  // namespace qkv
