// matmul and gemm: against a naive reference loop on awkward sizes, on every kind of strided
// view, batched with broadcasting, with 1-d and empty operands, bit-identical for any thread
// count, and with clear errors.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/matmul.hpp"
#include "tensor/thread_pool.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using qkv::test::check_same;
using qkv::test::check_values;
using qkv::test::sample;
using qkv::test::shape_of;
using doctest::Contains;

namespace {

double unit_roundoff(DType dtype) {
    return dtype == DType::Float32 ? std::numeric_limits<float>::epsilon() / 2
                                   : std::numeric_limits<double>::epsilon() / 2;
}

// Checks got (M, N) against sum_k a[i][k] * b[k][j] for 2-d a (M, K) and b (K, N), computed
// naively in long double from the operands' logical values (so any layout of a and b works).
// Any summation order in precision u is within gamma_K * sum_k |a[i][k] * b[k][j]| of the exact
// value, gamma_K = K u / (1 - K u): a wrong index or a missed term breaks that bound by far.
// Reports the worst element.
void check_against_naive(const Tensor& got, const Tensor& a, const Tensor& b) {
    REQUIRE(a.dim() == 2);
    REQUIRE(b.dim() == 2);
    const std::int64_t M = a.size(0), K = a.size(1), N = b.size(1);
    REQUIRE(shape_of(got) == shape_str({M, N}));
    const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>(), cv = got.to_vector<double>();
    // The reference itself rounds in long double: allow for that too.
    const long double u = unit_roundoff(got.dtype()), k = static_cast<long double>(K);
    const long double gamma = k * u / (1 - k * u) + k * std::numeric_limits<long double>::epsilon();
    double worst_ratio = 0;
    std::int64_t worst_i = -1, worst_j = -1;
    double worst_got = 0, worst_expected = 0;
    for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
            long double exact = 0, magnitude = 0;
            for (std::int64_t k = 0; k < K; ++k) {
                const long double p = static_cast<long double>(av[static_cast<std::size_t>(i * K + k)]) *
                                      static_cast<long double>(bv[static_cast<std::size_t>(k * N + j)]);
                exact += p;
                magnitude += std::fabs(p);
            }
            const double c = cv[static_cast<std::size_t>(i * N + j)];
            const long double error = std::fabs(static_cast<long double>(c) - exact);
            const long double bound = gamma * magnitude;
            const double ratio = error == 0 ? 0 : (bound == 0 ? std::numeric_limits<double>::infinity()
                                                              : static_cast<double>(error / bound));
            if (ratio > worst_ratio || std::isnan(c)) {
                worst_ratio = std::isnan(c) ? std::numeric_limits<double>::infinity() : ratio;
                worst_i = i, worst_j = j, worst_got = c, worst_expected = static_cast<double>(exact);
            }
        }
    INFO("worst element (", worst_i, ", ", worst_j, "): got ", worst_got, ", expected ", worst_expected,
         ", error / bound = ", worst_ratio);
    CHECK(worst_ratio <= 1.0);
}

// Index of the first element where a and b differ bit for bit, or -1.
std::int64_t first_bit_difference(const Tensor& a, const Tensor& b) {
    const std::vector<double> av = a.to_vector<double>(), bv = b.to_vector<double>();
    if (av.size() != bv.size()) return 0;
    for (std::size_t i = 0; i < av.size(); ++i)
        if (std::memcmp(&av[i], &bv[i], sizeof(double)) != 0) return static_cast<std::int64_t>(i);
    return -1;
}

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("matmul of small matrices matches hand arithmetic") {
    // [1 2 3] [ 7  8]   [1*7 + 2*9 + 3*11   1*8 + 2*10 + 3*12]   [ 58  64]
    // [4 5 6] [ 9 10] = [4*7 + 5*9 + 6*11   4*8 + 5*10 + 6*12] = [139 154]
    //         [11 12]
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const Tensor a = tensor({{1, 2, 3}, {4, 5, 6}}, dtype);
        const Tensor b = tensor({{7, 8}, {9, 10}, {11, 12}}, dtype);
        const Tensor c = matmul(a, b);
        CHECK(c.dtype() == dtype);
        CHECK(shape_of(c) == "(2, 2)");
        check_values(c, {58, 64, 139, 154}, 0);
    }
}

