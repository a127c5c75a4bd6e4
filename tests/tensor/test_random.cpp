// The random generator: exact bit streams against published vectors and an independent
// reference, then the statistics of every distribution built on them. All generators are
// seeded, so each statistical check is deterministic; tolerances are ~5 standard errors, so a
// correct implementation passes for any seed and a biased one fails.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <set>

#include "tensor/creation.hpp"
#include "tensor/print.hpp"
#include "tensor/random.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;

namespace {

// Reference generators written from the papers' definitions, in a different style from the
// library: splitmix64's k-th output as a closed formula of the seed, and one xoshiro256** step
// as a pure function of four named words.
std::uint64_t splitmix64_output(std::uint64_t seed, std::uint64_t k) {
    std::uint64_t z = seed + (k + 1) * 0x9e3779b97f4a7c15ULL;
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ULL;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return z;
}

struct Words {
    std::uint64_t a, b, c, d;
};

std::uint64_t rotate_left(std::uint64_t x, unsigned k) { return (x << k) | (x >> (64u - k)); }

std::uint64_t xoshiro_step(Words& w) {
    const std::uint64_t out = rotate_left(w.b * 5, 7) * 9;
    const Words n{w.a ^ w.d ^ w.b, w.b ^ w.c ^ w.a, w.c ^ w.a ^ (w.b << 17), rotate_left(w.d ^ w.b, 45)};
    w = n;
    return out;
}

Generator::State state_of(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
    Generator::State st{};
    st.s[0] = a, st.s[1] = b, st.s[2] = c, st.s[3] = d;
    return st;
}

// Multiplicative inverse of an odd x modulo 2^64 by Newton's iteration y <- y (2 - x y); the
// start y = x is right to 3 bits (x * x = 1 mod 8 for odd x) and each step doubles the bits.
std::uint64_t inverse_mod_2_64(std::uint64_t x) {
    std::uint64_t y = x;
    for (int i = 0; i < 5; ++i) y *= 2 - x * y;
    return y;
}

// A generator whose next next_u64() is `out`: undo the output scrambler out = rotl(s1 * 5, 7) * 9.
Generator next_output_is(std::uint64_t out) {
    const std::uint64_t s1 = rotate_left(out * inverse_mod_2_64(9), 57) * inverse_mod_2_64(5);
    Generator g;
    g.set_state(state_of(1, s1, 0, 0));
    return g;
}

double mean_of(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

double variance_of(const std::vector<double>& v) {
    const double m = mean_of(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return s / static_cast<double>(v.size());
}

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("xoshiro256** from state (1, 2, 3, 4) gives the reference implementation's outputs") {
    Generator g;
    g.set_state(state_of(1, 2, 3, 4));
    // First output by hand: rotl(2 * 5, 7) * 9 = 1280 * 9 = 11520. The rest are the published
    // outputs of Vigna's reference C code for this state.
    const std::uint64_t expected[] = {11520ULL,
                                      0ULL,
                                      1509978240ULL,
                                      1215971899390074240ULL,
                                      1216172134540287360ULL,
                                      607988272756665600ULL,
                                      16172922978634559625ULL,
                                      8476171486693032832ULL,
                                      10595114339597558777ULL,
                                      2904607092377533576ULL};
    for (auto e : expected) CHECK(g.next_u64() == e);
}

TEST_CASE("manual_seed(0) fills the state with splitmix64's published first outputs for seed 0") {
    const Generator::State st = Generator(0).state();
    CHECK(st.s[0] == 0xe220a8397b1dcdafULL);
    CHECK(st.s[1] == 0x6e789e6aa1b965f4ULL);
    CHECK(st.s[2] == 0x06c45d188009454fULL);
    CHECK(st.s[3] == 0xf88bb8a8724c81ecULL);
    CHECK_FALSE(st.has_spare);
}

TEST_CASE("a seeded generator matches an independent reference for 1000 outputs") {
    for (std::uint64_t seed : {0ULL, 1ULL, 12345ULL, 0xffffffffffffffffULL}) {
        Generator g(seed);
        Words w{splitmix64_output(seed, 0), splitmix64_output(seed, 1), splitmix64_output(seed, 2),
                splitmix64_output(seed, 3)};
        for (int i = 0; i < 1000; ++i) {
            INFO("seed ", seed, ", output ", i);
            REQUIRE(g.next_u64() == xoshiro_step(w));
        }
    }
}

TEST_CASE("uniform() is the top 53 bits of next_u64() times 2^-53") {
    Generator g(7), twin(7);
    for (int i = 0; i < 100; ++i) {
        const double expected = static_cast<double>(twin.next_u64() >> 11) / 9007199254740992.0;  // 2^53
        CHECK(g.uniform() == expected);
    }
}

TEST_CASE("uniform() has mean 1/2 and variance 1/12 over 1e6 samples, all in 0 <= u < 1") {
    Generator g(2024);
    std::vector<double> v(1000000);
    for (auto& x : v) x = g.uniform();
    CHECK(*std::min_element(v.begin(), v.end()) >= 0.0);
    CHECK(*std::max_element(v.begin(), v.end()) < 1.0);
    // Standard errors: sqrt(1/12 / n) = 2.9e-4 for the mean; sqrt((1/80 - 1/144) / n) = 7.5e-5
    // for the variance (the fourth central moment of U(0, 1) is 1/80).
    CHECK(std::fabs(mean_of(v) - 0.5) < 1.5e-3);
    CHECK(std::fabs(variance_of(v) - 1.0 / 12.0) < 4e-4);
}

TEST_CASE("normal() returns the Box-Muller pair from two uniforms, cosine first, then the cached sine") {
    Generator g(99), twin(99);
    for (int i = 0; i < 10; ++i) {
        const double u1 = twin.uniform(), u2 = twin.uniform();
        const double r = std::sqrt(-2.0 * std::log(1.0 - u1));
        CHECK(g.normal() == doctest::Approx(r * std::cos(2 * std::numbers::pi * u2)).epsilon(1e-15));
        CHECK(g.normal() == doctest::Approx(r * std::sin(2 * std::numbers::pi * u2)).epsilon(1e-15));
    }
}

TEST_CASE("normal() has mean 0, variance 1 and 68.27% of samples within one sigma over 1e6 samples") {
    Generator g(31337);
    std::vector<double> v(1000000);
    for (auto& x : v) x = g.normal();
    double within = 0;
    for (double x : v) within += std::fabs(x) < 1.0;
    // Standard errors: 1e-3 for the mean, sqrt(2 / n) = 1.4e-3 for the variance and
    // sqrt(p (1 - p) / n) = 4.7e-4 for the fraction; erf(1 / sqrt 2) = 0.682689...
    CHECK(std::fabs(mean_of(v)) < 5e-3);
    CHECK(std::fabs(variance_of(v) - 1.0) < 7e-3);
    CHECK(std::fabs(within / 1e6 - std::erf(1.0 / std::sqrt(2.0))) < 2.5e-3);
    CHECK(std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }));
}

TEST_CASE("restoring a saved state, including a cached normal, reproduces the stream") {
    Generator g(5);
    g.normal();  // leaves the pair's second value cached
    const Generator::State saved = g.state();
    CHECK(saved.has_spare);
    std::vector<double> first;
    for (int i = 0; i < 5; ++i) first.push_back(g.normal()), first.push_back(g.uniform());
    Generator other(123);
    other.set_state(saved);
    for (int i = 0; i < 5; ++i) {
        CHECK(other.normal() == first[2 * i]);
        CHECK(other.uniform() == first[2 * i + 1]);
    }
}

// discard(n) computes the state n draws ahead (x^n mod P, applied in 256 steps) instead of
// drawing: checked against drawing, on both sides of where it stops stepping (n < 1024) and for
// distances whose binary forms use many table entries.
TEST_CASE("discard(n) leaves the generator where n draws would, a kept normal included") {
    for (const std::uint64_t seed : {1ull, 20261205ull})
        for (const std::uint64_t n : {0ull, 1ull, 7ull, 1023ull, 1024ull, 1025ull, 4103ull, 65536ull, 1000003ull,
                                      (1ull << 21) - 1}) {
            CAPTURE(seed);
            CAPTURE(n);
            Generator jumped(seed), drawn(seed);
            jumped.normal();  // each keeps the pair's second value
            drawn.normal();
            jumped.discard(n);
            for (std::uint64_t i = 0; i < n; ++i) drawn.next_u64();
            const Generator::State a = jumped.state(), b = drawn.state();
            CHECK(std::equal(std::begin(a.s), std::end(a.s), std::begin(b.s)));
            CHECK(a.has_spare);
            CHECK(jumped.normal() == drawn.normal());  // the kept one
            CHECK(jumped.next_u64() == drawn.next_u64());
        }
}

TEST_CASE("discard adds up: discard(a) then discard(b) is discard(a + b)") {
    Generator once(3), twice(3);
    once.discard(5000000123ull);
    twice.discard(3000000000ull);
    twice.discard(2000000123ull);
    for (int i = 0; i < 4; ++i) CHECK(once.next_u64() == twice.next_u64());
    // The largest distances use the table's top entries: 2^64 - 1 draws and one more are 2^63
    // draws twice.
    Generator longest(4), halves(4);
    longest.discard(~0ull);
    longest.next_u64();
    halves.discard(1ull << 63);
    halves.discard(1ull << 63);
    for (int i = 0; i < 4; ++i) CHECK(longest.next_u64() == halves.next_u64());
}

TEST_CASE("manual_seed discards a cached normal") {
    Generator g(8);
    const double fresh = g.normal();
    g.manual_seed(8);  // the spare from the line above must not leak into the new stream
    CHECK(g.normal() == fresh);
}

TEST_CASE("set_state rejects the all-zero state") {
    Generator g;
    CHECK_THROWS_WITH_AS(g.set_state(state_of(0, 0, 0, 0)), doctest::Contains("all-zero state"), Error);
}

TEST_CASE("below(n) is uniform over 0..n-1: chi-square test with 10 bins") {
    Generator g(77);
    const int n = 10, draws = 100000;
    std::vector<int> count(n, 0);
    for (int i = 0; i < draws; ++i) {
        const std::uint64_t x = g.below(n);
        REQUIRE(x < static_cast<std::uint64_t>(n));
        ++count[x];
    }
    double chi2 = 0;
    const double expected = draws / static_cast<double>(n);
    for (int c : count) chi2 += (c - expected) * (c - expected) / expected;
    CHECK(chi2 < 27.88);  // the 99.9th percentile of chi-square with 9 degrees of freedom
}

TEST_CASE("below(n) has no modulo bias even when n is close to 2^64") {
    // n = 3 * 2^62. Plain next_u64() % n would map [n, 2^64) onto [0, 2^62) again, so values
    // below 2^62 would come up half the time instead of a third.
    Generator g(4);
    const std::uint64_t n = 3ULL << 62, quarter = 1ULL << 62;
    int low = 0;
    const int draws = 100000;
    for (int i = 0; i < draws; ++i) {
        const std::uint64_t x = g.below(n);
        REQUIRE(x < n);
        low += x < quarter;
    }
    CHECK(std::fabs(low / double(draws) - 1.0 / 3.0) < 8e-3);  // standard error 1.5e-3
}

TEST_CASE("below(1) is always 0 and below(0) throws") {
    Generator g(1);
    for (int i = 0; i < 10; ++i) CHECK(g.below(1) == 0);
    CHECK_THROWS_WITH_AS(g.below(0), doctest::Contains("below: n must be at least 1"), Error);
}

TEST_CASE("the same seed gives the same tensors and different seeds differ") {
    Generator a(42), b(42), c(43);
    const Tensor ra = rand({50}, 0.0, 1.0, DType::Float32, a), rb = rand({50}, 0.0, 1.0, DType::Float32, b);
    const Tensor rc = rand({50}, 0.0, 1.0, DType::Float32, c);
    CHECK(equal(ra, rb));
    CHECK_FALSE(equal(ra, rc));
    CHECK(equal(randn({3, 4}, 0.0, 1.0, DType::Float64, a), randn({3, 4}, 0.0, 1.0, DType::Float64, b)));
    CHECK(equal(randint(0, 100, {20}, a), randint(0, 100, {20}, b)));
    CHECK(equal(randperm(30, a), randperm(30, b)));
    CHECK(equal(bernoulli({40}, 0.5, a), bernoulli({40}, 0.5, b)));
}

TEST_CASE("manual_seed reseeds the default generator") {
    manual_seed(42);
    const Tensor x = rand({10});
    const Tensor y = randn({10});
    manual_seed(42);
    CHECK(equal(rand({10}), x));
    CHECK(equal(randn({10}), y));
    manual_seed(0);
    Generator fresh(0);
    CHECK(equal(rand({5}), rand({5}, 0.0, 1.0, DType::Float32, fresh)));
}

TEST_CASE("rand maps uniforms to lo + (hi - lo) u, rounding float32 once from double") {
    Generator g(3), twin(3);
    const Tensor r64 = rand({4}, -2.0, 6.0, DType::Float64, g);
    const Tensor r32 = rand({4}, -2.0, 6.0, DType::Float32, g);
    CHECK(r64.dtype() == DType::Float64);
    CHECK(r32.dtype() == DType::Float32);
    std::vector<double> e64, e32;
    for (int i = 0; i < 4; ++i) e64.push_back(-2.0 + 8.0 * twin.uniform());
    for (int i = 0; i < 4; ++i) e32.push_back(static_cast<float>(-2.0 + 8.0 * twin.uniform()));
    CHECK(r64.to_vector<double>() == e64);
    CHECK(r32.to_vector<double>() == e32);
}

TEST_CASE("rand never returns hi, even when rounding to float32 would carry u up to 1") {
    // All 64 bits set: u = 1 - 2^-53, which rounds to 1.0f in float32.
    CHECK(next_output_is(~0ULL).next_u64() == ~0ULL);
    Generator g = next_output_is(~0ULL);
    CHECK(rand({}, 0.0, 1.0, DType::Float32, g).item() == 1.0 - 0x1.0p-24);  // the largest float below 1
    g = next_output_is(~0ULL);
    CHECK(rand({}, 0.0, 1.0, DType::Float64, g).item() == 1.0 - 0x1.0p-53);
    g = next_output_is(0);
    CHECK(rand({}, 0.0, 1.0, DType::Float32, g).item() == 0.0);  // while lo itself is reachable
}

TEST_CASE("rand stays inside lo <= x < hi") {
    Generator g(11);
    const std::vector<double> v = rand({10000}, -1.5, 2.5, DType::Float64, g).to_vector<double>();
    CHECK(*std::min_element(v.begin(), v.end()) >= -1.5);
    CHECK(*std::max_element(v.begin(), v.end()) < 2.5);
    CHECK(*std::min_element(v.begin(), v.end()) < -1.4);  // and reaches near both ends
    CHECK(*std::max_element(v.begin(), v.end()) > 2.4);
}

TEST_CASE("randn scales and shifts standard normals by std and mean") {
    Generator g(6), twin(6);
    const std::vector<double> v = randn({6}, 10.0, 0.5, DType::Float64, g).to_vector<double>();
    for (double x : v) CHECK(x == 10.0 + 0.5 * twin.normal());
}

TEST_CASE("uniform_ and normal_ fill a non-contiguous view in its own row-major order") {
    Generator g(21), twin(21);
    const Tensor base = zeros({3, 4}, DType::Float64);
    const Tensor view = base.t();  // (4, 3), strides (1, 4)
    uniform_(view, 0.0, 1.0, g);
    for (std::int64_t i = 0; i < 4; ++i)
        for (std::int64_t j = 0; j < 3; ++j) CHECK(view.at({i, j}) == twin.uniform());
    const Tensor cols = zeros({2, 6}, DType::Float32);
    normal_(cols.slice(1, 0, 6, 2), 0.0, 1.0, g);  // every other column
    for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 6; ++j) {
            if (j % 2 == 0) CHECK(cols.at({i, j}) == static_cast<float>(twin.normal()));
            else CHECK(cols.at({i, j}) == 0.0);  // untouched
        }
}

