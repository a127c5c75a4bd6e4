// Views (reshape, transpose, slice, expand, ...), single-element access, and the copies
// contiguous / clone / to / copy_. Most inputs are iota tensors, whose element values equal their
// row-major position, so the expected values of a view can be read off the index arithmetic.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tests/tensor/check.hpp"

using namespace qkv;
using qkv::test::check_values;
using qkv::test::iota;
using qkv::test::shape_of;
using doctest::Contains;

TEST_SUITE("tensor") {

// ---- strides of views ----------------------------------------------------------------------

TEST_CASE("transpose swaps sizes and strides and shares the storage") {
    const Tensor x = iota({2, 3, 4});  // strides (12, 4, 1)
    const Tensor y = x.transpose(0, 2);
    CHECK(shape_of(y) == "(4, 3, 2)");
    CHECK(shape_str(y.strides()) == "(1, 4, 12)");
    CHECK(y.shares_storage_with(x));
    CHECK_FALSE(y.is_contiguous());
    // y[3, 1, 0] is x[0, 1, 3] = 0*12 + 1*4 + 3.
    CHECK(y.at({3, 1, 0}) == 7);
    CHECK(shape_of(x.transpose(-1, -2)) == "(2, 4, 3)");
    const Tensor m = iota({2, 3});
    CHECK(shape_of(m.t()) == "(3, 2)");
    check_values(m.t(), {0, 3, 1, 4, 2, 5});
}

TEST_CASE("permute reorders sizes and strides and accepts negative dims") {
    const Tensor x = iota({2, 3, 4});
    const Tensor y = x.permute({2, 0, 1});
    CHECK(shape_of(y) == "(4, 2, 3)");
    CHECK(shape_str(y.strides()) == "(1, 12, 4)");
    CHECK(y.shares_storage_with(x));
    CHECK(y.at({3, 1, 2}) == 1 * 12 + 2 * 4 + 3);
    CHECK(shape_str(x.permute({-1, 0, -2}).strides()) == "(1, 12, 4)");
}

TEST_CASE("slice with a step multiplies the stride and moves the offset") {
    const Tensor x = iota({10});
    const Tensor y = x.slice(0, 1, 8, 3);
    CHECK(shape_of(y) == "(3)");
    CHECK(y.stride(0) == 3);
    CHECK(y.offset() == 1);
    check_values(y, {1, 4, 7});

    const Tensor m = iota({4, 5});
    const Tensor cols = m.slice(1, 1, 5, 2);  // columns 1 and 3
    CHECK(shape_of(cols) == "(4, 2)");
    CHECK(shape_str(cols.strides()) == "(5, 2)");
    CHECK(cols.offset() == 1);
    check_values(cols, {1, 3, 6, 8, 11, 13, 16, 18});
    // A step that does not divide the length rounds the count up: 0, 3 of 0..4.
    CHECK(shape_of(m.slice(1, 0, 5, 3)) == "(4, 2)");
}

TEST_CASE("select drops the dim and moves the offset") {
    const Tensor x = iota({2, 3, 4});
    const Tensor y = x.select(1, 2);
    CHECK(shape_of(y) == "(2, 4)");
    CHECK(shape_str(y.strides()) == "(12, 1)");
    CHECK(y.offset() == 8);
    check_values(y, {8, 9, 10, 11, 20, 21, 22, 23});
    check_values(x.select(1, -1), {8, 9, 10, 11, 20, 21, 22, 23});
    check_values(x.select(-1, 0), {0, 4, 8, 12, 16, 20});
    // Selecting the only dim of a 1-d tensor gives a 0-d tensor.
    const Tensor e = iota({5}).select(0, 3);
    CHECK(e.dim() == 0);
    CHECK(e.item() == 3);
}

TEST_CASE("unsqueeze inserts a size-1 dim at any position and stays contiguous") {
    const Tensor x = iota({2, 3});
    CHECK(shape_of(x.unsqueeze(0)) == "(1, 2, 3)");
    CHECK(shape_of(x.unsqueeze(1)) == "(2, 1, 3)");
    CHECK(shape_of(x.unsqueeze(2)) == "(2, 3, 1)");
    CHECK(shape_of(x.unsqueeze(-1)) == "(2, 3, 1)");
    CHECK(shape_of(x.unsqueeze(-3)) == "(1, 2, 3)");
    CHECK(x.unsqueeze(1).is_contiguous());
    CHECK(x.unsqueeze(1).shares_storage_with(x));
    check_values(x.unsqueeze(1), {0, 1, 2, 3, 4, 5});
    CHECK_THROWS_WITH_AS(x.unsqueeze(3), Contains("unsqueeze: dim 3 out of range"), Error);
    CHECK(shape_of(scalar(2).unsqueeze(0)) == "(1)");
}

TEST_CASE("expand gives stride 0 along broadcast dims") {
    const Tensor x = iota({3, 1});
    const Tensor y = x.expand({2, 3, 4});
    CHECK(shape_of(y) == "(2, 3, 4)");
    CHECK(shape_str(y.strides()) == "(0, 1, 0)");
    CHECK(y.shares_storage_with(x));
    CHECK_FALSE(y.is_contiguous());
    // Element [i, j, k] is x[j, 0] = j.
    std::vector<double> expected;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) expected.push_back(j);
    check_values(y, expected);
    // -1 keeps a size.
    CHECK(shape_of(x.expand({-1, 4})) == "(3, 4)");
    CHECK(shape_of(scalar(1).expand({2, 2})) == "(2, 2)");
}

