#include "nn/optim/clip.hpp"

#include <cmath>

#include "tensor/tensor.hpp"

namespace qkv::nn {
namespace {

// sum of g^2 over one gradient, in double whatever its dtype; NaN if any element is not finite.
double sum_of_squares(const Tensor& g) {
    double s = 0.0;
    for (const double x : g.to_vector<double>()) {
        if (!std::isfinite(x)) return NAN;
        s += x * x;
    }
    return s;
}

}  // namespace

double clip_grad_norm_(const std::vector<Var>& params, double max_norm) {
    const char* op = "clip_grad_norm_";
    if (!(max_norm >= 0.0)) fail(op, "max_norm must be >= 0, got ", max_norm);
    double squares = 0.0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!params[i].defined() || !params[i].grad().defined()) continue;
        const double s = sum_of_squares(params[i].grad());
        if (std::isnan(s))
            fail(op, "the gradient of parameter ", i, " (", describe(params[i].grad()),
                 ") holds NaN or Inf; the total norm is not finite, nothing was clipped");
        squares += s;
    }
    const double total = std::sqrt(squares);
    if (!std::isfinite(total)) fail(op, "the total gradient norm overflows double; nothing was clipped");
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0)
        for (const Var& p : params)
            if (p.defined() && p.grad().defined()) mul_(p.grad(), coef);
    return total;
}

}  // namespace qkv::nn
