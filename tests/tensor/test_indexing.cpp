// Indexing ops: expected values worked out by hand on small tensors whose elements equal their
// row-major position (test::iota), naive reference loops on larger ones, and the adjoint
// identities that make scatter_add / index_add the gradients of gather / index_select.
#include <doctest/doctest.h>

#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/indexing.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using test::check_values;
using test::iota;
using test::shape_of;

namespace {

Tensor ids(std::initializer_list<double> v) { return tensor(v, DType::Int64); }
Tensor ids(std::initializer_list<std::initializer_list<double>> v) { return tensor(v, DType::Int64); }

// Row-major strides of a contiguous shape, for reference loops over flat vectors.
std::vector<std::int64_t> flat_strides(const Shape& s) { return contiguous_strides(s); }

// Unravels flat position `p` of `shape` into a multi-index.
std::vector<std::int64_t> unravel(std::int64_t p, const Shape& shape) {
    std::vector<std::int64_t> idx(shape.size());
    for (std::size_t k = shape.size(); k-- > 0;) idx[k] = p % shape[k], p /= shape[k];
    return idx;
}

std::int64_t ravel(const std::vector<std::int64_t>& idx, const Shape& shape) {
    const auto st = flat_strides(shape);
    std::int64_t p = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) p += idx[k] * st[k];
    return p;
}

double dot(const Tensor& a, const Tensor& b) {
    const auto x = a.to_vector<double>(), y = b.to_vector<double>();
    REQUIRE(x.size() == y.size());
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
    return s;
}

// A bool tensor with an irregular pattern, so a misplaced element shows.
Tensor bool_pattern(const Shape& shape) {
    std::vector<std::uint8_t> v(static_cast<std::size_t>(shape_numel(shape)));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = (i * i + 1) % 3 == 0;
    return from_vector(v, shape);
}

Tensor sample_of(const Shape& shape, DType dtype) {
    if (dtype == DType::Bool) return bool_pattern(shape);
    if (dtype == DType::Int64) return iota(shape, DType::Int64);
    return test::sample(shape, dtype);
}

}  // namespace