// ---- writing through views -----------------------------------------------------------------

TEST_CASE("a view of a view writes through to the original storage") {
    Tensor base = zeros({3, 4});
    // base.t() is (4, 3); rows 1 and 3 of it are columns 1 and 3 of base; row 1 of that is column 3.
    Tensor col3 = base.t().slice(0, 1, 4, 2).select(0, 1);
    CHECK(shape_of(col3) == "(3)");
    col3.set({2}, 5);
    col3.set({-3}, 7);
    CHECK(base.at({2, 3}) == 5);
    CHECK(base.at({0, 3}) == 7);
    // Reading goes the other way too: a write to the base shows in the view.
    base.set({1, 3}, -1);
    CHECK(col3.at({1}) == -1);
    // Nothing else was touched.
    check_values(base, {0, 0, 0, 7, 0, 0, 0, -1, 0, 0, 0, 5});
}

TEST_CASE("a write through an expanded view lands on the one shared element") {
    Tensor x = zeros({3});
    Tensor y = x.unsqueeze(0).expand({4, 3});
    y.set({2, 1}, 9);
    check_values(x, {0, 9, 0});
    CHECK(y.at({0, 1}) == 9);
}

// ---- reshape and view ----------------------------------------------------------------------

TEST_CASE("reshape of a contiguous tensor is a view") {
    const Tensor x = iota({2, 3, 4});
    const Tensor y = x.reshape({4, 6});
    CHECK(shape_of(y) == "(4, 6)");
    CHECK(y.shares_storage_with(x));
    CHECK(y.is_contiguous());
    CHECK(y.at({1, 2}) == 8);
    CHECK(x.view({24}).shares_storage_with(x));
    // An offset view that is contiguous keeps its offset.
    const Tensor row = x.select(0, 1);
    const Tensor r = row.reshape({12});
    CHECK(r.shares_storage_with(x));
    CHECK(r.at({0}) == 12);
}

TEST_CASE("reshape of a transposed tensor copies while view refuses and points to reshape") {
    const Tensor x = iota({2, 3});
    const Tensor y = x.t().reshape({6});
    CHECK_FALSE(y.shares_storage_with(x));
    check_values(y, {0, 3, 1, 4, 2, 5});
    CHECK_THROWS_WITH_AS(x.t().view({6}), Contains("view: a tensor of shape (3, 2)"), Error);
    CHECK_THROWS_WITH_AS(x.t().view({6}), Contains("reshape"), Error);
    // An expanded tensor cannot merge its stride-0 dim with a real one either.
    const Tensor e = iota({3}).expand({2, 3});
    CHECK_FALSE(e.reshape({6}).shares_storage_with(e));
    check_values(e.reshape({6}), {0, 1, 2, 0, 1, 2});
}