TEST_CASE("matmul matches a naive loop on odd sizes, float32 and float64") {
    const std::int64_t sizes[] = {1, 7, 33, 65, 129};
    for (DType dtype : {DType::Float32, DType::Float64})
        for (std::int64_t M : sizes)
            for (std::int64_t N : sizes)
                for (std::int64_t K : sizes) {
                    INFO(std::string(dtype_name(dtype)), " M ", M, " N ", N, " K ", K);
                    const Tensor a = sample({M, K}, dtype, 0.1), b = sample({K, N}, dtype, 0.7);
                    check_against_naive(matmul(a, b), a, b);
                }
}

TEST_CASE("matmul spans several cache blocks in every dimension") {
    // Larger than one K block, one row block and one column panel of the kernel for float32
    // and float64, with sizes that leave partial blocks at every edge.
    const std::int64_t shapes[][3] = {{530, 9, 7}, {9, 2100, 5}, {70, 40, 1300}, {301, 77, 600}};
    for (DType dtype : {DType::Float32, DType::Float64})
        for (const auto& s : shapes) {
            INFO(std::string(dtype_name(dtype)), " M ", s[0], " N ", s[1], " K ", s[2]);
            const Tensor a = sample({s[0], s[2]}, dtype, 0.2), b = sample({s[2], s[1]}, dtype, 0.9);
            check_against_naive(matmul(a, b), a, b);
        }
}

TEST_CASE("matmul reads transposed, step-sliced and broadcast operands in place") {
    // 37 x 41 x 35 has edge panels everywhere; 12 x 32 x 32 (attention's per-head size) and
    // 48 x 264 x 33 only whole panels of A (a transposed A's last panel is packed differently),
    // K a multiple of 8 (packing transposes 8 x 8 blocks) or not, and 264 two K blocks of 132;
    // 6 x 5 x 16 a K too short for one block.
    const std::int64_t shapes[][3] = {{37, 41, 35}, {12, 32, 32}, {48, 264, 33}, {6, 5, 16}};
    for (DType dtype : {DType::Float32, DType::Float64}) {
        for (const auto& shape : shapes) {
            // Named copies, not a structured binding: Clang 14 cannot capture those in INFO.
            const std::int64_t M = shape[0], K = shape[1], N = shape[2];
            INFO(std::string(dtype_name(dtype)), " ", M, " x ", K, " x ", N);
            const Tensor a = sample({M, K}, dtype, 0.3), b = sample({K, N}, dtype, 1.1);
            // Transposes: a column-major copy of each operand.
            const Tensor a_t = sample({K, M}, dtype, 0.3).t(), b_t = sample({N, K}, dtype, 1.1).t();
            CHECK(a_t.stride(0) == 1);
            // Steps in both dims, starting inside the storage.
            const Tensor a_step =
                sample({2 * M + 1, 3 * K}, dtype, 0.5).slice(0, 1, 2 * M + 1, 2).slice(1, 2, 3 * K, 3);
            const Tensor b_step = sample({3 * K, 2 * N}, dtype, 0.6).slice(0, 0, 3 * K, 3).slice(1, 1, 2 * N, 2);
            REQUIRE(shape_of(a_step) == shape_of(a));
            REQUIRE(shape_of(b_step) == shape_of(b));
            // Broadcast: every row of A the same (stride 0 along M), every column of B the same.
            const Tensor a_rows = sample({1, K}, dtype, 0.8).expand({M, K});
            const Tensor b_cols = sample({K, 1}, dtype, 0.4).expand({K, N});
            CHECK(a_rows.stride(0) == 0);

            const std::pair<Tensor, Tensor> cases[] = {{a_t, b}, {a, b_t}, {a_t, b_t}, {a_step, b_step},
                                                       {a_rows, b}, {a, b_cols}, {a_rows, b_cols}, {a_step, b_t}};
            int index = 0;
            for (const auto& [x, y] : cases) {
                INFO("case ", index++);
                const Tensor c = matmul(x, y);
                check_against_naive(c, x, y);
                // Packing copies values exactly, so the layout cannot change a single bit.
                CHECK(first_bit_difference(c, matmul(x.contiguous(), y.contiguous())) == -1);
            }
        }
    }
}

