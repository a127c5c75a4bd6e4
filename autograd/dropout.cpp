#include "autograd/dropout.hpp"

#include "autograd/engine.hpp"

namespace qkv {

// y = x * m / (1 - p) with m ~ Bernoulli(1 - p)  =>  dL/dx = g * m / (1 - p): the same mask.
Var dropout(const Var& x, double p, bool training, Generator& gen) {
    if (!(p >= 0.0 && p <= 1.0)) fail("dropout", "probability must be in [0, 1], got ", p);
    if (!training || p == 0.0) return x;
    // scale = m / (1 - p): 0 for dropped, 1 / (1 - p) for kept, made in one pass. Element i is
    // kept when the i-th uniform draw is < 1 - p: the draws of bernoulli(shape, 1 - p).
    Tensor scale = zeros(x.shape(), x.dtype());
    if (p < 1.0)
        dispatch_float(x.dtype(), "dropout", [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T kept = static_cast<T>(1.0 / (1.0 - p));
            T* s = scale.data<T>();
            const std::int64_t n = scale.numel();
            for (std::int64_t i = 0; i < n; ++i) s[i] = gen.uniform() < 1.0 - p ? kept : T(0);
        });
    return record("dropout", mul(x.data(), scale), {x}, [scale](const Tensor& g) -> Grads { return {mul(g, scale)}; });
}

}  // namespace qkv
