// Lesson 01: the facts the program prints, checked on the very tensors it prints. Expected
// values come from the index arithmetic done by hand (offset + sum of index * stride) or from
// naive loops written here.
#include <doctest/doctest.h>

#include "lessons/01_tensors/examples.hpp"

using namespace qkv;
using namespace qkv::lesson01;

namespace {

// The storage element a multi-index of a rank-4 view reads, worked out from the layout alone.
float read_by_strides(const Tensor& t, std::int64_t i0, std::int64_t i1, std::int64_t i2, std::int64_t i3) {
    const float* base = reinterpret_cast<const float*>(t.storage()->bytes());
    const Strides& s = t.strides();
    return base[t.offset() + i0 * s[0] + i1 * s[1] + i2 * s[2] + i3 * s[3]];
}

}  // namespace

TEST_SUITE("lesson01") {

TEST_CASE("a 2x3 matrix is stored row-major with strides 3 and 1") {
    const Tensor x = matrix_2x3();
    CHECK(x.shape() == Shape{2, 3});
    CHECK(x.strides() == Strides{3, 1});  // one row is 3 elements further on
    CHECK(x.offset() == 0);
    CHECK(x.is_contiguous());
    CHECK(x.at({1, 2}) == 5.0);  // storage[1*3 + 2*1]
    CHECK(layout(x) == "shape (2, 3)  strides (3, 1)  offset 0  contiguous yes");
}

TEST_CASE("transpose swaps the strides and shares the storage") {
    const Tensor x = matrix_2x3();
    const Tensor xt = x.t();
    CHECK(xt.shape() == Shape{3, 2});
    CHECK(xt.strides() == Strides{1, 3});
    CHECK(xt.shares_storage_with(x));
    CHECK_FALSE(xt.is_contiguous());
    for (std::int64_t i = 0; i < 3; ++i)
        for (std::int64_t j = 0; j < 2; ++j) CHECK(xt.at({i, j}) == 3.0 * j + i);  // x[j, i] = 3j + i
}

TEST_CASE("a slice with a step moves the offset and multiplies the stride") {
    const SliceExample s = slice_with_step();
    CHECK(s.every_third.shape() == Shape{3});     // 1, 4, 7: positions < 10
    CHECK(s.every_third.offset() == 1);           // start 1 * stride 1
    CHECK(s.every_third.strides() == Strides{3});  // stride 1 * step 3
    CHECK(s.every_third.shares_storage_with(s.base));
    CHECK(s.every_third.to_vector<float>() == std::vector<float>{1, 4, 7});

    const Tensor cols = matrix_2x3().slice(1, 1, 3);  // columns 1 and 2
    CHECK(cols.offset() == 1);
    CHECK(cols.strides() == Strides{3, 1});
    CHECK_FALSE(cols.is_contiguous());
    CHECK(cols.to_vector<float>() == std::vector<float>{1, 2, 4, 5});
}

TEST_CASE("writing through a view changes the base tensor") {
    const WriteThroughExample w = write_through_view();
    CHECK(w.row.shares_storage_with(w.base));
    CHECK(w.row.offset() == 3);  // row 1 starts one row (3 elements) in
    CHECK(w.base.at({1, 2}) == 50.0);
    for (std::int64_t i = 0; i < 2; ++i)
        for (std::int64_t j = 0; j < 3; ++j)
            if (!(i == 1 && j == 2)) CHECK(w.base.at({i, j}) == 0.0);
}

TEST_CASE("reshape of a contiguous tensor shares its storage") {
    const ReshapeExample r = reshape_contiguous();
    CHECK(r.reshaped.shape() == Shape{3, 2});
    CHECK(r.reshaped.strides() == Strides{2, 1});
    CHECK(r.reshaped.shares_storage_with(r.source));
    CHECK(r.reshaped.to_vector<float>() == std::vector<float>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("reshape of a transposed tensor copies and view refuses") {
    const ReshapeExample r = reshape_transposed();
    CHECK_FALSE(r.reshaped.shares_storage_with(r.source));
    CHECK(r.reshaped.is_contiguous());
    // Row-major order of x.t(): x[0,0], x[1,0], x[0,1], x[1,1], x[0,2], x[1,2].
    CHECK(r.reshaped.to_vector<float>() == std::vector<float>{0, 3, 1, 4, 2, 5});
    CHECK(view_of_transposed_error().find("cannot be viewed as (6) without a copy") != std::string::npos);
    CHECK(view_of_transposed_error().find("strides (1, 3)") != std::string::npos);
}

TEST_CASE("merging heads after a transpose copies the elements into token order") {
    const ReshapeExample m = merge_heads();
    CHECK(m.source.shape() == Shape{1, 3, 2, 2});
    CHECK_FALSE(m.source.is_contiguous());
    CHECK(m.reshaped.shape() == Shape{1, 3, 4});
    CHECK_FALSE(m.reshaped.shares_storage_with(m.source));
    // The source was arange(12) as (B, H, T, d) = (1, 2, 3, 2): element (h, t, c) = 6h + 2t + c.
    // After merging, token t holds head 0's d values, then head 1's: column h*2 + c.
    for (std::int64_t t = 0; t < 3; ++t)
        for (std::int64_t h = 0; h < 2; ++h)
            for (std::int64_t c = 0; c < 2; ++c) CHECK(m.reshaped.at({0, t, h * 2 + c}) == 6.0 * h + 2.0 * t + c);
}

TEST_CASE("broadcast result shapes follow the right-aligned rule") {
    CHECK(broadcast_shapes({3, 1}, {1, 4}, "test") == Shape{3, 4});
    CHECK(broadcast_shapes({2, 3}, {3}, "test") == Shape{2, 3});
    CHECK(broadcast_shapes({4, 1, 5}, {3, 1}, "test") == Shape{4, 3, 5});
    CHECK(broadcast_shapes({2, 2, 3, 3}, {3, 3}, "test") == Shape{2, 2, 3, 3});
    CHECK_THROWS_WITH_AS(broadcast_shapes({2, 3}, {4}, "test"), doctest::Contains("sizes 3 and 4 differ"), Error);
}

TEST_CASE("the printed broadcast steps end in the library's result") {
    const std::vector<Shape> expected{{3, 4}, {2, 3}, {4, 3, 5}, {2, 2, 3, 3}};
    const std::vector<BroadcastPair> pairs = broadcast_pairs();
    REQUIRE(pairs.size() == expected.size() + 1);
    for (std::size_t n = 0; n < expected.size(); ++n) {
        const std::vector<std::string> lines = broadcast_steps(pairs[n].a, pairs[n].b);
        CHECK(lines.back() == "  result " + shape_str(expected[n]));
        CHECK(lines.size() == expected[n].size() + 2);  // the alignment, one line per dim, the result
    }
    const std::vector<std::string> bad = broadcast_steps(pairs.back().a, pairs.back().b);
    CHECK(bad[2] == "  dim 1: 3 vs 4 -> neither is 1: no broadcast");
    CHECK(bad.back().find("error: ") != std::string::npos);
}

TEST_CASE("a column plus a row gives every pairwise sum") {
    const Tensor sum = column_3x1() + row_1x4();
    REQUIRE(sum.shape() == Shape{3, 4});
    for (std::int64_t i = 0; i < 3; ++i)
        for (std::int64_t j = 0; j < 4; ++j) CHECK(sum.at({i, j}) == (i + 1) + 10.0 * (j + 1));
}

TEST_CASE("expand broadcasts with stride 0 and copies nothing") {
    const ExpandExample e = expanded_column();
    CHECK(e.expanded.shape() == Shape{3, 4});
    CHECK(e.expanded.strides() == Strides{1, 0});
    CHECK(e.expanded.shares_storage_with(e.column));
    for (std::int64_t i = 0; i < 3; ++i)
        for (std::int64_t j = 0; j < 4; ++j) CHECK(e.expanded.at({i, j}) == i + 1.0);
}

TEST_CASE("attention scores have shape B H T T and the transposed key is a view") {
    const AttentionShapes a = attention_scores();
    CHECK(a.q.shape() == Shape{2, 2, 3, 4});
    CHECK(a.k_t.shape() == Shape{2, 2, 4, 3});
    CHECK(a.k_t.strides() == Strides{24, 12, 1, 4});  // k's (24, 12, 4, 1) with the last two swapped
    CHECK(a.k_t.shares_storage_with(a.k));
    CHECK(a.scores.shape() == Shape{2, 2, 3, 3});
}

TEST_CASE("each score is the dot product of a query row and a key row") {
    const AttentionShapes a = attention_scores();
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t h = 0; h < 2; ++h)
            for (std::int64_t i = 0; i < 3; ++i)
                for (std::int64_t j = 0; j < 3; ++j) {
                    double dot = 0;
                    for (std::int64_t c = 0; c < 4; ++c)
                        dot += double(read_by_strides(a.q, b, h, i, c)) * read_by_strides(a.k, b, h, j, c);
                    CHECK(a.scores.at({b, h, i, j}) == dot);  // small integers: exact in float32
                }
}

TEST_CASE("the hand-worked score in the output is right") {
    const AttentionShapes a = attention_scores();
    // q and k hold (n mod 5) - 2 and (n mod 3) - 1 at row-major position n; q[0, 1, 2, :] starts at
    // n = 20: q = (-2, -1, 0, 1); k[0, 1, 0, :] starts at n = 12: k = (-1, 0, 1, -1).
    CHECK(score_by_hand(a, 0, 1, 2, 0) == "q[0, 1, 2, :] . k[0, 1, 0, :] = (-2)*(-1) + (-1)*(0) + (0)*(1) + (1)*(-1) = 1");
    CHECK(a.scores.at({0, 1, 2, 0}) == 1.0);
}

TEST_CASE("forgetting the key transpose is an inner size error") {
    CHECK(untransposed_matmul_error().find("inner sizes 4 and 3 differ") != std::string::npos);
}

}  // TEST_SUITE