TEST_CASE("batched matmul broadcasts the batch dims") {
    for (DType dtype : {DType::Float32, DType::Float64}) {
        INFO(std::string(dtype_name(dtype)));
        // (2, 1, 3, 4) @ (5, 4, 6) -> (2, 5, 3, 6): result[i][j] = a[i][0] @ b[j].
        const Tensor a = sample({2, 1, 3, 4}, dtype, 0.2), b = sample({5, 4, 6}, dtype, 0.5);
        const Tensor c = matmul(a, b);
        REQUIRE(shape_of(c) == "(2, 5, 3, 6)");
        for (std::int64_t i = 0; i < 2; ++i)
            for (std::int64_t j = 0; j < 5; ++j) {
                INFO("batch (", i, ", ", j, ")");
                check_against_naive(c.select(0, i).select(0, j), a.select(0, i).select(0, 0), b.select(0, j));
            }

        // A 2-d operand against a batch: (3, 4) @ (2, 4, 5) -> (2, 3, 5), and the other way round.
        const Tensor m = sample({3, 4}, dtype, 0.9), batch = sample({2, 4, 5}, dtype, 1.3);
        const Tensor mb = matmul(m, batch);
        REQUIRE(shape_of(mb) == "(2, 3, 5)");
        for (std::int64_t i = 0; i < 2; ++i) check_against_naive(mb.select(0, i), m, batch.select(0, i));
        const Tensor batch2 = sample({2, 3, 4}, dtype, 0.1), m2 = sample({4, 5}, dtype, 0.4);
        const Tensor bm = matmul(batch2, m2);
        REQUIRE(shape_of(bm) == "(2, 3, 5)");
        for (std::int64_t i = 0; i < 2; ++i) check_against_naive(bm.select(0, i), batch2.select(0, i), m2);
    }
}

TEST_CASE("attention scores: (B, H, T, d) @ (B, H, d, T) with a transposed view of k") {
    const Tensor q = sample({2, 3, 5, 4}, DType::Float32, 0.3), k = sample({2, 3, 5, 4}, DType::Float32, 0.8);
    const Tensor scores = matmul(q, k.transpose(-2, -1));
    REQUIRE(shape_of(scores) == "(2, 3, 5, 5)");
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t h = 0; h < 3; ++h) {
            INFO("batch ", b, ", head ", h);
            check_against_naive(scores.select(0, b).select(0, h), q.select(0, b).select(0, h),
                                k.select(0, b).select(0, h).t());
        }
}

TEST_CASE("1-d operands act as a row on the left and a column on the right, and that dim is dropped") {
    // [1 2 3] . [4 5 6] = 4 + 10 + 18 = 32
    const Tensor v = tensor({1, 2, 3}), w = tensor({4, 5, 6});
    const Tensor dot = matmul(v, w);
    CHECK(shape_of(dot) == "()");
    CHECK(dot.item() == 32);
    // [1 2 3] @ [[1 0], [0 1], [2 2]] = [1 + 6, 2 + 6] = [7, 8]
    const Tensor m32 = tensor({{1, 0}, {0, 1}, {2, 2}});
    const Tensor vm = matmul(v, m32);
    CHECK(shape_of(vm) == "(2)");
    check_values(vm, {7, 8}, 0);
    // [[1 2 3], [0 1 0]] @ [4 5 6] = [4 + 10 + 18, 5] = [32, 5]
    const Tensor mv = matmul(tensor({{1, 2, 3}, {0, 1, 0}}), w);
    CHECK(shape_of(mv) == "(2)");
    check_values(mv, {32, 5}, 0);
    // With a batch: (3) @ (2, 3, 2) -> (2, 2) and (2, 2, 3) @ (3) -> (2, 2).
    const Tensor batch_m = sample({2, 3, 2});
    const Tensor v_b = matmul(v, batch_m);
    CHECK(shape_of(v_b) == "(2, 2)");
    for (std::int64_t i = 0; i < 2; ++i)
        check_against_naive(v_b.select(0, i).unsqueeze(0), v.unsqueeze(0), batch_m.select(0, i));
    const Tensor batch_v = sample({2, 2, 3});
    const Tensor b_v = matmul(batch_v, w);
    CHECK(shape_of(b_v) == "(2, 2)");
    for (std::int64_t i = 0; i < 2; ++i)
        check_against_naive(b_v.select(0, i).unsqueeze(1), batch_v.select(0, i), w.unsqueeze(1));
}