TEST_CASE("rand and randn need a floating dtype, and bad ranges are rejected") {
    CHECK_THROWS_WITH_AS(rand({2}, 0.0, 1.0, DType::Int64), doctest::Contains("rand: dtype int64 is not a floating-point"),
                         Error);
    CHECK_THROWS_WITH_AS(randn({2}, 0.0, 1.0, DType::Bool), doctest::Contains("randn: dtype bool is not a floating-point"),
                         Error);
    CHECK_THROWS_WITH_AS(uniform_(zeros({2}, DType::Int64), 0.0, 1.0), doctest::Contains("uniform_: expected a floating"),
                         Error);
    CHECK_THROWS_WITH_AS(rand({2}, 1.0, 0.0), doctest::Contains("need finite lo <= hi, got lo = 1 and hi = 0"), Error);
    CHECK_THROWS_WITH_AS(rand({2}, -1e308, 1e308), doctest::Contains("need finite lo <= hi"), Error);
    CHECK_THROWS_WITH_AS(randn({2}, 0.0, -1.0), doctest::Contains("std >= 0"), Error);
}

TEST_CASE("randint covers every value of lo <= x < hi and never leaves it") {
    Generator g(9);
    const Tensor r = randint(-3, 4, {2000, 5}, g);
    CHECK(r.dtype() == DType::Int64);
    CHECK(test::shape_of(r) == "(2000, 5)");
    std::set<std::int64_t> seen;
    for (auto x : r.to_vector<std::int64_t>()) {
        REQUIRE(x >= -3);
        REQUIRE(x < 4);
        seen.insert(x);
    }
    CHECK(seen.size() == 7);
}

