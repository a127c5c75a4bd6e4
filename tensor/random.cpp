// qkv's random numbers: xoshiro256** for the bits, and small fixed formulas for everything
// built on them (uniform doubles, unbiased integers, Box-Muller normals, Fisher-Yates
// shuffles). Tensors are filled element by element in row-major order on the calling thread,
// so a seed gives the same tensor whatever the thread count.
#include "tensor/random.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <utility>

namespace qkv {
namespace {

// splitmix64 (Steele, Lea & Flood): a counter stepped by 2^64 / golden ratio, then scrambled
// by two xor-shift-multiply rounds. Consecutive outputs are well mixed even for seeds such as
// 0, 1, 2, ..., which is why it is the recommended way to fill xoshiro's 256-bit state.
std::uint64_t splitmix64(std::uint64_t& counter) {
    std::uint64_t z = (counter += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

void Generator::manual_seed(std::uint64_t seed) {
    std::uint64_t counter = seed;
    for (auto& word : s_) word = splitmix64(counter);
    has_spare_ = false;
    spare_ = 0.0;
}

// Rejection sampling. x % n is biased when 2^64 is not a multiple of n: the first
// 2^64 mod n residues get one extra chance. Dropping the t = 2^64 mod n smallest draws leaves
// 2^64 - t values, a whole number of copies of every residue. Since t < n and t <= 2^64 - n,
// fewer than half the draws are rejected even in the worst case (n just above 2^63), and
// almost none for small n. (0 - n) % n is 2^64 mod n computed in 64 bits: for unsigned
// integers 0 - n wraps to 2^64 - n, which has the same remainder.
std::uint64_t Generator::below(std::uint64_t n) {
    if (n == 0) fail("below", "n must be at least 1, got 0");
    const std::uint64_t t = (0 - n) % n;
    std::uint64_t x = next_u64();
    while (x < t) x = next_u64();
    return x % n;
}

// Box-Muller: for u1, u2 uniform in (0, 1], r = sqrt(-2 ln u1) and theta = 2 pi u2 give two
// independent standard normals r cos(theta) and r sin(theta). uniform() lies in [0, 1), so
// 1 - uniform() lies in (0, 1] and the logarithm never sees 0.
double Generator::normal() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    const double theta = 2.0 * std::numbers::pi * uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
}

Generator::State Generator::state() const {
    State st{};
    for (int k = 0; k < 4; ++k) st.s[k] = s_[k];
    st.has_spare = has_spare_;
    st.spare = spare_;
    return st;
}

void Generator::set_state(const State& st) {
    if ((st.s[0] | st.s[1] | st.s[2] | st.s[3]) == 0)
        fail("set_state", "the all-zero state is invalid (xoshiro256** would output 0 forever)");
    for (int k = 0; k < 4; ++k) s_[k] = st.s[k];
    has_spare_ = st.has_spare;
    spare_ = st.spare;
}

Generator& default_generator() {
    // Not synchronised: draw from one thread at a time, or pass each thread its own Generator.
    static Generator gen(0);
    return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

// ---- tensor fills ---------------------------------------------------------------------------

namespace {

// Calls value(type_tag<T>{}) once per element of `t` in row-major order and stores the T it
// returns through the view. Values are computed in double and rounded once to T.
template <class ValueFn>
void fill_float(const Tensor& t, const char* op, ValueFn&& value) {
    t.check_defined(op);
    dispatch_float(t.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* base = reinterpret_cast<T*>(t.storage()->bytes());
        for_each_offset<1>(t.shape(), {t.strides().data()}, {t.offset()},
                           [&](const std::int64_t* off) { base[off[0]] = value(tag); });
    });
}

void check_float_dtype(DType dtype, const char* op) {
    if (!is_floating(dtype))
        fail(op, "dtype ", dtype_name(dtype), " is not a floating-point dtype (use float32 or float64)");
}

}  // namespace

// lo + (hi - lo) * u with u in [0, 1). Rounding (to double, or on to float32) can carry a
// value just below hi up to hi itself: for float32 in [0, 1) that is every u > 1 - 2^-25. Such
// values are pulled back to the largest T below hi, so the range stays half-open; this moves
// a probability of order 2^-25 onto that one value.
void uniform_(const Tensor& t, double lo, double hi, Generator& gen) {
    if (!(lo <= hi && std::isfinite(hi - lo)))  // also rules out infinite or NaN bounds
        fail("uniform_", "need finite lo <= hi, got lo = ", lo, " and hi = ", hi);
    fill_float(t, "uniform_", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T x = static_cast<T>(lo + (hi - lo) * gen.uniform());
        if (x < static_cast<T>(hi) || lo == hi) return x;
        return std::max(std::nextafter(static_cast<T>(hi), static_cast<T>(lo)), static_cast<T>(lo));
    });
}

void normal_(const Tensor& t, double mean, double std, Generator& gen) {
    if (!(std::isfinite(mean) && std::isfinite(std) && std >= 0))
        fail("normal_", "need a finite mean and a finite std >= 0, got mean = ", mean, " and std = ", std);
    fill_float(t, "normal_", [&](auto tag) {
        using T = typename decltype(tag)::type;
        return static_cast<T>(mean + std * gen.normal());
    });
}

Tensor rand(const Shape& shape, double lo, double hi, DType dtype, Generator& gen) {
    check_float_dtype(dtype, "rand");
    Tensor out(shape, dtype);
    uniform_(out, lo, hi, gen);
    return out;
}

Tensor randn(const Shape& shape, double mean, double std, DType dtype, Generator& gen) {
    check_float_dtype(dtype, "randn");
    Tensor out(shape, dtype);
    normal_(out, mean, std, gen);
    return out;
}

// hi - lo is computed in unsigned arithmetic: it may exceed the int64 range (lo = -2^63,
// hi = 2^63 - 1) but always fits in 64 unsigned bits, and lo + k wraps back into [lo, hi).
Tensor randint(std::int64_t lo, std::int64_t hi, const Shape& shape, Generator& gen) {
    if (hi <= lo) fail("randint", "need lo < hi, got lo = ", lo, " and hi = ", hi);
    const std::uint64_t range = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo);
    Tensor out(shape, DType::Int64);
    std::int64_t* p = out.data<std::int64_t>();
    for (std::int64_t i = 0; i < out.numel(); ++i)
        p[i] = static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + gen.below(range));
    return out;
}

// Fisher-Yates: walking i down from n - 1, swap slot i with a uniformly chosen slot j <= i.
// Each of the n! orders comes out with probability 1/n * 1/(n-1) * ... * 1/1.
Tensor randperm(std::int64_t n, Generator& gen) {
    if (n < 0) fail("randperm", "n must be >= 0, got ", n);
    Tensor out({n}, DType::Int64);
    std::int64_t* p = out.data<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = i;
    for (std::int64_t i = n - 1; i > 0; --i) {
        const auto j = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(i) + 1));
        std::swap(p[i], p[j]);
    }
    return out;
}

// P(uniform() < p) = p exactly up to the 2^-53 grid: p = 0 never fires, p = 1 always does.
Tensor bernoulli(const Shape& shape, double p, Generator& gen) {
    if (!(p >= 0.0 && p <= 1.0)) fail("bernoulli", "probability p must be in [0, 1], got ", p);
    Tensor out(shape, DType::Bool);
    std::uint8_t* m = out.data<std::uint8_t>();
    const std::int64_t n = out.numel();
    for (std::int64_t i = 0; i < n; ++i) m[i] = gen.uniform() < p;
    return out;
}

}  // namespace qkv
