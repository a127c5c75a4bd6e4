#include "lessons/02_autograd/softplus.hpp"

#include <cmath>

#include "tensor/map.hpp"

namespace qkv::lesson02 {
namespace {

// log(1 + e^x) written as max(x, 0) + log1p(e^-|x|): the same value, but e^x never overflows
// for large x, and log1p keeps the digits of a tiny e^-|x|.
Tensor softplus_forward(const Tensor& x) {
    return map_unary<Accepts::Floating>("softplus", x, [](auto v) {
        using T = decltype(v);
        return std::max(v, T(0)) + std::log1p(std::exp(-std::abs(v)));
    });
}

// The sign of the exponent is the whole difference between the right and the wrong rule.
Var softplus_with_rule(const Var& x, double sign) {
    return record("softplus", softplus_forward(x.data()), {x}, [x = x.data(), sign](const Tensor& g) -> Grads {
        return {map_binary<Accepts::Floating>("softplus_backward", g, x, [sign](auto gv, auto xv) {
            using T = decltype(xv);
            return gv / (T(1) + std::exp(T(-sign) * xv));  // sign +1: g * sigmoid(x)
        })};
    });
}

GradcheckResult check(Var (*op)(const Var&), std::uint64_t seed) {
    Generator gen(seed);
    const Tensor x = randn({2, 3}, 0.0, 2.0, DType::Float64, gen);
    GradcheckOptions options;
    options.seed = seed;
    return gradcheck([op](const std::vector<Var>& in) { return op(in[0]); }, {x}, options);
}

}  // namespace

Var softplus(const Var& x) { return softplus_with_rule(x, +1.0); }
Var softplus_wrong(const Var& x) { return softplus_with_rule(x, -1.0); }

GradcheckResult check_softplus(std::uint64_t seed) { return check(softplus, seed); }
GradcheckResult check_softplus_wrong(std::uint64_t seed) { return check(softplus_wrong, seed); }

}  // namespace qkv::lesson02
