#include "nn/losses.hpp"

#include <algorithm>
#include <cmath>

#include "tensor/map.hpp"

namespace qkv::nn {
namespace {

// Per-element losses -> what `reduction` asks for. Mean divides by the element count
// (0 / 0 = NaN for an empty input, as in PyTorch).
Var reduce(const Var& losses, Reduction reduction) {
    switch (reduction) {
    case Reduction::None: return losses;
    case Reduction::Sum: return sum(losses);
    case Reduction::Mean: return mean(losses);
    }
    return losses;
}

void check_same_shape_and_dtype(const char* op, const char* what, const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape())
        fail(op, "input ", shape_str(a.shape()), " and ", what, " ", shape_str(b.shape()), " differ in shape");
    if (a.dtype() != b.dtype())
        fail(op, "input ", dtype_name(a.dtype()), " and ", what, " ", dtype_name(b.dtype()), " differ in dtype");
}

// Whether `from` expands to `to` (aligned at the last dim, each size equal or 1).
bool broadcasts_to(const Shape& from, const Shape& to) {
    if (from.size() > to.size()) return false;
    const std::size_t lead = to.size() - from.size();
    for (std::size_t k = 0; k < from.size(); ++k)
        if (from[k] != 1 && from[k] != to[lead + k]) return false;
    return true;
}

// softplus(x) = log(1 + e^x), written as max(x, 0) + log(1 + e^-|x|): the exponent is never
// positive, so nothing overflows, and log1p keeps the tail accurate when e^-|x| is tiny.
Tensor softplus(const Tensor& x) {
    return map_unary<Accepts::Floating>("softplus", x, [](auto v) {
        using T = decltype(v);
        return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
    });
}

}  // namespace

Var mse_loss(const Var& pred, const Var& target, Reduction reduction) {
    check_same_shape_and_dtype("mse_loss", "target", pred.data(), target.data());
    const Var diff = pred - target;
    return reduce(diff * diff, reduction);
}

Var mse_loss(const Var& pred, const Tensor& target, Reduction reduction) {
    return mse_loss(pred, Var(target), reduction);
}

// With log sigma(x) = -softplus(-x), log(1 - sigma(x)) = -softplus(x) and
// softplus(-x) = softplus(x) - x, the loss of one element is
//   l = p y softplus(-x) + (1 - y) softplus(x) = (1 - y + p y) softplus(x) - p y x,
// which for p = 1 is the familiar max(x, 0) - x y + log(1 + e^-|x|). Its derivative, with
// softplus'(x) = sigma(x):
//   dl/dx = (1 - y + p y) sigma(x) - p y        (sigma(x) - y when p = 1).
Var binary_cross_entropy_with_logits(const Var& logits, const Tensor& targets, Reduction reduction,
                                     const Tensor& pos_weight) {
    const char* op = "binary_cross_entropy_with_logits";
    const Tensor& x = logits.data();
    check_same_shape_and_dtype(op, "target", x, targets);
    if (!is_floating(x.dtype())) fail(op, "logits must be floating-point, got ", dtype_name(x.dtype()));
    if (pos_weight.defined()) {
        if (pos_weight.dtype() != x.dtype())
            fail(op, "pos_weight ", dtype_name(pos_weight.dtype()), " and input ", dtype_name(x.dtype()),
                 " differ in dtype");
        if (!broadcasts_to(pos_weight.shape(), x.shape()))
            fail(op, "pos_weight ", shape_str(pos_weight.shape()), " does not broadcast to the input ",
                 shape_str(x.shape()));
    }

    const Tensor& y = targets;
    const Tensor py = pos_weight.defined() ? mul(pos_weight, y) : y;  // p y
    const Tensor w = add(1.0 - y, py);                               // 1 - y + p y
    const Tensor losses = sub(mul(w, softplus(x)), mul(py, x));      // per element, x's shape

    const double n = static_cast<double>(x.numel());
    Tensor out = reduction == Reduction::None ? losses : sum(losses);
    if (reduction == Reduction::Mean) out = out / n;

    return record(op, out, {logits}, [x, w, py, reduction, n](const Tensor& g) -> Grads {
        Tensor dx = sub(mul(w, sigmoid(x)), py);  // dl/dx per element
        if (reduction == Reduction::Mean) dx = dx / n;
        return {mul(dx, g)};  // g is per element (None) or one number broadcast to all
    });
}

}  // namespace qkv::nn
