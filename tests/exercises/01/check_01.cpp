// Checkers for lesson 01's exercises (lessons/01_tensors/EXERCISES.md). Each compares the
// student's function (qkv::exercises) with the library's on hand-picked edge cases and on random
// shapes and views: transposed, sliced, expanded (stride 0), size-1 and empty dims.
#include <doctest/doctest.h>

#include "exercises/exercise_check.hpp"
#include "lessons/01_tensors/exercises/layout.hpp"

using namespace qkv;
namespace ex = qkv::exercise;

namespace {

// A random view of a contiguous tensor: a random permutation of its dims, then maybe a slice
// with a step, so offsets and strides are not the row-major ones.
Tensor random_view(Generator& gen) {
    const std::int64_t ndim = 1 + static_cast<std::int64_t>(gen.below(4));
    Shape shape;
    for (std::int64_t k = 0; k < ndim; ++k) shape.push_back(1 + static_cast<std::int64_t>(gen.below(5)));
    Tensor t = arange(0, static_cast<double>(shape_numel(shape)), 1, DType::Float32).reshape(shape);
    std::vector<std::int64_t> order(ndim);
    for (std::int64_t k = 0; k < ndim; ++k) order[k] = k;
    for (std::int64_t k = ndim - 1; k > 0; --k) std::swap(order[k], order[gen.below(k + 1)]);
    t = t.permute(order);
    if (gen.below(2) == 1) {
        const std::int64_t d = static_cast<std::int64_t>(gen.below(ndim));
        t = t.slice(d, static_cast<std::int64_t>(gen.below(2)), t.size(d), 1 + static_cast<std::int64_t>(gen.below(2)));
    }
    return t;
}

std::string layout_of(const Tensor& t) {
    return "a tensor of shape " + shape_str(t.shape()) + ", strides " + shape_str(t.strides()) + ", offset " +
           std::to_string(t.offset());
}

// Every index of `shape` in row-major order.
std::vector<Shape> all_indices(const Shape& shape) {
    std::vector<Shape> out;
    for (std::int64_t i = 0; i < shape_numel(shape); ++i) out.push_back(unravel_index(i, shape));
    return out;
}

}  // namespace

TEST_CASE("exercise 01.1: Where an element lives") {
    ex::run("01.1", [&] {
        Generator gen(101);
        std::vector<Tensor> cases = {arange(0, 6, 1, DType::Float32).reshape({2, 3}),
                                     arange(0, 6, 1, DType::Float32).reshape({2, 3}).t(),
                                     arange(0, 10, 1, DType::Float32).slice(0, 1, 10, 3),
                                     arange(0, 3, 1, DType::Float32).reshape({3, 1}).expand({3, 4}),
                                     scalar(7.0)};
        for (int k = 0; k < 20; ++k) cases.push_back(random_view(gen));
        for (const Tensor& t : cases) {
            const float* storage = reinterpret_cast<const float*>(t.storage()->bytes());
            for (const Shape& index : all_indices(t.shape())) {
                const std::int64_t at = qkv::exercises::element_offset(t, index);
                const bool in_range = at >= 0 && at * 4 < static_cast<std::int64_t>(t.storage()->nbytes());
                const std::string what = "element_offset(" + layout_of(t) + ", index " + ex::detail::index_str(index) + ") = " +
                                         std::to_string(at);
                if (!ex::check_that(in_range, what + " is outside the storage",
                                    "offset + sum over k of index[k] * stride[k]; strides count elements, not bytes"))
                    return;
                // The element itself, read through a chain of selects (Tensor::at takes an initializer list).
                Tensor e = t;
                for (std::int64_t i : index) e = e.select(0, i);
                const double expected = e.item();
                if (!ex::check_that(storage[at] == static_cast<float>(expected),
                                    what + ": storage[" + std::to_string(at) + "] holds " + std::to_string(storage[at]) +
                                        " but the element is " + std::to_string(expected),
                                    "start from t.offset(), then add index[k] * t.strides()[k] for every dim k"))
                    return;
            }
        }
        // Bad indices are refused with a qkv::Error, not read out of bounds.
        const Tensor m = arange(0, 6, 1, DType::Float32).reshape({2, 3});
        for (const Shape& bad : {Shape{2, 0}, Shape{0, 3}, Shape{0, -1}, Shape{1}, Shape{0, 0, 0}}) {
            bool threw = false;
            try {
                (void)qkv::exercises::element_offset(m, bad);
            } catch (const NotImplemented&) {
                throw;  // an unsolved stub: run() reports "not done yet"
            } catch (const Error&) {
                threw = true;
            }
            if (!ex::check_that(threw, "element_offset(shape (2, 3), index " + ex::detail::index_str(bad) + ") did not throw",
                                "throw qkv::Error (qkv::fail) when the index has the wrong length or an entry outside [0, size)"))
                return;
        }
    });
}