TEST_CASE("randint handles the full int64 range and rejects an empty one") {
    Generator g(10);
    const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    const std::vector<std::int64_t> v = randint(lo, hi, {1000}, g).to_vector<std::int64_t>();
    CHECK(*std::min_element(v.begin(), v.end()) < 0);  // both signs appear
    CHECK(*std::max_element(v.begin(), v.end()) > 0);
    for (auto x : v) CHECK(x != hi);
    CHECK_THROWS_WITH_AS(randint(5, 5, {3}), doctest::Contains("randint: need lo < hi, got lo = 5 and hi = 5"), Error);
}

TEST_CASE("randperm returns every number 0..n-1 exactly once") {
    Generator g(12);
    for (std::int64_t n : {0, 1, 2, 17, 1000}) {
        const Tensor p = randperm(n, g);
        CHECK(p.dtype() == DType::Int64);
        std::vector<std::int64_t> v = p.to_vector<std::int64_t>();
        REQUIRE(static_cast<std::int64_t>(v.size()) == n);
        std::sort(v.begin(), v.end());
        for (std::int64_t i = 0; i < n; ++i) CHECK(v[static_cast<std::size_t>(i)] == i);
    }
    CHECK_THROWS_WITH_AS(randperm(-1), doctest::Contains("randperm: n must be >= 0, got -1"), Error);
}