TEST_CASE("view splits and merges dims of a permuted layout when memory allows it") {
    // (2, 3, 4) permuted to (4, 2, 3) has strides (1, 12, 4); its last two dims are one run in
    // memory (12 == 4 * 3), so they merge into one dim of 6 with stride 4.
    const Tensor x = iota({2, 3, 4});
    const Tensor p = x.permute({2, 0, 1});
    const Tensor merged = p.view({4, 6});
    CHECK(merged.shares_storage_with(x));
    CHECK(shape_str(merged.strides()) == "(1, 4)");
    qkv::test::check_same(merged, p.contiguous().view({4, 6}));

    // A transposed (6, 4) has strides (1, 6); its first dim splits into (2, 3) with strides (3, 1).
    const Tensor tt = iota({4, 6}).t();
    const Tensor split = tt.view({2, 3, 4});
    CHECK(split.shares_storage_with(tt));
    CHECK(shape_str(split.strides()) == "(3, 1, 6)");
    qkv::test::check_same(split, tt.contiguous().view({2, 3, 4}));

    // Size-1 dims may be added anywhere.
    const Tensor with_ones = p.view({1, 4, 1, 6, 1});
    CHECK(with_ones.shares_storage_with(x));
    qkv::test::check_same(with_ones, p.contiguous().view({1, 4, 1, 6, 1}));

    // But the first two dims of p (strides 1 and 12) are not one run.
    CHECK_THROWS_WITH_AS(p.view({8, 3}), Contains("without a copy"), Error);
    qkv::test::check_same(p.reshape({8, 3}), p.contiguous().view({8, 3}));
}

namespace {
// A tiny deterministic generator for the randomised layout test (any fixed sequence will do).
struct Lcg {
    std::uint64_t state = 12345;
    std::int64_t below(std::int64_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::int64_t>((state >> 33) % static_cast<std::uint64_t>(n));
    }
    // Fisher-Yates.
    template <class V> void shuffle(V& v) {
        for (std::size_t i = v.size(); i > 1; --i)
            std::swap(v[i - 1], v[static_cast<std::size_t>(below(static_cast<std::int64_t>(i)))]);
    }
};

// A random chain of views (permute, stepped slice, unsqueeze, expand) over a random iota tensor.
Tensor random_view(Lcg& rng) {
    Shape shape;
    for (std::int64_t k = 0, nd = 1 + rng.below(4); k < nd; ++k) shape.push_back(1 + rng.below(4));
    Tensor x = iota(shape, DType::Float64);
    for (int step = 0; step < 3; ++step) {
        const std::int64_t kind = rng.below(4);
        if (kind == 0) {
            std::vector<std::int64_t> order(static_cast<std::size_t>(x.dim()));
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
            rng.shuffle(order);
            x = x.permute(order);
        } else if (kind == 1 && x.dim() > 0) {
            const std::int64_t d = rng.below(x.dim()), n = x.size(d);
            x = x.slice(d, rng.below(n), n, 1 + rng.below(2));
        } else if (kind == 2) {
            x = x.unsqueeze(rng.below(x.dim() + 1));
        } else if (kind == 3 && x.dim() > 0) {
            const std::int64_t d = rng.below(x.dim());
            Shape target = x.shape();
            if (target[static_cast<std::size_t>(d)] == 1) target[static_cast<std::size_t>(d)] = 1 + rng.below(3);
            x = x.expand(target);
        }
    }
    return x;
}

// A random shape with `n` elements: random divisors of what is left, in random order.
Shape random_shape_of(std::int64_t n, Lcg& rng) {
    Shape shape;
    for (std::int64_t k = 0, parts = rng.below(4); k < parts; ++k) {
        std::vector<std::int64_t> divisors;
        for (std::int64_t d = 1; d <= n; ++d)
            if (n % d == 0) divisors.push_back(d);
        const std::int64_t d = divisors[static_cast<std::size_t>(rng.below(static_cast<std::int64_t>(divisors.size())))];
        shape.push_back(d);
        n /= d;
    }
    shape.push_back(n);
    rng.shuffle(shape);
    return shape;
}
}  // namespace

TEST_CASE("view and reshape of random view chains read the elements in row-major order") {
    // Whatever the layout, x.view(s) (when it succeeds) and x.reshape(s) must hold exactly the
    // elements of x.contiguous() in order; a successful view must not copy.
    Lcg rng;
    int views = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        const Tensor x = random_view(rng);
        const Shape target = random_shape_of(x.numel(), rng);
        INFO("trial ", trial, ": ", shape_of(x), " strides ", shape_str(x.strides()), " to ", shape_str(target));
        const std::vector<double> expected = x.contiguous().to_vector<double>();
        const Tensor r = x.reshape(target);
        CHECK(shape_of(r) == shape_str(target));
        CHECK(r.to_vector<double>() == expected);
        try {
            const Tensor v = x.view(target);
            ++views;
            CHECK(v.shares_storage_with(x));
            CHECK(v.to_vector<double>() == expected);
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("without a copy") != std::string::npos);
        }
    }
    CHECK(views > 1000);  // the test exercises the no-copy path, not just the error
}