TEST_CASE("exercise 01.2: Broadcasting two shapes") {
    ex::run("01.2", [&] {
        const std::vector<std::pair<Shape, Shape>> good = {
            {{3, 1}, {1, 4}}, {{2, 3}, {3}}, {{5, 1, 4}, {3, 1}}, {{}, {2, 2}}, {{2, 2}, {}}, {{1}, {0}},
            {{8, 1, 6, 1}, {7, 1, 5}}, {{2, 4, 3, 3}, {3, 3}}, {{1, 1}, {1}}, {{0, 3}, {1, 3}}};
        Generator gen(102);
        std::vector<std::pair<Shape, Shape>> cases = good;
        for (int k = 0; k < 200; ++k) {  // random pairs, most of them broadcastable
            Shape a, b;
            const std::size_t na = gen.below(5), nb = gen.below(5);
            for (std::size_t i = 0; i < std::max(na, nb); ++i) {
                const std::int64_t s = 1 + static_cast<std::int64_t>(gen.below(4));
                if (i < na) a.insert(a.begin(), gen.below(3) == 0 ? 1 : s);
                if (i < nb) b.insert(b.begin(), gen.below(3) == 0 ? 1 : (gen.below(10) == 0 ? s + 1 : s));
            }
            cases.push_back({a, b});
        }
        for (const auto& [a, b] : cases) {
            bool library_ok = true;
            Shape expected;
            try {
                expected = qkv::broadcast_shapes(a, b, "check");
            } catch (const Error&) {
                library_ok = false;
            }
            const std::string what = "broadcast_shapes(" + shape_str(a) + ", " + shape_str(b) + ")";
            try {
                const Shape got = qkv::exercises::broadcast_shapes(a, b);
                if (!ex::check_that(library_ok, what + " returned " + shape_str(got) + " but these shapes cannot be broadcast",
                                    "two sizes that differ and are both not 1 cannot be lined up: throw qkv::Error"))
                    return;
                if (!ex::check_shape(what, expected, got,
                                     "align the shapes at the RIGHT; a missing leading dim counts as 1; 1 stretches to the other size"))
                    return;
            } catch (const NotImplemented&) {
                throw;
            } catch (const Error& e) {
                if (!ex::check_that(!library_ok, what + " threw \"" + e.what() + "\" but the answer is " + shape_str(expected),
                                    "a size 1 (or a missing dim) broadcasts against anything, including 0"))
                    return;
            }
        }
    });
}

TEST_CASE("exercise 01.3: A slice is a view") {
    ex::run("01.3", [&] {
        Generator gen(103);
        struct Case {
            std::int64_t dim, start, end, step;
        };
        const std::vector<Case> edge = {{0, 0, 2, 1}, {1, 1, 5, 2}, {-1, -3, 100, 1}, {0, -100, 1, 3},
                                        {1, 4, 2, 1}, {1, 0, 5, 7}, {-2, 1, 2, 1}};
        for (int trial = 0; trial < 30; ++trial) {
            Tensor t = arange(0, 40, 1, DType::Float32).reshape({2, 4, 5}).permute({1, 2, 0}).slice(0, 0, 4, 1);  // (4, 5, 2)
            if (trial % 3 == 1) t = t.transpose(0, 1);
            if (trial % 3 == 2) t = t.select(2, 1).slice(1, 1, 4, 2);
            Case c;
            if (trial < static_cast<int>(edge.size())) c = edge[trial];
            else
                c = {static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(t.dim()))),
                     static_cast<std::int64_t>(gen.below(7)) - 2, static_cast<std::int64_t>(gen.below(8)) - 2,
                     1 + static_cast<std::int64_t>(gen.below(3))};
            if (c.dim >= t.dim() || c.dim < -t.dim()) c.dim = 0;
            const Tensor expected = t.slice(c.dim, c.start, c.end, c.step);
            const Tensor got = qkv::exercises::slice_view(t, c.dim, c.start, c.end, c.step);
            const std::string what = "slice_view(" + layout_of(t) + ", dim " + std::to_string(c.dim) + ", start " +
                                     std::to_string(c.start) + ", end " + std::to_string(c.end) + ", step " +
                                     std::to_string(c.step) + ")";
            if (!ex::check_that(got.defined() && got.shares_storage_with(t), what + ": the result does not share t's storage",
                                "build the result with Tensor(t.storage(), shape, strides, offset, t.dtype()): no copy"))
                return;
            if (!ex::check_shape(what + ": shape", expected.shape(), got.shape(),
                                 "clamp start and end to [0, size] after adding size to negatives; size = ceil((end - start) / step)"))
                return;
            if (!ex::check_close(what + ": values", expected, got, 0, 0,
                                 "the offset moves by start * stride[dim]; the stride along dim is multiplied by step"))
                return;
        }
        bool threw = false;
        try {
            (void)qkv::exercises::slice_view(arange(0, 5, 1, DType::Float32), 0, 0, 5, 0);
        } catch (const NotImplemented&) {
            throw;
        } catch (const Error&) {
            threw = true;
        }
        ex::check_that(threw, "slice_view(..., step 0) did not throw", "a step below 1 is an error (qkv::fail)");
    });
}

