// Generator::discard(n): the state n draws ahead, without making the n draws.
//
// xoshiro256's state update is linear over GF(2) (xors, shifts and rotations of bits): one step
// is s' = T s for a fixed 256 x 256 bit matrix T, and n steps are T^n s. Let P(x) be T's
// characteristic polynomial, of degree 256. P(T) = 0 (Cayley-Hamilton), so T^n = r(T) where
//     r(x) = x^n mod P(x),   r(x) = r_0 + r_1 x + ... + r_255 x^255,
// and T^n s = sum of T^i s over the i with r_i = 1: 256 ordinary steps of the generator,
// adding up (xor) the states where r has a 1. The jump() that xoshiro's authors publish is this
// with n = 2^128 and its r written out as four constants.
//
// P is found once, from the generator itself, by Berlekamp-Massey: the shortest linear
// recurrence that produces 512 consecutive values of one state bit. The period 2^256 - 1 makes P
// primitive, so for any nonzero state that recurrence has length 256 and is P itself.
// r is computed by square-and-multiply on polynomials mod P, from a table of x^(2^k) mod P,
// and the last few are cached: a training step asks for the same few distances again and again.
#include "tensor/random.hpp"

#include <array>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

namespace qkv {

namespace {
// Named, inside the anonymous namespace: in a unity build this file shares a translation unit
// with the tensor ops, and names such as add or multiply would otherwise overload theirs.
namespace gf2 {

// A polynomial over GF(2) of degree < 256: bit i % 64 of word i / 64 is the coefficient of x^i.
using Poly = std::array<std::uint64_t, 4>;

bool coefficient(const Poly& a, int i) { return (a[static_cast<std::size_t>(i / 64)] >> (i % 64)) & 1; }

void add(Poly& a, const Poly& b) {  // + over GF(2) is xor
    for (std::size_t w = 0; w < 4; ++w) a[w] ^= b[w];
}

// P(x) = x^256 + low(x); low holds the coefficients below x^256.
struct Modulus {
    Poly low{};
};

// a(x) * x mod P: shift up one place; an x^256 that falls out becomes low(x).
Poly times_x(const Poly& a, const Modulus& p) {
    const bool carry = a[3] >> 63;
    Poly r;
    r[3] = a[3] << 1 | a[2] >> 63;
    r[2] = a[2] << 1 | a[1] >> 63;
    r[1] = a[1] << 1 | a[0] >> 63;
    r[0] = a[0] << 1;
    if (carry) add(r, p.low);
    return r;
}

// a(x) b(x) mod P by Horner's rule over b's coefficients, from the top.
Poly multiply(const Poly& a, const Poly& b, const Modulus& p) {
    Poly r{};
    for (int i = 255; i >= 0; --i) {
        r = times_x(r, p);
        if (coefficient(b, i)) add(r, a);
    }
    return r;
}

// Berlekamp-Massey over GF(2) on bit 0 of s[0], 512 steps from an arbitrary nonzero state.
Modulus characteristic_polynomial() {
    constexpr std::size_t N = 512;
    Generator g(0x9e3779b97f4a7c15ull);
    std::vector<std::uint8_t> a(N);
    for (std::size_t i = 0; i < N; ++i) {
        a[i] = g.state().s[0] & 1;
        g.next_u64();
    }
    // C(x) = 1 + c_1 x + ... + c_L x^L with a_i = c_1 a_(i-1) + ... + c_L a_(i-L) for i >= L.
    std::vector<std::uint8_t> c(N + 1), b(N + 1);
    c[0] = b[0] = 1;
    std::size_t length = 0, shift = 1;
    for (std::size_t i = 0; i < N; ++i) {
        int discrepancy = a[i];
        for (std::size_t j = 1; j <= length; ++j) discrepancy ^= c[j] & a[i - j];
        if (!discrepancy) {
            ++shift;
            continue;
        }
        const std::vector<std::uint8_t> before = c;
        for (std::size_t j = 0; j + shift <= N; ++j) c[j + shift] ^= b[j];
        if (2 * length <= i) {
            length = i + 1 - length;
            b = before;
            shift = 1;
        } else {
            ++shift;
        }
    }
    if (length != 256) fail("Generator::discard", "internal error: a recurrence of length ", length, ", not 256");
    // P(x) = x^256 C(1/x): the coefficient of x^(256 - j) is c_j.
    Modulus p;
    for (std::size_t j = 1; j <= 256; ++j)
        if (c[j]) p.low[(256 - j) / 64] |= std::uint64_t{1} << ((256 - j) % 64);
    return p;
}

struct JumpTables {
    Modulus p;
    std::array<Poly, 64> power_of_two;  // x^(2^k) mod P
    JumpTables() : p(characteristic_polynomial()) {
        Poly x{};
        x[0] = 2;  // x^1
        for (std::size_t k = 0; k < 64; ++k) {
            power_of_two[k] = x;
            x = multiply(x, x, p);
        }
    }
};

const JumpTables& tables() {
    static const JumpTables t;  // built on first use, thread-safe (C++11 static initialisation)
    return t;
}

// x^n mod P, with the last few distances remembered.
Poly jump_polynomial(std::uint64_t n) {
    constexpr std::size_t remembered = 16;
    static std::mutex mutex;
    static std::vector<std::pair<std::uint64_t, Poly>> cache;
    {
        const std::lock_guard<std::mutex> lock(mutex);
        for (const auto& [m, r] : cache)
            if (m == n) return r;
    }
    const JumpTables& t = tables();
    Poly r{};
    r[0] = 1;  // x^0
    for (std::size_t k = 0; k < 64; ++k)
        if (n >> k & 1) r = multiply(r, t.power_of_two[k], t.p);
    const std::lock_guard<std::mutex> lock(mutex);
    if (cache.size() == remembered) cache.erase(cache.begin());
    cache.emplace_back(n, r);
    return r;
}

}  // namespace gf2
}  // namespace

void Generator::discard(std::uint64_t n) {
    if (n < 1024) {  // stepping costs less than the jump's 256 steps and its lookup
        for (; n > 0; --n) next_u64();
        return;
    }
    const gf2::Poly r = gf2::jump_polynomial(n);
    std::uint64_t sum[4] = {};
    for (int i = 0; i < 256; ++i) {
        if (gf2::coefficient(r, i))
            for (int w = 0; w < 4; ++w) sum[w] ^= s_[w];
        next_u64();
    }
    for (int w = 0; w < 4; ++w) s_[w] = sum[w];
}

}  // namespace qkv