TEST_CASE("reshape infers one -1 size and rejects sizes that do not fit") {
    const Tensor x = iota({2, 3, 4});
    CHECK(shape_of(x.reshape({-1, 4})) == "(6, 4)");
    CHECK(shape_of(x.reshape({2, -1})) == "(2, 12)");
    CHECK(shape_of(x.reshape({-1})) == "(24)");
    CHECK(shape_of(x.view({2, -1, 3})) == "(2, 4, 3)");
    CHECK_THROWS_WITH_AS(x.reshape({-1, -1}), Contains("reshape: only one size may be -1, got (-1, -1)"), Error);
    CHECK_THROWS_WITH_AS(x.reshape({-1, 5}), Contains("reshape: cannot reshape (2, 3, 4) (24 elements) to (-1, 5)"),
                         Error);
    CHECK_THROWS_WITH_AS(x.reshape({5, 5}), Contains("cannot reshape (2, 3, 4) (24 elements) to (5, 5) (25 elements)"),
                         Error);
    CHECK_THROWS_WITH_AS(x.view({-2, 12}), Contains("view: invalid size -2"), Error);
    // With a zero among the known sizes, -1 could be anything.
    CHECK_THROWS_AS(zeros({0, 3}).reshape({0, -1}), Error);
    CHECK(shape_of(zeros({0, 3}).reshape({3, 0})) == "(3, 0)");
    // One element reshapes to and from 0-d.
    CHECK(scalar(4).reshape({1, 1}).at({0, 0}) == 4);
    CHECK(iota({1, 1}).reshape({}).dim() == 0);
}

// ---- slicing bounds ------------------------------------------------------------------------

TEST_CASE("slice bounds follow Python: negative counts from the end and out-of-range clamps") {
    const Tensor x = iota({5});
    check_values(x.slice(0, -3, 100), {2, 3, 4});
    check_values(x.slice(0, -100, 2), {0, 1});
    check_values(x.slice(0, 1, -1), {1, 2, 3});
    check_values(x.slice(0, -100, 100, 2), {0, 2, 4});
    CHECK(shape_of(x.slice(0, 4, 2)) == "(0)");
    CHECK(shape_of(x.slice(0, 10, 20)) == "(0)");
    CHECK(shape_of(x.slice(0, 5, 5)) == "(0)");
    CHECK_THROWS_WITH_AS(x.slice(0, 0, 5, 0), Contains("slice: step must be >= 1, got 0"), Error);
    CHECK_THROWS_WITH_AS(x.slice(1, 0, 5), Contains("slice: dim 1 out of range for a tensor of 1 dims"), Error);
}

TEST_CASE("narrow takes length elements from start") {
    const Tensor x = iota({2, 5});
    const Tensor y = x.narrow(1, 1, 3);
    CHECK(shape_of(y) == "(2, 3)");
    CHECK(y.shares_storage_with(x));
    check_values(y, {1, 2, 3, 6, 7, 8});
    CHECK(shape_of(x.narrow(-1, 5, 0)) == "(2, 0)");
}

// ---- squeeze, flatten ------------------------------------------------------------------------

TEST_CASE("squeeze drops every size-1 dim or only the one named") {
    const Tensor x = zeros({1, 3, 1, 2});
    CHECK(shape_of(x.squeeze()) == "(3, 2)");
    CHECK(shape_of(x.squeeze(0)) == "(3, 1, 2)");
    CHECK(shape_of(x.squeeze(-2)) == "(1, 3, 2)");
    CHECK(shape_of(x.squeeze(1)) == "(1, 3, 1, 2)");  // size 3: unchanged
    CHECK(x.squeeze().shares_storage_with(x));
    CHECK(zeros({1, 1}).squeeze().dim() == 0);
    const Tensor y = iota({2, 1, 3}).squeeze(1);
    check_values(y, {0, 1, 2, 3, 4, 5});
}

