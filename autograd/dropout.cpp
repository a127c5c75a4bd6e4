#include "autograd/dropout.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "autograd/engine.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv {

namespace {

// Below this many draws per thread the caller makes them all: handing a stretch to the pool
// costs about as much as this many draws.
constexpr std::int64_t min_draws_per_thread = 32768;

// n rounded up to a number with at most three significant bits (40000 -> 40960 = 5 * 2^13):
// the stretch length is a jump distance, and Generator::discard remembers only its last few
// distances, while tensors of many sizes (batches of varying length) would each ask for a new
// one. Three bits leave few distances, each a cheap one to compute, for at most 25% more draws
// in a thread's stretch (the last stretch is short instead).
std::int64_t round_to_three_bits(std::int64_t n) {
    const int width = std::bit_width(static_cast<std::uint64_t>(n));
    if (width <= 3) return n;
    const std::int64_t unit = std::int64_t{1} << (width - 3);
    return (n + unit - 1) / unit * unit;
}

}  // namespace

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
    // scale is kept's bits ANDed with all ones or all zeros, so kept or +0, without a branch
    // that the random draws would mispredict one time in ten. ((k < bound) * kept, the same
    // value, was compiled by GCC 12 into just such a branch: 1.9 ns an element on one thread
    // of a 2-core AMD EPYC (AVX2), 1.6 without it.)
    const std::uint64_t bound = static_cast<std::uint64_t>(std::ceil((1.0 - p) * 0x1.0p53));
    const Tensor scale = Tensor::uninitialized(x.shape(), x.dtype());
    // The pass that makes the draws also writes y = x * scale where x is contiguous (the product
    // mul() would compute, one pass fewer).
    const bool fused = x.data().is_contiguous();
    Tensor y = fused ? Tensor::uninitialized(x.shape(), x.dtype()) : Tensor();
    // Element i gets the i-th draw of gen's stream, whatever the thread count: the elements are
    // cut into stretches, and each stretch's generator starts where the draws before it end
    // (Generator::discard jumps there without drawing). The mask is bernoulli()'s either way.
    const std::int64_t n = scale.numel();
    const std::int64_t stretch =
        round_to_three_bits(std::max<std::int64_t>(min_draws_per_thread, (n + num_threads() - 1) / num_threads()));
    const std::int64_t stretches = n == 0 ? 0 : (n + stretch - 1) / stretch;
    std::vector<Generator> draws{gen};  // draws[k]: where stretch k starts
    for (std::int64_t k = 1; k < stretches; ++k) {
        draws.push_back(draws.back());
        draws.back().discard(static_cast<std::uint64_t>(stretch));
    }
    dispatch_float(x.dtype(), "dropout", [&](auto tag) {
        using T = typename decltype(tag)::type;
        using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
        const Bits kept = std::bit_cast<Bits>(static_cast<T>(1.0 / (1.0 - p)));
        T* s = scale.data<T>();
        const T* in = fused ? x.data().data<T>() : nullptr;
        T* out = fused ? y.data<T>() : nullptr;
        parallel_for(stretches, 1, [&](std::int64_t first, std::int64_t last) {
            for (std::int64_t k = first; k < last; ++k) {
                Generator local = draws[static_cast<std::size_t>(k)];  // a copy the compiler keeps in registers
                const auto next_scale = [&] {
                    const Bits all_or_none = Bits{0} - static_cast<Bits>((local.next_u64() >> 11) < bound);
                    return std::bit_cast<T>(kept & all_or_none);
                };
                const std::int64_t begin = k * stretch, end = std::min(n, begin + stretch);
                if (fused) {
                    for (std::int64_t i = begin; i < end; ++i) {
                        s[i] = next_scale();
                        out[i] = in[i] * s[i];
                    }
                } else {
                    for (std::int64_t i = begin; i < end; ++i) s[i] = next_scale();
                }
                draws[static_cast<std::size_t>(k)] = local;
            }
        });
    });
    gen = draws.back();  // where the last stretch's draws ended: n draws after the start
    if (!fused) y = mul(x.data(), scale);
    return record("dropout", y, {x}, [scale](const Tensor& g) -> Grads { return {mul(g, scale)}; });
}

}  // namespace qkv