TEST_CASE("randperm makes all 6 orders of 3 items equally likely") {
    Generator g(13);
    std::map<std::vector<std::int64_t>, int> count;
    const int draws = 60000;
    for (int i = 0; i < draws; ++i) ++count[randperm(3, g).to_vector<std::int64_t>()];
    CHECK(count.size() == 6);
    double chi2 = 0;
    for (const auto& [order, c] : count) chi2 += (c - draws / 6.0) * (c - draws / 6.0) / (draws / 6.0);
    CHECK(chi2 < 20.52);  // the 99.9th percentile of chi-square with 5 degrees of freedom
}

TEST_CASE("bernoulli is true with probability p") {
    Generator g(14);
    const Tensor m = bernoulli({100000}, 0.3, g);
    CHECK(m.dtype() == DType::Bool);
    double ones = 0;
    for (auto b : m.to_vector<std::int64_t>()) ones += static_cast<double>(b);
    CHECK(std::fabs(ones / 1e5 - 0.3) < 7e-3);  // standard error sqrt(0.21 / 1e5) = 1.4e-3
    for (auto b : bernoulli({100}, 0.0, g).to_vector<int>()) CHECK(b == 0);
    for (auto b : bernoulli({100}, 1.0, g).to_vector<int>()) CHECK(b == 1);
}

TEST_CASE("bernoulli rejects p outside 0 <= p <= 1") {
    CHECK_THROWS_WITH_AS(bernoulli({2}, 1.5), doctest::Contains("bernoulli: probability p must be in [0, 1], got 1.5"),
                         Error);
    CHECK_THROWS_WITH_AS(bernoulli({2}, -0.1), doctest::Contains("got -0.1"), Error);
    CHECK_THROWS_WITH_AS(bernoulli({2}, std::nan("")), doctest::Contains("must be in [0, 1]"), Error);
}

}  // TEST_SUITE