TEST_CASE("flatten merges a range of dims") {
    const Tensor x = iota({2, 3, 4});
    CHECK(shape_of(x.flatten()) == "(24)");
    CHECK(shape_of(x.flatten(1)) == "(2, 12)");
    CHECK(shape_of(x.flatten(0, 1)) == "(6, 4)");
    CHECK(shape_of(x.flatten(-2, -1)) == "(2, 12)");
    CHECK(shape_of(x.flatten(1, 1)) == "(2, 3, 4)");
    CHECK(x.flatten().shares_storage_with(x));
    CHECK(shape_of(scalar(3).flatten()) == "(1)");
    check_values(iota({2, 3}).t().flatten(), {0, 3, 1, 4, 2, 5});
    CHECK_THROWS_WITH_AS(x.flatten(2, 1), Contains("flatten: start_dim 2 comes after end_dim 1"), Error);
}

// ---- errors -------------------------------------------------------------------------------------

TEST_CASE("view errors name the op and the shape and the offending value") {
    const Tensor x = iota({2, 3});
    CHECK_THROWS_WITH_AS(iota({2, 3, 4}).permute({0, 0, 1}), Contains("permute: dim 0 appears twice in the order (0, 0, 1)"),
                         Error);
    CHECK_THROWS_WITH_AS(x.permute({0}), Contains("permute: order has 1 entries for a tensor of shape (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(x.permute({0, 2}), Contains("permute: dim 2 out of range"), Error);
    CHECK_THROWS_WITH_AS(x.select(1, 3), Contains("select: index 3 out of range for dim 1 of size 3"), Error);
    CHECK_THROWS_WITH_AS(x.select(1, -4), Contains("select: index -4 out of range for dim 1 of size 3"), Error);
    CHECK_THROWS_WITH_AS(x.expand({4, 3}), Contains("expand: cannot expand shape (2, 3) to (4, 3): size 2 at dim 0 is not 1"),
                         Error);
    CHECK_THROWS_WITH_AS(x.expand({3}), Contains("expand: cannot expand shape (2, 3) to fewer dims (3)"), Error);
    CHECK_THROWS_WITH_AS(x.narrow(1, 2, 2), Contains("narrow: start 2 and length 2 do not fit dim 1 of size 3"), Error);
    CHECK_THROWS_WITH_AS(x.transpose(0, 2), Contains("transpose: dim 2 out of range for a tensor of 2 dims"), Error);
    CHECK_THROWS_WITH_AS(iota({2, 3, 4}).t(), Contains("t: expected a 2-d tensor, got shape (2, 3, 4)"), Error);
    CHECK_THROWS_WITH_AS(x.squeeze(2), Contains("squeeze: dim 2 out of range"), Error);
    CHECK_THROWS_WITH_AS(Tensor().reshape({1}), Contains("reshape: the tensor is undefined"), Error);
}

TEST_CASE("the view constructor rejects a view that reaches outside its storage") {
    auto storage = std::make_shared<Storage>(6 * sizeof(float));  // six float32 elements
    // Fits exactly: elements 0..5.
    CHECK_NOTHROW(Tensor(storage, {2, 3}, {3, 1}, 0, DType::Float32));
    // Overlapping strides are fine as long as every element is inside: reaches 0..4.
    CHECK_NOTHROW(Tensor(storage, {3, 3}, {1, 1}, 0, DType::Float32));
    // An offset of 1 pushes the last element to position 6.
    CHECK_THROWS_WITH_AS(Tensor(storage, {2, 3}, {3, 1}, 1, DType::Float32),
                         Contains("reaches elements 1..6 outside a storage of 6 elements"), Error);
    CHECK_THROWS_WITH_AS(Tensor(storage, {2}, {1}, -1, DType::Float32), Contains("outside a storage"), Error);
    // The same bytes hold only three float64 elements.
    CHECK_THROWS_WITH_AS(Tensor(storage, {4}, {1}, 0, DType::Float64), Contains("outside a storage of 3 elements"),
                         Error);
    CHECK_THROWS_WITH_AS(Tensor(storage, {2, 3}, {1}, 0, DType::Float32), Contains("differ in rank"), Error);
    CHECK_THROWS_WITH_AS(Tensor(nullptr, {1}, {1}, 0, DType::Float32), Contains("null storage"), Error);
    // An empty view reaches nothing, so any offset is allowed.
    CHECK_NOTHROW(Tensor(storage, {0, 3}, {3, 1}, 100, DType::Float32));
}

// ---- single elements -------------------------------------------------------------------------

TEST_CASE("at and set take negative indices and check the bounds") {
    Tensor x = iota({2, 3});
    CHECK(x.at({-1, -1}) == 5);
    x.set({-2, 1}, 42);
    CHECK(x.at({0, 1}) == 42);
    CHECK_THROWS_WITH_AS(x.at({0, 3}), Contains("at: index 3 out of range for dim 1 of size 3"), Error);
    CHECK_THROWS_WITH_AS(x.set({2, 0}, 1), Contains("set: index 2 out of range for dim 0 of size 2"), Error);
    CHECK_THROWS_WITH_AS(x.at({0}), Contains("at: got 1 indices for a tensor of shape (2, 3)"), Error);
    CHECK_THROWS_WITH_AS(x.item(), Contains("item: expected a tensor with one element, got shape (2, 3)"), Error);
    CHECK(scalar(2.5).item() == 2.5);
    CHECK(iota({1, 1, 1}).item() == 0);
    // set converts to the dtype: an integer tensor truncates toward zero and rejects NaN.
    Tensor i = zeros({2}, DType::Int64);
    i.set({0}, -2.7);
    CHECK(i.at({0}) == -2);
    CHECK_THROWS_WITH_AS(i.set({1}, std::nan("")), Contains("cannot be stored in an integer tensor"), Error);
}

// ---- contiguous, clone, to -------------------------------------------------------------------

TEST_CASE("contiguous returns the same storage when already contiguous and a row-major copy otherwise") {
    const Tensor x = iota({3, 4});
    CHECK(x.contiguous().shares_storage_with(x));
    CHECK(x.slice(0, 1, 3).contiguous().shares_storage_with(x));  // whole rows: still contiguous
    const Tensor y = x.t().contiguous();
    CHECK_FALSE(y.shares_storage_with(x));
    CHECK(y.is_contiguous());
    CHECK(shape_str(y.strides()) == "(3, 1)");
    CHECK(y.offset() == 0);
    check_values(y, {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
    // The stride of a size-1 dim is never used, so it does not break contiguity (view gives
    // the new size-1 dim stride 1 here, where row-major would say 3).
    const Tensor v = x.view({3, 1, 4});
    CHECK(v.is_contiguous());
    CHECK(v.contiguous().shares_storage_with(x));
    CHECK(x.slice(0, 2, 3).is_contiguous());
    const Tensor cols = x.slice(1, 1, 4, 2).contiguous();
    check_values(cols, {1, 3, 5, 7, 9, 11});
}

TEST_CASE("clone is a deep copy") {
    Tensor x = iota({2, 3});
    Tensor c = x.clone();
    CHECK_FALSE(c.shares_storage_with(x));
    c.set({0, 0}, 100);
    x.set({1, 2}, -100);
    CHECK(x.at({0, 0}) == 0);
    CHECK(c.at({1, 2}) == 5);
    // Cloning a view copies only the view's elements.
    const Tensor v = x.select(0, 1).clone();
    CHECK(v.storage()->nbytes() == 3 * sizeof(float));
    check_values(v, {3, 4, -100});
}

TEST_CASE("to converts between dtypes with bool meaning nonzero") {
    const Tensor f = tensor({1.5, -2.7, 0.0, 3.0, -0.0, 0.25});
    const Tensor d = f.to(DType::Float64);
    CHECK(d.dtype() == DType::Float64);
    check_values(d, {1.5, static_cast<double>(-2.7f), 0, 3, 0, 0.25}, 0);
    // To integers: truncation toward zero.
    const Tensor i = f.to(DType::Int64);
    CHECK(i.dtype() == DType::Int64);
    CHECK(i.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, -2, 0, 3, 0, 0});
    // To bool: anything nonzero (including 0.25 and NaN) is true; +0 and -0 are false.
    const Tensor b = f.to(DType::Bool);
    CHECK(b.dtype() == DType::Bool);
    CHECK(b.to_vector<int>() == std::vector<int>{1, 1, 0, 1, 0, 1});
    CHECK(tensor({std::nan("")}).to(DType::Bool).at({0}) == 1);
    CHECK(tensor({2, 0, -7}, DType::Int64).to(DType::Bool).to_vector<int>() == std::vector<int>{1, 0, 1});
    // And back: bool is 0 or 1.
    check_values(b.to(DType::Float32), {1, 1, 0, 1, 0, 1}, 0);
    CHECK(b.to(DType::Int64).to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 1, 0, 1, 0, 1});
    // float64 -> float32 rounds to the nearest float.
    const Tensor tenth = tensor({0.1}, DType::Float64).to(DType::Float32);
    CHECK(tenth.data<float>()[0] == 0.1f);
    // int64 -> float64 is exact below 2^53.
    const std::int64_t big = (std::int64_t{1} << 52) + 1;
    CHECK(from_vector<std::int64_t>({big}, {1}).to(DType::Float64).at({0}) == static_cast<double>(big));
    // The same dtype gives the tensor itself.
    CHECK(f.to(DType::Float32).shares_storage_with(f));
    // Converting a view converts the view's elements in logical order.
    check_values(iota({2, 3}).t().to(DType::Float64), {0, 3, 1, 4, 2, 5}, 0);
}

TEST_CASE("converting NaN or infinity or out-of-range values to int64 throws") {
    const double inf = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(tensor({1.0, std::nan("")}).to(DType::Int64), Contains("cannot be stored in an integer tensor"),
                         Error);
    CHECK_THROWS_WITH_AS(tensor({inf}, DType::Float64).to(DType::Int64), Contains("value inf cannot be stored"), Error);
    CHECK_THROWS_WITH_AS(tensor({-inf}).to(DType::Int64), Contains("cannot be stored"), Error);
    CHECK_THROWS_WITH_AS(tensor({1e19}, DType::Float64).to(DType::Int64), Contains("cannot be stored"), Error);
    // The largest magnitudes that do fit convert.
    CHECK(tensor({-9223372036854775808.0}, DType::Float64).to(DType::Int64).to_vector<std::int64_t>()[0] ==
          std::numeric_limits<std::int64_t>::min());
}

// ---- copy_ ---------------------------------------------------------------------------------

TEST_CASE("copy_ broadcasts the source and writes through the destination view") {
    Tensor x = zeros({2, 3});
    copy_(x, tensor({1, 2, 3}));
    check_values(x, {1, 2, 3, 1, 2, 3});
    copy_(x, scalar(7));
    check_values(x, {7, 7, 7, 7, 7, 7});
    // Into a transposed view: x.t()[i, j] = 10 i + j means x[j, i] = 10 i + j.
    copy_(x.t(), from_vector<float>({0, 1, 10, 11, 20, 21}, {3, 2}));
    check_values(x, {0, 10, 20, 1, 11, 21});
    // Into one column, converting float64 to int64.
    Tensor n = zeros({2, 2}, DType::Int64);
    copy_(n.select(1, 1), tensor({3.9, -3.9}, DType::Float64));
    CHECK(n.to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 3, 0, -3});
}

TEST_CASE("copy_ rejects a source that does not broadcast to the destination") {
    CHECK_THROWS_WITH_AS(copy_(zeros({2, 3}), zeros({2, 4})), Contains("copy_: shapes (2, 3) and (2, 4)"), Error);
    // The source would broadcast with the destination, but only to a bigger shape.
    CHECK_THROWS_WITH_AS(copy_(zeros({1, 3}), zeros({2, 3})), Contains("copy_"), Error);
    CHECK_THROWS_WITH_AS(copy_(zeros({1, 3}), zeros({2, 3})), Contains("(2, 3)"), Error);
    CHECK_THROWS_WITH_AS(copy_(Tensor(), zeros({1})), Contains("copy_: the tensor is undefined"), Error);
}

TEST_CASE("copy_ between overlapping views of one tensor reads the old values") {
    // Shift right by one: x[1:] = x[:-1]. Copying element by element from the left would
    // smear x[0] over the whole tensor.
    Tensor x = iota({6});
    copy_(x.slice(0, 1, 6), x.slice(0, 0, 5));
    check_values(x, {0, 0, 1, 2, 3, 4});
    // Shift left: x[:-1] = x[1:].
    Tensor y = iota({6});
    copy_(y.slice(0, 0, 5), y.slice(0, 1, 6));
    check_values(y, {1, 2, 3, 4, 5, 5});
    // In-place transpose of a square matrix.
    Tensor m = iota({3, 3});
    copy_(m, m.t());
    check_values(m, {0, 3, 6, 1, 4, 7, 2, 5, 8});
}

}  // TEST_SUITE
