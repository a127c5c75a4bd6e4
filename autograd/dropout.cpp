#include "autograd/dropout.hpp"

#include "autograd/engine.hpp"

namespace qkv {

// y = x * m / (1 - p) with m ~ Bernoulli(1 - p)  =>  dL/dx = g * m / (1 - p): the same mask.
Var dropout(const Var& x, double p, bool training, Generator& gen) {
    if (!(p >= 0.0 && p <= 1.0)) fail("dropout", "probability must be in [0, 1], got ", p);
    if (!training || p == 0.0) return x;
    Tensor scale = zeros(x.shape(), x.dtype());  // m / (1 - p): 0 for dropped, 1 / (1 - p) for kept
    if (p < 1.0) masked_fill_(scale, bernoulli(x.shape(), 1.0 - p, gen), 1.0 / (1.0 - p));
    return record("dropout", mul(x.data(), scale), {x}, [scale](const Tensor& g) -> Grads { return {mul(g, scale)}; });
}

}  // namespace qkv
