// LayerNorm as one fused op: a forward kernel and a backward kernel over rows of N values
// (llm.c style), rather than a graph of mean, sub, pow, sqrt and div.
//
// Per row: m = mean(x), v = mean((x - m)^2), r = 1 / sqrt(v + eps), xhat = (x - m) r,
// y = xhat * w + b. With dxhat = g * w, the gradient of the row is
//   dx = r * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
// and over all rows dw = sum g * xhat, db = sum g.
#include "autograd/layer_norm.hpp"

#include <cmath>

#include "autograd/engine.hpp"

namespace qkv {
namespace {

// x, y, xhat: (rows, n) contiguous; w, b: (n) or null; rstd: (rows).
template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* xhat, T* rstd, std::int64_t rows,
                        std::int64_t n, double eps) {
    for (std::int64_t r = 0; r < rows; ++r) {
        const T* xr = x + r * n;
        double m = 0;
        for (std::int64_t i = 0; i < n; ++i) m += xr[i];
        m /= static_cast<double>(n);
        double v = 0;
        for (std::int64_t i = 0; i < n; ++i) v += (xr[i] - m) * (xr[i] - m);
        v /= static_cast<double>(n);  // biased variance, as PyTorch
        const double s = 1.0 / std::sqrt(v + eps);
        rstd[r] = static_cast<T>(s);
        for (std::int64_t i = 0; i < n; ++i) {
            const T h = static_cast<T>((xr[i] - m) * s);
            xhat[r * n + i] = h;
            y[r * n + i] = h * (w ? w[i] : T(1)) + (b ? b[i] : T(0));
        }
    }
}

// g, xhat, dx: (rows, n); dw, db: (n) accumulators (double, as they sum over every row) or null.
template <class T>
void layer_norm_backward(const T* g, const T* xhat, const T* rstd, const T* w, T* dx, double* dw, double* db,
                         std::int64_t rows, std::int64_t n) {
    for (std::int64_t r = 0; r < rows; ++r) {
        const T* gr = g + r * n;
        const T* hr = xhat + r * n;
        double mean_d = 0, mean_dh = 0;  // mean(dxhat), mean(dxhat * xhat)
        for (std::int64_t i = 0; i < n; ++i) {
            const double d = gr[i] * (w ? w[i] : T(1));
            mean_d += d;
            mean_dh += d * hr[i];
        }
        mean_d /= static_cast<double>(n);
        mean_dh /= static_cast<double>(n);
        for (std::int64_t i = 0; i < n; ++i) {
            const double d = gr[i] * (w ? w[i] : T(1));
            dx[r * n + i] = static_cast<T>(rstd[r] * (d - mean_d - hr[i] * mean_dh));
            if (dw) dw[i] += gr[i] * hr[i];
            if (db) db[i] += gr[i];
        }
    }
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
    Tensor y(x.shape(), x.dtype()), xhat(x.shape(), x.dtype()), rstd({rows}, x.dtype());
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
        Tensor dx(xhat.shape(), xhat.dtype());
        Tensor dw(norm_shape, DType::Float64), db(norm_shape, DType::Float64);
        dispatch_float(xhat.dtype(), "layer_norm_backward", [&](auto tag) {
            using T = typename decltype(tag)::type;
            layer_norm_backward<T>(gc.data<T>(), xhat.data<T>(), rstd.data<T>(), has_w ? wc.data<T>() : nullptr,
                                   dx.data<T>(), has_w ? dw.data<double>() : nullptr,
                                   has_b ? db.data<double>() : nullptr, rows, n);
        });
        return {dx, has_w ? dw.to(xhat.dtype()) : Tensor(), has_b ? db.to(xhat.dtype()) : Tensor()};
    });
}

}  // namespace qkv
