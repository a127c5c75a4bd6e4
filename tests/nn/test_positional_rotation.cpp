// The property that lets attention use sinusoidal positions: in every frequency pair
// (PE(pos, 2i), PE(pos, 2i+1)) = (sin pos w_i, cos pos w_i), moving k positions on is one fixed
// 2x2 rotation R_k,i by the angle k w_i, the same for every pos:
//
//   PE_pair(pos + k) = R_k,i PE_pair(pos),   R = [[ cos kw,  sin kw ],
//                                                  [-sin kw,  cos kw ]]   acting on (sin, cos).
//
// Here R is built as a Tensor from angles the test computes itself and applied with matmul to
// all positions at once; the frequencies come from w_i = exp(-(2i/d) ln 10000), not the
// library's expression.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/positional.hpp"

using namespace qkv;
using namespace qkv::nn;

namespace {

double omega(std::int64_t i, std::int64_t d) {
    return std::exp(-static_cast<double>(2 * i) / static_cast<double>(d) * std::log(10000.0));
}

// The 2x2 rotation by `angle` that maps (sin a, cos a) to (sin(a + angle), cos(a + angle)),
// as a (2, 2) float64 matrix applied to row vectors: row @ R^T.
Tensor rotation(double angle) {
    return tensor({{std::cos(angle), std::sin(angle)}, {-std::sin(angle), std::cos(angle)}}, DType::Float64);
}

// max over pos, k = 1..max_k and every pair of |PE(pos + k) - R_k PE(pos)|.
double worst_rotation_error(const Tensor& table, std::int64_t max_k) {
    const std::int64_t L = table.size(0), d = table.size(1);
    const Tensor pe = table.to(DType::Float64);
    double worst = 0;
    for (std::int64_t k = 1; k <= max_k; ++k)
        for (std::int64_t i = 0; i < d / 2; ++i) {
            const Tensor pairs = pe.narrow(1, 2 * i, 2);                        // (L, 2): (sin, cos) per position
            const Tensor from = pairs.narrow(0, 0, L - k);                      // (L - k, 2), positions 0..L-k-1
            const Tensor to = pairs.narrow(0, k, L - k);                        // (L - k, 2), positions k..L-1
            const Tensor rotated = matmul(from, rotation(static_cast<double>(k) * omega(i, d)).t());  // (L - k, 2)
            worst = std::max(worst, max(abs(to - rotated)).item());
        }
    return worst;
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("PE at pos plus k is the rotation by k omega_i of PE at pos in every frequency pair") {
    for (std::int64_t d : {4, 16, 32, 64}) {
        INFO("d_model = ", d);
        // The module's float32 table (what a model adds) and the float64 one.
        const SinusoidalPositionalEncoding enc(128, d);
        CHECK(worst_rotation_error(enc.pe, 40) <= 1e-5);
        CHECK(worst_rotation_error(sinusoidal_table(128, d, DType::Float64), 127) <= 1e-12);
    }
}

TEST_CASE("the rotation is not the identity: moving on changes the encoding") {
    // Guards the test above against a table that does not change with pos (which would pass
    // for k w_i near 0): the fastest pair (w_0 = 1) turns by k radians.
    const Tensor pe = sinusoidal_table(16, 8, DType::Float64);
    CHECK(std::abs(pe.at({3, 0}) - std::sin(3.0)) < 1e-12);
    CHECK(std::abs(pe.at({3, 1}) - std::cos(3.0)) < 1e-12);
    // A wrong rotation angle (k + 1) w_i fails by far more than the tolerance.
    const Tensor from = pe.narrow(0, 0, 10).narrow(1, 0, 2), to = pe.narrow(0, 1, 10).narrow(1, 0, 2);
    CHECK(max(abs(to - matmul(from, rotation(2.0).t()))).item() > 0.1);
    CHECK(max(abs(to - matmul(from, rotation(1.0).t()))).item() < 1e-12);
}

TEST_CASE("so the dot product of two positions depends only on their offset") {
    // PE(p) . PE(p + k) = sum_i sin(p w) sin((p+k) w) + cos(p w) cos((p+k) w) = sum_i cos(k w_i).
    const std::int64_t L = 60, d = 16;
    const Tensor pe = sinusoidal_table(L, d, DType::Float64);
    for (std::int64_t k : {0, 1, 7, 20}) {
        double expected = 0;
        for (std::int64_t i = 0; i < d / 2; ++i) expected += std::cos(static_cast<double>(k) * omega(i, d));
        for (std::int64_t p = 0; p + k < L; p += 5) {
            INFO("k = ", k, ", p = ", p);
            const double dot = sum(pe.select(0, p) * pe.select(0, p + k)).item();
            CHECK(std::abs(dot - expected) < 1e-10);
        }
    }
}

}  // TEST_SUITE
