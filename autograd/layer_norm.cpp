// LayerNorm as one fused op: a forward kernel and a backward kernel over rows of N values
// (llm.c style), rather than a graph of mean, sub, pow, sqrt and div.
//
// Per row: m = mean(x), v = mean((x - m)^2) (biased, as PyTorch), r = 1 / sqrt(v + eps),
// xhat = (x - m) r, y = xhat * w + b. With dxhat = g * w, the gradient of the row is
//   dx = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
// and over all rows dw = sum g * xhat, db = sum g.
#include "autograd/layer_norm.hpp"

#include <cmath>

#include "autograd/engine.hpp"
#include "tensor/row_kernels.hpp"

namespace qkv {
namespace {

// x, y, xhat: (rows, n) contiguous; w, b: (n) or null; rstd: (rows). Rows are independent and
// shared out over the threads.
//
// The statistics are taken in double, after shifting the row by its first value c:
//     m = c + sum_i (x_i - c) / n,    v = sum_i (x_i - m)^2 / n.
// The shift makes a constant row's deviations exactly 0, so it normalises to exactly 0 (as
// sum / n would not: the rounded mean differs from c by an ulp, and with BERT's eps = 1e-12 that
// ulp is scaled up to about 1). Summing float rows in double cannot overflow, where a float sum
// of 768 values near 3.3e38 would be inf. Both are two passes over the row, as before.
template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* xhat, T* rstd, std::int64_t rows,
                        std::int64_t n, double eps) {
    rows::for_rows(rows, n, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = first; r < last; ++r) {
            const T* xr = x + r * n;
            T* hr = xhat + r * n;
            T* yr = y + r * n;
            const double c = n > 0 ? static_cast<double>(xr[0]) : 0.0;
            const double dn = static_cast<double>(n);
            const double m =
                c + rows::sum_over<double>(n, [xr, c](std::int64_t i) { return static_cast<double>(xr[i]) - c; }) / dn;
            const double v = rows::sum_over<double>(n, [xr, m](std::int64_t i) {
                                 const double d = static_cast<double>(xr[i]) - m;
                                 return d * d;
                             }) / dn;  // biased variance, as PyTorch
            const double s = 1.0 / std::sqrt(v + eps);
            rstd[r] = static_cast<T>(s);
            for (std::int64_t i = 0; i < n; ++i) hr[i] = static_cast<T>((static_cast<double>(xr[i]) - m) * s);
            if (w && b)
                for (std::int64_t i = 0; i < n; ++i) yr[i] = hr[i] * w[i] + b[i];
            else
                for (std::int64_t i = 0; i < n; ++i) yr[i] = hr[i] * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
        }
    });
}

// g, xhat, dx: (rows, n). dx row by row, over the threads.
template <class T>
void layer_norm_backward_input(const T* g, const T* xhat, const T* rstd, const T* w, T* dx, std::int64_t rows,
                               std::int64_t n) {
    rows::for_rows(rows, n, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = first; r < last; ++r) {
            const T* gr = g + r * n;
            const T* hr = xhat + r * n;
            T* dr = dx + r * n;
            // dxhat = g * w; mean(dxhat) and mean(dxhat * xhat)
            const auto dxhat = [gr, w](std::int64_t i) { return w ? gr[i] * w[i] : gr[i]; };
            const T mean_d = rows::sum_over<T>(n, dxhat) / static_cast<T>(n);
            const T mean_dh = rows::sum_over<T>(n, [&](std::int64_t i) { return dxhat(i) * hr[i]; }) / static_cast<T>(n);
            for (std::int64_t i = 0; i < n; ++i) dr[i] = rstd[r] * (dxhat(i) - mean_d - hr[i] * mean_dh);
        }
    });
}

// dw = sum over rows of g * xhat, db = sum over rows of g (double accumulators, or null). The
// columns are shared out over the threads, and each column is summed in row order, so the
// result does not depend on the thread count.
template <class T>
void layer_norm_backward_params(const T* g, const T* xhat, double* dw, double* db, std::int64_t rows, std::int64_t n) {
    rows::for_rows(n, rows, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t r = 0; r < rows; ++r) {
            const T* gr = g + r * n;
            const T* hr = xhat + r * n;
            if (dw)
                for (std::int64_t i = first; i < last; ++i) dw[i] += static_cast<double>(gr[i] * hr[i]);
            if (db)
                for (std::int64_t i = first; i < last; ++i) db[i] += static_cast<double>(gr[i]);
        }
    });
}

}  // namespace

Var layer_norm(const Var& x, const Var& weight, const Var& bias, std::int64_t normalized_dims, double eps) {
    if (normalized_dims < 1 || normalized_dims > x.dim())
        fail("layer_norm", "cannot normalise the last ", normalized_dims, " dims of shape ", shape_str(x.shape()));
    if (!(eps > 0)) fail("layer_norm", "eps must be > 0, got ", eps);
    const Shape norm_shape(x.shape().end() - normalized_dims, x.shape().end());
    for (const Var* p : {&weight, &bias})
        if (p->defined() && p->shape() != norm_shape)
            fail("layer_norm", "weight and bias must have the normalised shape ", shape_str(norm_shape), ", got ",
                 shape_str(p->shape()), " for input ", shape_str(x.shape()));
    for (const Var* p : {&weight, &bias})
        if (p->defined() && p->dtype() != x.dtype())
            fail("layer_norm", "dtypes ", dtype_name(x.dtype()), " and ", dtype_name(p->dtype()), " differ");

    const std::int64_t n = shape_numel(norm_shape), rows = n ? x.numel() / n : 0;
    const Tensor xc = x.data().contiguous();
    const Tensor wc = weight.defined() ? weight.data().contiguous() : Tensor();
    const Tensor bc = bias.defined() ? bias.data().contiguous() : Tensor();
    Tensor y = Tensor::uninitialized(x.shape(), x.dtype()), xhat = Tensor::uninitialized(x.shape(), x.dtype()),
           rstd = Tensor::uninitialized({rows}, x.dtype());
    dispatch_float(x.dtype(), "layer_norm", [&](auto tag) {
        using T = typename decltype(tag)::type;
        layer_norm_forward<T>(xc.data<T>(), wc.defined() ? wc.data<T>() : nullptr,
                              bc.defined() ? bc.data<T>() : nullptr, y.data<T>(), xhat.data<T>(), rstd.data<T>(),
                              rows, n, eps);
    });

    std::vector<Var> inputs{x, weight, bias};
    const bool has_w = weight.defined(), has_b = bias.defined();
    return record("layer_norm", y, inputs, [=](const Tensor& g) -> Grads {
        const Tensor gc = g.contiguous();
        Tensor dx = Tensor::uninitialized(xhat.shape(), xhat.dtype());
        Tensor dw(norm_shape, DType::Float64), db(norm_shape, DType::Float64);
        dispatch_float(xhat.dtype(), "layer_norm_backward", [&](auto tag) {
            using T = typename decltype(tag)::type;
            layer_norm_backward_input<T>(gc.data<T>(), xhat.data<T>(), rstd.data<T>(),
                                         has_w ? wc.data<T>() : nullptr, dx.data<T>(), rows, n);
            layer_norm_backward_params<T>(gc.data<T>(), xhat.data<T>(), has_w ? dw.data<double>() : nullptr,
                                          has_b ? db.data<double>() : nullptr, rows, n);
        });
        return {dx, has_w ? dw.to(xhat.dtype()) : Tensor(), has_b ? db.to(xhat.dtype()) : Tensor()};
    });
}

}  // namespace qkv
