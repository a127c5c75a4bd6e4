#include "autograd/dropout.hpp"

#include <cmath>
#include <cstdint>

#include "autograd/engine.hpp"

namespace qkv {

// y = x * m / (1 - p) with m ~ Bernoulli(1 - p)  =>  dL/dx = g * m / (1 - p): the same mask.
Var dropout(const Var& x, double p, bool training, Generator& gen) {
    if (!(p >= 0.0 && p <= 1.0)) fail("dropout", "probability must be in [0, 1], got ", p);
    if (!training || p == 0.0) return x;
    if (p == 1.0) {  // everything dropped: no draws
        const Tensor scale = zeros(x.shape(), x.dtype());
        return record("dropout", mul(x.data(), scale), {x}, [scale](const Tensor& g) -> Grads { return {mul(g, scale)}; });
    }
    // scale = m / (1 - p): 0 for dropped, 1 / (1 - p) for kept. Element i is kept when the i-th
    // uniform draw is < 1 - p: the draws of bernoulli(shape, 1 - p). A draw is u = k / 2^53 for
    // the integer k = next_u64() >> 11 (Generator::uniform), and u < 1 - p exactly when
    // k < ceil((1 - p) 2^53): the same test on integers, with no conversion to double. The
    // scale is (k < bound) * kept, which is kept or +0 as a branch would give, but without a
    // branch that the random draws would mispredict one time in ten.
    const std::uint64_t bound = static_cast<std::uint64_t>(std::ceil((1.0 - p) * 0x1.0p53));
    const Tensor scale = Tensor::uninitialized(x.shape(), x.dtype());
    // The draws are one sequential stream; the pass that makes them also writes y = x * scale
    // where x is contiguous (the product mul() would compute, one pass fewer).
    const bool fused = x.data().is_contiguous();
    Tensor y = fused ? Tensor::uninitialized(x.shape(), x.dtype()) : Tensor();
    dispatch_float(x.dtype(), "dropout", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T kept = static_cast<T>(1.0 / (1.0 - p));
        T* s = scale.data<T>();
        const std::int64_t n = scale.numel();
        Generator draws = gen;  // a local copy, whose state the compiler keeps in registers
        const auto next_scale = [&] { return static_cast<T>((draws.next_u64() >> 11) < bound) * kept; };
        if (fused) {
            const T* in = x.data().data<T>();
            T* out = y.data<T>();
            for (std::int64_t i = 0; i < n; ++i) {
                s[i] = next_scale();
                out[i] = in[i] * s[i];
            }
        } else {
            for (std::int64_t i = 0; i < n; ++i) s[i] = next_scale();
        }
        gen = draws;
    });
    if (!fused) y = mul(x.data(), scale);
    return record("dropout", y, {x}, [scale](const Tensor& g) -> Grads { return {mul(g, scale)}; });
}

}  // namespace qkv
