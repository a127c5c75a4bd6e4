#include "lessons/01_tensors/examples.hpp"

#include <algorithm>
#include <sstream>

namespace qkv::lesson01 {
namespace {

// Row-major element n holds (n mod m) - m/2: small integers, so every product and sum below is
// exact in float32 and a reader can redo it by hand.
Tensor small_ints(const Shape& shape, std::int64_t m) {
    std::vector<float> values(static_cast<std::size_t>(shape_numel(shape)));
    for (std::size_t n = 0; n < values.size(); ++n)
        values[n] = static_cast<float>(static_cast<std::int64_t>(n) % m - m / 2);
    return from_vector(values, shape);
}

// Runs `f`, which must throw qkv::Error, and returns the message.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

std::string layout(const Tensor& t) {
    std::ostringstream s;
    s << "shape " << shape_str(t.shape()) << "  strides " << shape_str(t.strides()) << "  offset " << t.offset()
      << "  contiguous " << (t.is_contiguous() ? "yes" : "no");
    return s.str();
}

Tensor matrix_2x3() { return arange(0.0, 6.0).reshape({2, 3}); }

SliceExample slice_with_step() {
    Tensor base = arange(0.0, 10.0);
    return {base, base.slice(0, 1, 10, 3)};
}

WriteThroughExample write_through_view() {
    Tensor base = zeros({2, 3});
    Tensor row = base.select(0, 1);  // (3,): offset 3, stride 1 into base's storage
    row.set({2}, 50.0);
    return {base, row};
}

ReshapeExample reshape_contiguous() {
    Tensor x = matrix_2x3();
    return {x, x.reshape({3, 2})};
}

ReshapeExample reshape_transposed() {
    Tensor xt = matrix_2x3().t();
    return {xt, xt.reshape({6})};
}

ReshapeExample merge_heads() {
    Tensor heads = arange(0.0, 12.0).reshape({1, 2, 3, 2});  // (B, H, T, d)
    Tensor by_token = heads.transpose(1, 2);                  // (B, T, H, d), a view
    return {by_token, by_token.reshape({1, 3, 4})};           // (B, T, H*d), a copy
}

std::string view_of_transposed_error() {
    return error_of([] { matrix_2x3().t().view({6}); });
}

std::vector<BroadcastPair> broadcast_pairs() {
    return {
        {{3, 1}, {1, 4}},           // a column meets a row: every pairing
        {{2, 3}, {3}},              // a bias vector added to every row
        {{4, 1, 5}, {3, 1}},        // ranks differ: the shorter shape is padded on the left
        {{2, 2, 3, 3}, {3, 3}},     // one (T, T) mask for every batch and head
        {{2, 3}, {4}},              // 3 vs 4: neither is 1, so an error
    };
}

std::vector<std::string> broadcast_steps(const Shape& a, const Shape& b) {
    const std::size_t n = std::max(a.size(), b.size());
    // Missing leading dims count as size 1.
    auto padded = [n](const Shape& s) {
        Shape p(n - s.size(), 1);
        p.insert(p.end(), s.begin(), s.end());
        return p;
    };
    const Shape pa = padded(a), pb = padded(b);
    std::vector<std::string> lines;
    lines.push_back(shape_str(a) + " with " + shape_str(b) + ": align at the right, pad with 1s -> " +
                    shape_str(pa) + " and " + shape_str(pb));
    for (std::size_t k = 0; k < n; ++k) {
        std::ostringstream s;
        s << "  dim " << k << ": " << pa[k] << " vs " << pb[k] << " -> ";
        if (pa[k] == pb[k]) s << pa[k] << " (equal)";
        else if (pa[k] == 1) s << pb[k] << " (left is 1, stretch it)";
        else if (pb[k] == 1) s << pa[k] << " (right is 1, stretch it)";
        else s << "neither is 1: no broadcast";
        lines.push_back(s.str());
    }
    try {
        lines.push_back("  result " + shape_str(broadcast_shapes(a, b, "broadcast")));
    } catch (const Error& e) {
        lines.push_back(std::string("  error: ") + e.what());
    }
    return lines;
}

Tensor column_3x1() { return tensor({1, 2, 3}).reshape({3, 1}); }

Tensor row_1x4() { return tensor({{10, 20, 30, 40}}); }

ExpandExample expanded_column() {
    Tensor column = column_3x1();
    return {column, column.expand({3, 4})};
}

AttentionShapes attention_scores() {
    const std::int64_t B = 2, H = 2, T = 3, d = 4;
    Tensor q = small_ints({B, H, T, d}, 5);  // values -2..2
    Tensor k = small_ints({B, H, T, d}, 3);  // values -1..1
    Tensor k_t = k.transpose(-2, -1);        // (B, H, d, T): swap two strides, copy nothing
    return {q, k, k_t, matmul(q, k_t)};      // (B, H, T, d) @ (B, H, d, T) -> (B, H, T, T)
}

std::string score_by_hand(const AttentionShapes& a, std::int64_t b, std::int64_t h, std::int64_t i,
                          std::int64_t j) {
    std::ostringstream s;
    s << "q[" << b << ", " << h << ", " << i << ", :] . k[" << b << ", " << h << ", " << j << ", :] = ";
    double total = 0;
    for (std::int64_t c = 0; c < a.q.size(-1); ++c) {
        const double x = a.q.at({b, h, i, c}), y = a.k.at({b, h, j, c});
        s << (c ? " + " : "") << "(" << x << ")*(" << y << ")";
        total += x * y;
    }
    s << " = " << total;
    return s.str();
}

std::string untransposed_matmul_error() {
    return error_of([] {
        AttentionShapes a = attention_scores();
        matmul(a.q, a.k);
    });
}

}  // namespace qkv::lesson01