TEST_SUITE("tensor") {

// ---- index_select ---------------------------------------------------------------------------

TEST_CASE("index_select picks rows, repeating and reordering them") {
    const Tensor a = iota({4, 3});  // [[0 1 2] [3 4 5] [6 7 8] [9 10 11]]
    const Tensor out = index_select(a, 0, ids({2, 0, 2}));
    CHECK(shape_of(out) == "(3, 3)");
    check_values(out, {6, 7, 8, 0, 1, 2, 6, 7, 8});
}

TEST_CASE("index_select picks columns with a positive or negative dim") {
    const Tensor a = iota({4, 3});
    check_values(index_select(a, 1, ids({2, 0})), {2, 0, 5, 3, 8, 6, 11, 9});
    check_values(index_select(a, -1, ids({2, 0})), {2, 0, 5, 3, 8, 6, 11, 9});
}

TEST_CASE("index_select reads a transposed input and a strided index") {
    const Tensor at = iota({4, 3}).t();  // [[0 3 6 9] [1 4 7 10] [2 5 8 11]]
    check_values(index_select(at, 1, ids({3, 1})), {9, 3, 10, 4, 11, 5});
    const Tensor every_other = ids({1, 99, 0, 99, 1}).slice(0, 0, 5, 2);  // [1, 0, 1]
    check_values(index_select(at, 0, every_other), {1, 4, 7, 10, 0, 3, 6, 9, 1, 4, 7, 10});
}

TEST_CASE("index_select matches a reference loop along every dim, for every dtype") {
    const Shape shape{2, 3, 4};
    for (DType dtype : {DType::Float32, DType::Float64, DType::Int64, DType::Bool}) {
        const Tensor a = sample_of(shape, dtype);
        const auto av = a.to_vector<double>();
        for (std::int64_t d = 0; d < 3; ++d) {
            INFO("dtype ", dtype_name(dtype), ", dim ", d);
            const std::vector<std::int64_t> pick = {shape[d] - 1, 0, shape[d] - 1, 1};
            const Tensor out = index_select(a, d, from_vector(pick));
            CHECK(out.dtype() == dtype);
            Shape out_shape = shape;
            out_shape[d] = 4;
            REQUIRE(shape_of(out) == shape_str(out_shape));
            const auto ov = out.to_vector<double>();
            for (std::int64_t p = 0; p < shape_numel(out_shape); ++p) {
                auto idx = unravel(p, out_shape);
                idx[d] = pick[idx[d]];
                CHECK(ov[p] == av[ravel(idx, shape)]);
            }
        }
    }
}

TEST_CASE("index_select on an embedding table looks up one row per token id") {
    const Tensor weight = iota({5, 2});            // row v is [2v, 2v + 1]
    const Tensor tokens = ids({{4, 0, 1}, {1, 1, 3}});  // (B, T) = (2, 3)
    const Tensor out = index_select(weight, 0, tokens.flatten()).view({2, 3, 2});  // (B, T, C)
    check_values(out, {8, 9, 0, 1, 2, 3, 2, 3, 2, 3, 6, 7});
}

TEST_CASE("index_select with an empty index gives an empty dim") {
    const Tensor out = index_select(iota({3, 2}), 0, Tensor({0}, DType::Int64));
    CHECK(shape_of(out) == "(0, 2)");
}

TEST_CASE("index_select rejects out-of-range and badly typed indices") {
    const Tensor a = iota({10, 2});
    CHECK_THROWS_WITH_AS(index_select(a, 0, ids({3, 12})),
                         doctest::Contains("index_select: index 12 out of range for dim 0 of size 10"), Error);
    CHECK_THROWS_WITH_AS(index_select(a, 1, ids({-1})),
                         doctest::Contains("index_select: index -1 out of range for dim 1 of size 2"), Error);
    CHECK_THROWS_WITH_AS(index_select(a, 0, tensor({1.0})), doctest::Contains("index must be int64, got float32 (1)"),
                         Error);
    CHECK_THROWS_WITH_AS(index_select(a, 0, ids({{1, 2}})), doctest::Contains("index must be 1-d, got shape (1, 2)"),
                         Error);
    CHECK_THROWS_WITH_AS(index_select(a, 2, ids({0})), doctest::Contains("dim 2 out of range for a tensor of 2 dims"),
                         Error);
}

// ---- gather / scatter_add -------------------------------------------------------------------

TEST_CASE("gather along dim 1 reads a(i, index(i, j)) and along dim 0 a(index(i, j), j)") {
    const Tensor a = tensor({{1, 2}, {3, 4}});
    check_values(gather(a, 1, ids({{0, 0}, {1, 0}})), {1, 1, 4, 3});
    check_values(gather(a, 0, ids({{1, 0}, {0, 0}})), {3, 2, 1, 2});
}

TEST_CASE("gather takes an index smaller than the input, or longer along dim") {
    const Tensor a = iota({3, 4});  // [[0 1 2 3] [4 5 6 7] [8 9 10 11]]
    const Tensor small = gather(a, 1, ids({{3, 0}, {1, 1}}));
    CHECK(shape_of(small) == "(2, 2)");
    check_values(small, {3, 0, 5, 5});
    check_values(gather(a, 1, ids({{0, 1, 2, 3, 3, 0}})), {0, 1, 2, 3, 3, 0});
}

TEST_CASE("gather matches a reference loop on a non-contiguous input and index") {
    const Tensor a = test::sample({4, 3, 5}, DType::Float64).permute({2, 0, 1});  // (5, 4, 3)
    const Tensor index = tensor({{{0, 4, 2}, {3, 3, 1}}, {{1, 0, 0}, {2, 4, 3}}}, DType::Int64).transpose(0, 2);
    // index has shape (3, 2, 2); along dim 0 it may reach 0..4
    const Tensor out = gather(a, 0, index);
    CHECK(shape_of(out) == "(3, 2, 2)");
    std::vector<double> expected;  // (3, 2, 2): out[i, j, k] = a[index[i, j, k], j, k]
    for (std::int64_t i = 0; i < 3; ++i)
        for (std::int64_t j = 0; j < 2; ++j)
            for (std::int64_t k = 0; k < 2; ++k) {
                const auto src = static_cast<std::int64_t>(index.at({i, j, k}));
                expected.push_back(a.at({src, j, k}));
            }
    test::check_close("gather", expected, out, 0, 0);
}

TEST_CASE("gather rejects a wrong rank, an index larger than the input, and out-of-range values") {
    const Tensor a = iota({3, 4});
    CHECK_THROWS_WITH_AS(gather(a, 0, ids({0, 1})), doctest::Contains("gather: index (2) must have the rank of the input (3, 4)"),
                         Error);
    CHECK_THROWS_WITH_AS(gather(a, 0, Tensor({2, 5}, DType::Int64)),
                         doctest::Contains("index (2, 5) is larger than the input (3, 4) at dim 1"), Error);
    CHECK_THROWS_WITH_AS(gather(a, 0, ids({{0, 3}})), doctest::Contains("gather: index 3 out of range for dim 0 of size 3"),
                         Error);
}

TEST_CASE("scatter_add accumulates repeated indices into a fresh copy of the input") {
    const Tensor a = tensor({10, 20, 30, 40, 50});
    const Tensor out = scatter_add(a, 0, ids({0, 1, 0, 4, 0}), tensor({1, 2, 3, 4, 5}));
    check_values(out, {10 + 1 + 3 + 5, 20 + 2, 30, 40, 50 + 4});
    check_values(a, {10, 20, 30, 40, 50});  // the input is untouched
    CHECK_FALSE(out.shares_storage_with(a));
}

TEST_CASE("scatter_add along dim 1 uses the leading corner of a larger src") {
    const Tensor a = zeros({2, 3});
    const Tensor src = tensor({{1, 2, 100}, {3, 4, 100}});  // the third column lies outside the index
    check_values(scatter_add(a, 1, ids({{0, 0}, {2, 1}}), src), {1 + 2, 0, 0, 0, 4, 3});
}

TEST_CASE("scatter_add counts token ids in int64") {
    const Tensor tokens = ids({3, 1, 3, 3, 0});
    check_values(scatter_add(zeros({4}, DType::Int64), 0, tokens, ones({5}, DType::Int64)), {1, 1, 0, 3});
}

TEST_CASE("scatter_add is the adjoint of gather: <gather(a), g> == <a, scatter_add(0, g)>") {
    const Tensor a = test::sample({3, 4}, DType::Float64);
    const Tensor idx0 = ids({{2, 0, 1, 1}, {0, 0, 2, 1}, {2, 2, 2, 0}, {1, 0, 0, 0}, {2, 1, 0, 2}});  // (5, 4)
    const Tensor g0 = test::sample({5, 4}, DType::Float64, 1.0);
    CHECK(dot(gather(a, 0, idx0), g0) == doctest::Approx(dot(a, scatter_add(zeros({3, 4}, DType::Float64), 0, idx0, g0))));
    const Tensor idx1 = ids({{3, 3}, {0, 1}, {2, 3}});  // (3, 2)
    const Tensor g1 = test::sample({3, 2}, DType::Float64, 2.0);
    CHECK(dot(gather(a, 1, idx1), g1) == doctest::Approx(dot(a, scatter_add(zeros({3, 4}, DType::Float64), 1, idx1, g1))));
}

TEST_CASE("scatter_add rejects mismatched dtypes, a small src, bool tensors and bad indices") {
    const Tensor a = zeros({3});
    CHECK_THROWS_WITH_AS(scatter_add(a, 0, ids({0}), tensor({1.0}, DType::Float64)),
                         doctest::Contains("scatter_add: src float64 (1) must have the dtype of the input float32 (3)"),
                         Error);
    CHECK_THROWS_WITH_AS(scatter_add(a, 0, ids({0, 1}), tensor({1.0})),
                         doctest::Contains("src (1) must be at least as large as the index (2)"), Error);
    CHECK_THROWS_WITH_AS(scatter_add(zeros({3}, DType::Bool), 0, ids({0}), zeros({1}, DType::Bool)),
                         doctest::Contains("scatter_add: dtype bool is not supported"), Error);
    CHECK_THROWS_WITH_AS(scatter_add(a, 0, ids({5}), tensor({1.0})),
                         doctest::Contains("scatter_add: index 5 out of range for dim 0 of size 3"), Error);
}

// ---- index_add ------------------------------------------------------------------------------

TEST_CASE("index_add adds slices of src into the rows the index names") {
    const Tensor src = tensor({{1, 2}, {3, 4}, {5, 6}});
    const Tensor out = index_add({3, 2}, 0, ids({2, 0, 2}), src);
    CHECK(shape_of(out) == "(3, 2)");
    check_values(out, {3, 4, 0, 0, 1 + 5, 2 + 6});
    check_values(index_add({2, 3}, 1, ids({1, 1}), tensor({{1, 2}, {3, 4}})), {0, 3, 0, 0, 7, 0});
}

TEST_CASE("index_add is the adjoint of index_select, on a transposed src") {
    const Tensor a = test::sample({5, 6}, DType::Float64);
    const Tensor pick = ids({4, 0, 4, 2});
    for (std::int64_t d : {0, 1}) {
        Shape out_shape = a.shape();
        out_shape[d] = 4;
        // g laid out transposed, to exercise a non-contiguous src
        const Tensor g = test::sample({out_shape[1], out_shape[0]}, DType::Float64, 0.5).t();
        CHECK(dot(index_select(a, d, pick), g) == doctest::Approx(dot(a, index_add(a.shape(), d, pick, g))));
    }
}

TEST_CASE("index_add rejects a src of the wrong shape and out-of-range indices") {
    CHECK_THROWS_WITH_AS(index_add({3, 2}, 0, ids({0, 1}), zeros({3, 2})),
                         doctest::Contains("index_add: src (3, 2) does not match (2, 2)"), Error);
    CHECK_THROWS_WITH_AS(index_add({3, 2}, 0, ids({3}), zeros({1, 2})),
                         doctest::Contains("index_add: index 3 out of range for dim 0 of size 3"), Error);
}

// ---- concat / stack -------------------------------------------------------------------------

TEST_CASE("concat joins along dim 0, dim 1 and dim -1") {
    const Tensor a = tensor({{1, 2}, {3, 4}});
    check_values(concat({a, tensor({{5, 6}})}, 0), {1, 2, 3, 4, 5, 6});
    const Tensor right = tensor({7, 8}).view({2, 1});  // [[7] [8]]
    const Tensor joined = concat({a, right}, 1);
    CHECK(shape_of(joined) == "(2, 3)");
    check_values(joined, {1, 2, 7, 3, 4, 8});
    check_values(concat({a, right}, -1), {1, 2, 7, 3, 4, 8});
}

TEST_CASE("concat copies non-contiguous parts and returns fresh storage") {
    const Tensor a = iota({2, 3});              // [[0 1 2] [3 4 5]]
    const Tensor out = concat({a.t(), a.t().slice(0, 0, 3, 2)}, 0);  // (3, 2) then rows 0 and 2
    CHECK(shape_of(out) == "(5, 2)");
    check_values(out, {0, 3, 1, 4, 2, 5, 0, 3, 2, 5});
    CHECK_FALSE(out.shares_storage_with(a));
}

TEST_CASE("concat works on bool and int64, and with empty parts") {
    const Tensor m = concat({tensor({1, 0}, DType::Bool), tensor({0}, DType::Bool), Tensor({0}, DType::Bool)}, 0);
    CHECK(m.dtype() == DType::Bool);
    check_values(m, {1, 0, 0});
    check_values(concat({ids({5, 6}), ids({7})}, 0), {5, 6, 7});
}

TEST_CASE("concat names the part whose shape or dtype does not fit") {
    CHECK_THROWS_WITH_AS(concat({zeros({2, 3}), zeros({2, 3}), zeros({2, 4})}, 0),
                         doctest::Contains("concat: part 2 has shape (2, 4) but part 0 has (2, 3); they may differ only at dim 0"),
                         Error);
    CHECK_THROWS_WITH_AS(concat({zeros({2}), zeros({2, 1})}, 0), doctest::Contains("part 1 has shape (2, 1)"), Error);
    CHECK_THROWS_WITH_AS(concat({zeros({2}), zeros({2}, DType::Int64)}, 0),
                         doctest::Contains("concat: part 1 has dtype int64 but part 0 has float32"), Error);
    CHECK_THROWS_WITH_AS(concat({}, 0), doctest::Contains("concat: needs at least one tensor"), Error);
    CHECK_THROWS_WITH_AS(concat({zeros({2, 2})}, -3), doctest::Contains("dim -3 out of range for a tensor of 2 dims"),
                         Error);
}

TEST_CASE("stack joins equal shapes along a new first, last or middle dim") {
    const Tensor a = tensor({1, 2, 3}), b = tensor({4, 5, 6});
    const Tensor rows = stack({a, b}, 0);
    CHECK(shape_of(rows) == "(2, 3)");
    check_values(rows, {1, 2, 3, 4, 5, 6});
    const Tensor cols = stack({a, b}, -1);
    CHECK(shape_of(cols) == "(3, 2)");
    check_values(cols, {1, 4, 2, 5, 3, 6});
    const Tensor mid = stack({iota({2, 2}), iota({2, 2}) + 10.0}, 1);  // [i][k][j]
    CHECK(shape_of(mid) == "(2, 2, 2)");
    check_values(mid, {0, 1, 10, 11, 2, 3, 12, 13});
}

TEST_CASE("stack requires equal shapes") {
    CHECK_THROWS_WITH_AS(stack({zeros({3}), zeros({4})}, 0),
                         doctest::Contains("stack: part 1 has shape (4) but part 0 has (3)"), Error);
}

// ---- split / chunk --------------------------------------------------------------------------

TEST_CASE("split cuts pieces of the given size, the last one shorter, as views") {
    const Tensor a = iota({5});
    const auto pieces = split(a, 2, 0);
    REQUIRE(pieces.size() == 3);
    check_values(pieces[0], {0, 1});
    check_values(pieces[1], {2, 3});
    check_values(pieces[2], {4});
    Tensor middle = pieces[1];
    middle.set({0}, 42.0);  // writes through to `a`
    CHECK(a.at({2}) == 42.0);
}

TEST_CASE("split along dim 1 of a matrix") {
    const auto pieces = split(iota({2, 5}), 2, -1);
    REQUIRE(pieces.size() == 3);
    CHECK(shape_of(pieces[0]) == "(2, 2)");
    CHECK(shape_of(pieces[2]) == "(2, 1)");
    check_values(pieces[1], {2, 3, 7, 8});
    check_values(pieces[2], {4, 9});
}

TEST_CASE("split of an empty dim gives one empty piece") {
    const auto pieces = split(zeros({0, 3}), 2, 0);
    REQUIRE(pieces.size() == 1);
    CHECK(shape_of(pieces[0]) == "(0, 3)");
}

TEST_CASE("chunk makes pieces of ceil(n / chunks), so there may be fewer pieces than asked") {
    auto sizes = [](const std::vector<Tensor>& pieces) {
        std::vector<std::int64_t> s;
        for (const auto& p : pieces) s.push_back(p.size(0));
        return s;
    };
    CHECK(sizes(chunk(iota({6}), 3, 0)) == std::vector<std::int64_t>{2, 2, 2});
    CHECK(sizes(chunk(iota({5}), 4, 0)) == std::vector<std::int64_t>{2, 2, 1});
    CHECK(sizes(chunk(iota({2}), 5, 0)) == std::vector<std::int64_t>{1, 1});
    // q, k, v from one (T, 3C) projection: chunk along the last dim
    const auto qkv = chunk(iota({2, 6}), 3, -1);
    check_values(qkv[2], {4, 5, 10, 11});
    CHECK(qkv[2].shares_storage_with(qkv[0]));
}

TEST_CASE("split and chunk reject sizes below 1") {
    CHECK_THROWS_WITH_AS(split(iota({4}), 0, 0), doctest::Contains("split: piece size must be >= 1, got 0"), Error);
    CHECK_THROWS_WITH_AS(chunk(iota({4}), 0, 0), doctest::Contains("chunk: number of chunks must be >= 1, got 0"), Error);
}

// ---- one_hot --------------------------------------------------------------------------------

TEST_CASE("one_hot puts a single 1 at each index") {
    const Tensor out = one_hot(ids({2, 0, 1}), 3);
    CHECK(out.dtype() == DType::Float32);
    CHECK(shape_of(out) == "(3, 3)");
    check_values(out, {0, 0, 1, 1, 0, 0, 0, 1, 0});
}

TEST_CASE("one_hot of a 2-d, strided index appends the class dim, in any dtype") {
    const Tensor index = ids({{3, 0}, {1, 3}}).t();  // [[3 1] [0 3]]
    const Tensor out = one_hot(index, 4, DType::Int64);
    CHECK(out.dtype() == DType::Int64);
    CHECK(shape_of(out) == "(2, 2, 4)");
    check_values(out, {0, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1});
}

TEST_CASE("one_hot rejects negative indices, indices >= num_classes and non-int64 input") {
    CHECK_THROWS_WITH_AS(one_hot(ids({0, -1}), 3), doctest::Contains("one_hot: index -1 out of range for 3 classes"), Error);
    CHECK_THROWS_WITH_AS(one_hot(ids({3}), 3), doctest::Contains("one_hot: index 3 out of range for 3 classes"), Error);
    CHECK_THROWS_WITH_AS(one_hot(tensor({1.0}), 3), doctest::Contains("one_hot: index must be int64"), Error);
    CHECK_THROWS_WITH_AS(one_hot(ids({0}), 0), doctest::Contains("num_classes must be >= 1, got 0"), Error);
}

// ---- triu / tril ----------------------------------------------------------------------------

TEST_CASE("triu keeps the k-th diagonal and above") {
    const Tensor a = iota({3, 4});  // [[0 1 2 3] [4 5 6 7] [8 9 10 11]]
    check_values(triu(a), {0, 1, 2, 3, 0, 5, 6, 7, 0, 0, 10, 11});
    check_values(triu(a, 1), {0, 1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 11});
    check_values(triu(a, -1), {0, 1, 2, 3, 4, 5, 6, 7, 0, 9, 10, 11});
    check_values(triu(a, -10), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    check_values(triu(a, 10), std::vector<double>(12, 0.0));
}

TEST_CASE("tril keeps the k-th diagonal and below") {
    const Tensor a = iota({3, 4});
    check_values(tril(a), {0, 0, 0, 0, 4, 5, 0, 0, 8, 9, 10, 0});
    check_values(tril(a, 1), {0, 1, 0, 0, 4, 5, 6, 0, 8, 9, 10, 11});
    check_values(tril(a, -1), {0, 0, 0, 0, 4, 0, 0, 0, 8, 9, 0, 0});
    check_values(tril(a, -10), std::vector<double>(12, 0.0));
}

TEST_CASE("triu(ones(T, T) bool, 1) is the causal mask: true where a query would see the future") {
    const Tensor mask = triu(ones({3, 3}, DType::Bool), 1);
    CHECK(mask.dtype() == DType::Bool);
    check_values(mask, {0, 1, 1, 0, 0, 1, 0, 0, 0});
}

TEST_CASE("triu and tril act on each matrix of a batch, for int64 and transposed inputs") {
    const Tensor batch = iota({2, 2, 2}, DType::Int64);  // [[[0 1] [2 3]] [[4 5] [6 7]]]
    const Tensor low = tril(batch);
    CHECK(low.dtype() == DType::Int64);
    check_values(low, {0, 0, 2, 3, 4, 0, 6, 7});
    const Tensor at = iota({3, 3}).t();  // [[0 3 6] [1 4 7] [2 5 8]]
    const Tensor up = triu(at);
    check_values(up, {0, 3, 6, 0, 4, 7, 0, 0, 8});
    CHECK_FALSE(up.shares_storage_with(at));
    check_values(at, {0, 3, 6, 1, 4, 7, 2, 5, 8});  // the input is untouched
}

TEST_CASE("triu and tril need at least 2 dims") {
    CHECK_THROWS_WITH_AS(triu(iota({3})), doctest::Contains("triu: expected at least 2 dims, got shape (3)"), Error);
    CHECK_THROWS_WITH_AS(tril(iota({})), doctest::Contains("tril: expected at least 2 dims, got shape ()"), Error);
}

}  // TEST_SUITE
