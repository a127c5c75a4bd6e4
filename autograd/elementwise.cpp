// Each op: the forward on Tensors, then its backward rule. `g` is dL/d(output), of the
// output's (broadcast) shape; the engine sums each returned gradient back to its input's shape.
#include "autograd/elementwise.hpp"

#include "autograd/engine.hpp"
#include "tensor/map.hpp"
#include "tensor/scalar_math.hpp"

namespace qkv {
namespace {
Var constant_like(const Var& v, double value) { return Var(scalar(value, v.dtype())); }

// g * f'(x), with f' given as a scalar formula.
template <class Deriv>
Tensor chain(const char* op, const Tensor& g, const Tensor& x, Deriv d) {
    return map_binary<Accepts::Floating>(op, g, x, [d](auto gv, auto xv) { return gv * d(xv); });
}
}  // namespace

// ---- binary ----------------------------------------------------------------------------------

Var add(const Var& a, const Var& b) {
    return record("add", add(a.data(), b.data()), {a, b}, [](const Tensor& g) -> Grads { return {g, g}; });
}

Var sub(const Var& a, const Var& b) {
    return record("sub", sub(a.data(), b.data()), {a, b}, [](const Tensor& g) -> Grads { return {g, neg(g)}; });
}

// d(ab)/da = b, d(ab)/db = a
Var mul(const Var& a, const Var& b) {
    return record("mul", mul(a.data(), b.data()), {a, b},
                  [x = a.data(), y = b.data()](const Tensor& g) -> Grads { return {mul(g, y), mul(g, x)}; });
}

// d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
Var div(const Var& a, const Var& b) {
    Tensor out = div(a.data(), b.data());
    return record("div", out, {a, b}, [out, y = b.data()](const Tensor& g) -> Grads {
        const Tensor ga = div(g, y);
        return {ga, neg(mul(ga, out))};
    });
}

// d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a (computed only when b needs it: log a is NaN for
// a < 0, where only integer b make sense).
Var pow(const Var& a, const Var& b) {
    Tensor out = pow(a.data(), b.data());
    const bool need_b = b.requires_grad();
    return record("pow", out, {a, b}, [x = a.data(), y = b.data(), out, need_b](const Tensor& g) -> Grads {
        const Tensor ga = mul(g, mul(y, pow(x, sub(y, scalar(1.0, y.dtype())))));
        return {ga, need_b ? mul(g, mul(out, log(x))) : Tensor()};
    });
}

Var pow(const Var& a, double p) {
    return record("pow", pow(a.data(), p), {a}, [x = a.data(), p](const Tensor& g) -> Grads {
        return {chain("pow_backward", g, x, [p](auto v) { return decltype(v)(p) * std::pow(v, decltype(v)(p - 1)); })};
    });
}

// The gradient goes to whichever input was chosen; at a tie it is split in half between the
// two, as PyTorch does (each side's share: 1 where it won, 1/2 at a tie, 0 where it lost).
namespace {
Grads selection_grads(const Tensor& g, const Tensor& x, const Tensor& y, bool larger_wins) {
    auto share = [larger_wins](auto mine, auto other) {
        using T = decltype(mine);
        if (mine == other) return T(0.5);
        return T((mine > other) == larger_wins);
    };
    return {mul(g, map_binary<Accepts::Floating>("maximum_backward", x, y, share)),
            mul(g, map_binary<Accepts::Floating>("maximum_backward", y, x, share))};
}
}  // namespace

Var maximum(const Var& a, const Var& b) {
    return record("maximum", maximum(a.data(), b.data()), {a, b},
                  [x = a.data(), y = b.data()](const Tensor& g) -> Grads { return selection_grads(g, x, y, true); });
}
Var minimum(const Var& a, const Var& b) {
    return record("minimum", minimum(a.data(), b.data()), {a, b},
                  [x = a.data(), y = b.data()](const Tensor& g) -> Grads { return selection_grads(g, x, y, false); });
}

Var operator+(const Var& a, const Var& b) { return add(a, b); }
Var operator-(const Var& a, const Var& b) { return sub(a, b); }
Var operator*(const Var& a, const Var& b) { return mul(a, b); }
Var operator/(const Var& a, const Var& b) { return div(a, b); }
Var operator+(const Var& a, double b) { return add(a, constant_like(a, b)); }
Var operator-(const Var& a, double b) { return sub(a, constant_like(a, b)); }
Var operator*(const Var& a, double b) { return mul(a, constant_like(a, b)); }
Var operator/(const Var& a, double b) { return div(a, constant_like(a, b)); }
Var operator+(double a, const Var& b) { return add(constant_like(b, a), b); }
Var operator-(double a, const Var& b) { return sub(constant_like(b, a), b); }
Var operator*(double a, const Var& b) { return mul(constant_like(b, a), b); }
Var operator/(double a, const Var& b) { return div(constant_like(b, a), b); }
Var operator-(const Var& a) { return neg(a); }
Var operator+(const Var& a, const Tensor& b) { return add(a, Var(b)); }
Var operator-(const Var& a, const Tensor& b) { return sub(a, Var(b)); }
Var operator*(const Var& a, const Tensor& b) { return mul(a, Var(b)); }
Var operator/(const Var& a, const Tensor& b) { return div(a, Var(b)); }
Var operator+(const Tensor& a, const Var& b) { return add(Var(a), b); }
Var operator-(const Tensor& a, const Var& b) { return sub(Var(a), b); }
Var operator*(const Tensor& a, const Var& b) { return mul(Var(a), b); }
Var operator/(const Tensor& a, const Var& b) { return div(Var(a), b); }

// ---- unary -----------------------------------------------------------------------------------

Var neg(const Var& a) {
    return record("neg", neg(a.data()), {a}, [](const Tensor& g) -> Grads { return {neg(g)}; });
}

// d|x|/dx = sign(x), taken as 0 at x = 0 (as PyTorch does).
Var abs(const Var& a) {
    return record("abs", abs(a.data()), {a}, [x = a.data()](const Tensor& g) -> Grads {
        return {chain("abs_backward", g, x, [](auto v) { return decltype(v)((v > 0) - (v < 0)); })};
    });
}

// d e^x/dx = e^x: the output itself is saved.
Var exp(const Var& a) {
    Tensor out = exp(a.data());
    return record("exp", out, {a}, [out](const Tensor& g) -> Grads { return {mul(g, out)}; });
}

Var log(const Var& a) {
    return record("log", log(a.data()), {a}, [x = a.data()](const Tensor& g) -> Grads { return {div(g, x)}; });
}

// d sqrt(x)/dx = 1 / (2 sqrt(x))
Var sqrt(const Var& a) {
    Tensor out = sqrt(a.data());
    return record("sqrt", out, {a}, [out](const Tensor& g) -> Grads { return {div(g, out * 2.0)}; });
}

// d x^(-1/2)/dx = -x^(-3/2) / 2 = -out^3 / 2
Var rsqrt(const Var& a) {
    Tensor out = rsqrt(a.data());
    return record("rsqrt", out, {a}, [out](const Tensor& g) -> Grads {
        return {chain("rsqrt_backward", g, out, [](auto r) { return decltype(r)(-0.5) * r * r * r; })};
    });
}

// d tanh/dx = 1 - tanh^2
Var tanh(const Var& a) {
    Tensor out = tanh(a.data());
    return record("tanh", out, {a}, [out](const Tensor& g) -> Grads {
        return {chain("tanh_backward", g, out, [](auto t) { return decltype(t)(1) - t * t; })};
    });
}

// d sigma/dx = sigma (1 - sigma)
Var sigmoid(const Var& a) {
    Tensor out = sigmoid(a.data());
    return record("sigmoid", out, {a}, [out](const Tensor& g) -> Grads {
        return {chain("sigmoid_backward", g, out, [](auto s) { return s * (decltype(s)(1) - s); })};
    });
}

// d relu/dx = 1 where x > 0, else 0 (0 at x = 0, as PyTorch).
Var relu(const Var& a) {
    return record("relu", relu(a.data()), {a}, [x = a.data()](const Tensor& g) -> Grads {
        return {chain("relu_backward", g, x, [](auto v) { return decltype(v)(v > 0); })};
    });
}

Var gelu(const Var& a) {
    return record("gelu", gelu(a.data()), {a}, [x = a.data()](const Tensor& g) -> Grads {
        return {chain("gelu_backward", g, x, [](auto v) { return math::gelu_grad(v); })};
    });
}

Var gelu_tanh(const Var& a) {
    return record("gelu_tanh", gelu_tanh(a.data()), {a}, [x = a.data()](const Tensor& g) -> Grads {
        return {chain("gelu_tanh_backward", g, x, [](auto v) { return math::gelu_tanh_grad(v); })};
    });
}

// Gradient 1 inside [lo, hi] (bounds included, as PyTorch), 0 where the value was clipped.
Var clamp(const Var& a, double lo, double hi) {
    return record("clamp", clamp(a.data(), lo, hi), {a}, [x = a.data(), lo, hi](const Tensor& g) -> Grads {
        return {chain("clamp_backward", g, x, [lo, hi](auto v) { return decltype(v)(v >= lo && v <= hi); })};
    });
}

// ---- selection -------------------------------------------------------------------------------

Var where(const Tensor& cond, const Var& a, const Var& b) {
    return record("where", where(cond, a.data(), b.data()), {a, b}, [cond](const Tensor& g) -> Grads {
        const Tensor zero = zeros({}, g.dtype());
        return {where(cond, g, zero), where(cond, zero, g)};
    });
}

// Filled positions are constants: no gradient flows back through them.
Var masked_fill(const Var& a, const Tensor& mask, double value) {
    return record("masked_fill", masked_fill(a.data(), mask, value), {a},
                  [mask](const Tensor& g) -> Grads { return {masked_fill(g, mask, 0.0)}; });
}

}  // namespace qkv