TEST_CASE("an empty inner dim gives zeros, and an empty outer dim an empty result") {
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const Tensor zero_k = matmul(zeros({3, 0}, dtype), zeros({0, 4}, dtype));
        CHECK(shape_of(zero_k) == "(3, 4)");
        check_values(zero_k, std::vector<double>(12, 0.0), 0);
        CHECK(shape_of(matmul(zeros({0, 5}, dtype), sample({5, 4}, dtype))) == "(0, 4)");
        CHECK(shape_of(matmul(sample({3, 5}, dtype), zeros({5, 0}, dtype))) == "(3, 0)");
        CHECK(shape_of(matmul(zeros({2, 0, 5}, dtype), sample({5, 4}, dtype))) == "(2, 0, 4)");
        CHECK(shape_of(matmul(zeros({0, 3, 5}, dtype), sample({5, 4}, dtype))) == "(0, 3, 4)");
        const Tensor dot = matmul(zeros({0}, dtype), zeros({0}, dtype));
        CHECK(shape_of(dot) == "()");
        CHECK(dot.item() == 0);
    }
}

TEST_CASE("matmul results are bit-identical for 1, 2 and 3 threads") {
    // Big enough that gemm cuts C into slabs over the threads: by rows for a (tall C), by
    // columns for w (wide C, wider than one packed panel of B), and a batch big enough to be
    // shared out by product.
    for (DType dtype : {DType::Float32, DType::Float64}) {
        INFO(std::string(dtype_name(dtype)));
        const Tensor a = sample({257, 300}, dtype, 0.4), b = sample({300, 193}, dtype, 0.2).t().contiguous().t();
        const Tensor x = sample({21, 70}, dtype, 0.3), w = sample({70, 2100}, dtype, 0.5);
        const Tensor qa = sample({8, 70, 90}, dtype, 0.6), qb = sample({8, 90, 65}, dtype, 0.1);
        Tensor c1, wide1, batched1;
        {
            const ThreadCountGuard count(1);
            c1 = matmul(a, b);
            wide1 = matmul(x, w);
            batched1 = matmul(qa, qb);
        }
        check_against_naive(c1, a, b);
        check_against_naive(wide1, x, w);
        for (int threads : {2, 3}) {
            INFO(threads, " threads");
            const ThreadCountGuard count(threads);
            CHECK(first_bit_difference(matmul(a, b), c1) == -1);
            CHECK(first_bit_difference(matmul(x, w), wide1) == -1);
            CHECK(first_bit_difference(matmul(qa, qb), batched1) == -1);
        }
    }
}

TEST_CASE("gemm writes exactly the M x N block of C, with any row stride") {
    // A (2 x 3) row-major, B (3 x 2) column-major, C with row stride 5: the padding between rows
    // must keep its sentinel.
    const double A[] = {1, 2, 3, 4, 5, 6};
    const double B[] = {7, 9, 11, 8, 10, 12};  // columns [7 9 11] and [8 10 12]
    std::vector<double> C(2 * 5, -1.0);
    gemm<double>(2, 2, 3, A, 3, 1, B, 1, 3, C.data(), 5);
    const std::vector<double> expected = {58, 64, -1, -1, -1, 139, 154, -1, -1, -1};
    CHECK(C == expected);
    // K = 0 writes zeros (an empty sum), still only inside the block.
    std::vector<float> Cf(2 * 3, -1.0f);
    gemm<float>(2, 2, 0, nullptr, 0, 1, nullptr, 2, 1, Cf.data(), 3);
    CHECK(Cf == std::vector<float>{0, 0, -1, 0, 0, -1});
}

TEST_CASE("matmul rejects operands it cannot multiply, naming the shapes") {
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}), zeros({4, 5})),
                         "matmul: shapes (2, 3) and (4, 5): inner sizes 3 and 4 differ", qkv::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({3}), zeros({4})), "matmul: shapes (3) and (4): inner sizes 3 and 4 differ",
                         qkv::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 3, 4}), zeros({5, 4, 6})),
                         "matmul: shapes (2, 3, 4) and (5, 4, 6): batch dims (2) and (5) cannot be broadcast",
                         qkv::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}), zeros({3, 4}, DType::Float64)),
                         Contains("float32 (2, 3) and float64 (3, 4): dtypes differ"), qkv::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}, DType::Int64), zeros({3, 4}, DType::Int64)),
                         Contains("int64 (2, 3) and int64 (3, 4): expected float32 or float64 tensors"), qkv::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({}), zeros({3})),
                         Contains("shapes () and (3): expected tensors with at least 1 dim"), qkv::Error);
    CHECK_THROWS_WITH_AS(matmul(Tensor(), zeros({3})), Contains("matmul: the tensor is undefined"), qkv::Error);
}

}  // TEST_SUITE
