// qkv's own seeded random numbers. The outputs of std::uniform_real_distribution and
// std::normal_distribution differ between standard libraries, so qkv draws its own: a
// xoshiro256** generator (seeded through splitmix64) and fixed formulas on top of it. The same
// seed gives the same numbers on every platform and for any thread count: random tensors are
// always filled in row-major order by one thread. (Normals pass through std::log, std::sin and
// std::cos, whose last bit may differ between C libraries.)
#pragma once

#include <bit>
#include <cstdint>

#include "tensor/core.hpp"

namespace qkv {

class Generator {
public:
    explicit Generator(std::uint64_t seed = 0) { manual_seed(seed); }
    void manual_seed(std::uint64_t seed);

    std::uint64_t next_u64();
    // Uniform in [0, 1) with 53 random bits.
    double uniform();
    // (Both are defined below, in the header: a dropout mask draws one number per element, and
    // a call per draw, which the compiler cannot inline from another file, cost more than the
    // draw itself.)
    // Uniform integer in [0, n), without modulo bias (rejection sampling). n >= 1, else throws.
    std::uint64_t below(std::uint64_t n);
    // Standard normal by the Box-Muller transform (the second value of each pair is kept for
    // the next call; manual_seed discards it).
    double normal();
    // Advances the state as n calls of next_u64() would, without making them (random_jump.cpp):
    // how a parallel op gives each thread its own stretch of one stream, so that element i gets
    // the i-th draw for any thread count. About a microsecond for one of the last 16 distances
    // asked for, up to a few hundred for a new one (and about half a millisecond once, for the
    // tables). A kept normal stays kept.
    void discard(std::uint64_t n);

    // The whole state, including a kept normal, for saving a run and resuming it
    // bit-identically. set_state rejects the all-zero state (xoshiro would output only zeros).
    struct State {
        std::uint64_t s[4];
        bool has_spare;
        double spare;
    };
    State state() const;
    void set_state(const State& state);

private:
    std::uint64_t s_[4]{};
    bool has_spare_ = false;
    double spare_ = 0.0;
};

// xoshiro256** (Blackman & Vigna): the output scrambles s1 ("**": multiply, rotate,
// multiply); the state advances by a fixed linear map of xors, shifts and rotations that has
// period 2^256 - 1 for any state except all zeros.
inline std::uint64_t Generator::next_u64() {
    const std::uint64_t result = std::rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = std::rotl(s_[3], 45);
    return result;
}

// The top 53 bits as an integer k in [0, 2^53), scaled by 2^-53: every double k / 2^53 is
// exactly representable, equally likely, and strictly below 1.
inline double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

// The process-wide generator used when none is passed: seeded with 0 at start-up, reseeded by
// manual_seed(n). Not synchronised: use it from one thread at a time.
Generator& default_generator();
void manual_seed(std::uint64_t seed);

// Uniform in [lo, hi) (half-open also after rounding to float32); float32/float64 only.
Tensor rand(const Shape& shape, double lo = 0.0, double hi = 1.0, DType dtype = DType::Float32,
            Generator& gen = default_generator());
// Normal with the given mean and standard deviation (std >= 0); float32/float64 only.
Tensor randn(const Shape& shape, double mean = 0.0, double std = 1.0, DType dtype = DType::Float32,
             Generator& gen = default_generator());
// Uniform integers in [lo, hi), int64; throws unless lo < hi.
Tensor randint(std::int64_t lo, std::int64_t hi, const Shape& shape, Generator& gen = default_generator());
// A random permutation of 0..n-1 (Fisher-Yates), int64.
Tensor randperm(std::int64_t n, Generator& gen = default_generator());
// Fills `t` in place (through any view, row-major order).
void uniform_(const Tensor& t, double lo, double hi, Generator& gen = default_generator());
void normal_(const Tensor& t, double mean, double std, Generator& gen = default_generator());
// A bool tensor, true with probability p in [0, 1] (dropout masks).
Tensor bernoulli(const Shape& shape, double p, Generator& gen = default_generator());

}  // namespace qkv