TEST_CASE("exercise 01.4: When reshape can be a view") {
    ex::run("01.4", [&] {
        Generator gen(104);
        // Targets: every way to factor the element count into 1-3 dims, with size-1 dims mixed in.
        const auto targets = [](std::int64_t n) {
            std::vector<Shape> out = {{n}, {1, n}, {n, 1}};
            for (std::int64_t a = 1; a <= n; ++a)
                if (n % a == 0) {
                    out.push_back({a, n / a});
                    for (std::int64_t b = 1; b <= n / a; ++b)
                        if ((n / a) % b == 0) out.push_back({a, b, n / a / b});
                }
            return out;
        };
        std::vector<Tensor> sources = {arange(0, 24, 1, DType::Float32).reshape({2, 3, 4}),
                                       arange(0, 24, 1, DType::Float32).reshape({2, 3, 4}).transpose(0, 1),
                                       arange(0, 24, 1, DType::Float32).reshape({2, 3, 4}).transpose(1, 2),
                                       arange(0, 24, 1, DType::Float32).reshape({4, 6}).slice(0, 0, 4, 2),
                                       arange(0, 24, 1, DType::Float32).reshape({4, 6}).slice(1, 0, 6, 2),
                                       arange(0, 24, 1, DType::Float32).reshape({2, 1, 3, 1, 4}),
                                       arange(0, 3, 1, DType::Float32).reshape({3, 1}).expand({3, 4}),
                                       // attention's merge heads: (B, H, T, d) -> (B, T, H, d)
                                       arange(0, 12, 1, DType::Float32).reshape({1, 2, 3, 2}).transpose(1, 2)};
        for (int k = 0; k < 12; ++k) sources.push_back(random_view(gen));
        for (const Tensor& t : sources)
            for (const Shape& target : targets(t.numel())) {
                bool library_ok = true;
                Tensor expected;
                try {
                    expected = t.view(target);
                } catch (const Error&) {
                    library_ok = false;
                }
                Strides strides;
                const bool ok = qkv::exercises::view_strides(t.shape(), t.strides(), target, strides);
                const std::string what = "view_strides(shape " + shape_str(t.shape()) + ", strides " + shape_str(t.strides()) +
                                         " -> " + shape_str(target) + ")";
                if (!ex::check_that(ok == library_ok,
                                    what + " returned " + (ok ? "true" : "false") + ", expected " + (library_ok ? "true" : "false"),
                                    library_ok ? "old dims that form one run (stride[k] == stride[k+1] * size[k+1]) may be merged or split; size-1 dims constrain nothing"
                                               : "a new dim may only merge or split old dims that are contiguous among themselves"))
                    return;
                if (!ok) continue;
                if (!ex::check_that(strides.size() == target.size(), what + ": got " + std::to_string(strides.size()) +
                                                                         " strides for " + std::to_string(target.size()) + " dims"))
                    return;
                const Tensor got(t.storage(), target, strides, t.offset(), t.dtype());
                if (!ex::check_close(what + " = strides " + shape_str(strides) + ": the elements read", expected, got, 0, 0,
                                     "inside one run, lay the new dims out row-major starting from the run's innermost stride"))
                    return;
            }
    });
}

TEST_CASE("exercise 01.5: What a broadcast mask costs") {
    ex::run("01.5", [&] {
        // The measurement the exercise asks for, redone here: a (T, T) mask expanded to the
        // scores' (B, H, T, T) shape, against a contiguous copy of the expanded view.
        const std::int64_t B = 32, H = 8, T = 128;
        const Tensor mask = ones({T, T}, DType::Bool);
        const Tensor expanded = mask.expand({B, H, T, T});
        const double ratio = static_cast<double>(expanded.contiguous().storage()->nbytes()) /
                             static_cast<double>(expanded.storage()->nbytes());
        ex::check_number("(bytes of expanded.contiguous()) / (bytes behind the expanded view)", ratio,
                         ex::answer("01.5"), 1e-9,
                         "compare storage()->nbytes() of the two tensors; the view reads one (T, T) block B*H times");
    });
}
