// Picking and combining elements by index.
//
// index_select, gather, scatter_add and index_add share one loop: walk a shape with three
// operands in lock step, a "plain" tensor, an "indexed" tensor and the index values. The
// indexed tensor is walked with stride 0 along `dim`, which leaves its offset at slot 0 of
// that dim; adding index * stride(dim) then moves to the slot the index names. For example
// gather along dim 0 reads a[index[i][j]][j] at offset a.offset + index[i][j] * a.stride(0)
// + j * a.stride(1). Every index is checked before anything is written.
#include "tensor/indexing.hpp"

#include <algorithm>

namespace qkv {
namespace {

void check_index_tensor(const Tensor& index, const char* op) {
    index.check_defined(op);
    if (index.dtype() != DType::Int64) fail(op, "index must be int64, got ", describe(index));
}

// Every index must name a slot in [0, size).
void check_indices(const std::vector<std::int64_t>& indices, std::int64_t dim, std::int64_t size, const char* op) {
    for (auto i : indices)
        if (i < 0 || i >= size) fail(op, "index ", i, " out of range for dim ", dim, " of size ", size);
}

// Calls f(plain_offset, indexed_offset) once per element of `shape`, in row-major order.
// `plain` and `index` are walked with their own strides (both cover `shape`); `indexed` with
// its strides except stride 0 along `dim`, its slot along `dim` coming from the index value.
template <class F>
void for_each_indexed(const Shape& shape, const Tensor& plain, const Tensor& indexed, std::int64_t dim,
                      const Tensor& index, F&& f) {
    Strides walk = indexed.strides();
    walk[dim] = 0;
    const std::int64_t step = indexed.stride(dim);
    const std::int64_t* ids = reinterpret_cast<const std::int64_t*>(index.storage()->bytes());
    for_each_offset<3>(shape, {plain.strides().data(), walk.data(), index.strides().data()},
                       {plain.offset(), indexed.offset(), index.offset()},
                       [&](const std::int64_t* off) { f(off[0], off[1] + ids[off[2]] * step); });
}

// A 1-d index laid along `dim` of an n-dim shape, as a view (1, ..., len, ..., 1) broadcast
// to `shape`, so that for_each_indexed can walk it like a full index tensor.
Tensor spread_index(const Tensor& index, std::int64_t dim, const Shape& shape) {
    Shape lined(shape.size(), 1);
    lined[dim] = index.numel();
    return index.view(lined).expand(shape);
}

// `t` seen with `shape`, which fits inside t's shape: the leading corner of t.
Tensor corner(const Tensor& t, const Shape& shape) { return Tensor(t.storage(), shape, t.strides(), t.offset(), t.dtype()); }

// gather/scatter_add: index has the rank of `a`, and fits inside `a` except along dim.
void check_gather_shapes(const Tensor& a, std::int64_t d, const Tensor& index, const char* op) {
    if (index.dim() != a.dim())
        fail(op, "index ", shape_str(index.shape()), " must have the rank of the input ", shape_str(a.shape()));
    for (std::int64_t k = 0; k < a.dim(); ++k)
        if (k != d && index.size(k) > a.size(k))
            fail(op, "index ", shape_str(index.shape()), " is larger than the input ", shape_str(a.shape()),
                 " at dim ", k, " (only dim ", d, " may differ)");
}

}  // namespace

Tensor index_select(const Tensor& a, std::int64_t dim, const Tensor& index) {
    a.check_defined("index_select");
    check_index_tensor(index, "index_select");
    const std::int64_t d = normalize_dim(dim, a.dim(), "index_select");
    if (index.dim() != 1) fail("index_select", "index must be 1-d, got shape ", shape_str(index.shape()));
    check_indices(index.to_vector<std::int64_t>(), d, a.size(d), "index_select");
    Shape shape = a.shape();
    shape[d] = index.numel();
    Tensor out(shape, a.dtype());
    dispatch(a.dtype(), "index_select", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = reinterpret_cast<T*>(out.storage()->bytes());
        const T* in = reinterpret_cast<const T*>(a.storage()->bytes());
        for_each_indexed(shape, out, a, d, spread_index(index, d, shape),
                         [&](std::int64_t to, std::int64_t from) { o[to] = in[from]; });
    });
    return out;
}

Tensor gather(const Tensor& a, std::int64_t dim, const Tensor& index) {
    a.check_defined("gather");
    check_index_tensor(index, "gather");
    const std::int64_t d = normalize_dim(dim, a.dim(), "gather");
    check_gather_shapes(a, d, index, "gather");
    check_indices(index.to_vector<std::int64_t>(), d, a.size(d), "gather");
    Tensor out(index.shape(), a.dtype());
    dispatch(a.dtype(), "gather", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = reinterpret_cast<T*>(out.storage()->bytes());
        const T* in = reinterpret_cast<const T*>(a.storage()->bytes());
        for_each_indexed(index.shape(), out, a, d, index, [&](std::int64_t to, std::int64_t from) { o[to] = in[from]; });
    });
    return out;
}

// The loop runs on one thread in row-major order, so repeated indices simply add up.
Tensor scatter_add(const Tensor& a, std::int64_t dim, const Tensor& index, const Tensor& src) {
    a.check_defined("scatter_add");
    src.check_defined("scatter_add");
    check_index_tensor(index, "scatter_add");
    if (src.dtype() != a.dtype())
        fail("scatter_add", "src ", describe(src), " must have the dtype of the input ", describe(a));
    const std::int64_t d = normalize_dim(dim, a.dim(), "scatter_add");
    check_gather_shapes(a, d, index, "scatter_add");
    bool covers = src.dim() == index.dim();
    for (std::int64_t k = 0; covers && k < index.dim(); ++k) covers = index.size(k) <= src.size(k);
    if (!covers)
        fail("scatter_add", "src ", shape_str(src.shape()), " must be at least as large as the index ",
             shape_str(index.shape()), " in every dim");
    check_indices(index.to_vector<std::int64_t>(), d, a.size(d), "scatter_add");
    Tensor out = a.clone();
    dispatch<true, false>(a.dtype(), "scatter_add", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = reinterpret_cast<T*>(out.storage()->bytes());
        const T* in = reinterpret_cast<const T*>(src.storage()->bytes());
        for_each_indexed(index.shape(), corner(src, index.shape()), out, d, index,
                         [&](std::int64_t from, std::int64_t to) { o[to] += in[from]; });
    });
    return out;
}

Tensor index_add(const Shape& shape, std::int64_t dim, const Tensor& index, const Tensor& src) {
    src.check_defined("index_add");
    check_index_tensor(index, "index_add");
    check_shape(shape, "index_add");
    const std::int64_t d = normalize_dim(dim, static_cast<std::int64_t>(shape.size()), "index_add");
    if (index.dim() != 1) fail("index_add", "index must be 1-d, got shape ", shape_str(index.shape()));
    Shape expected = shape;
    expected[d] = index.numel();
    if (src.shape() != expected)
        fail("index_add", "src ", shape_str(src.shape()), " does not match ", shape_str(expected), " (shape ",
             shape_str(shape), " with dim ", d, " replaced by the ", index.numel(), " indices)");
    check_indices(index.to_vector<std::int64_t>(), d, shape[d], "index_add");
    Tensor out(shape, src.dtype());
    dispatch<true, false>(src.dtype(), "index_add", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = reinterpret_cast<T*>(out.storage()->bytes());
        const T* in = reinterpret_cast<const T*>(src.storage()->bytes());
        for_each_indexed(expected, src, out, d, spread_index(index, d, expected),
                         [&](std::int64_t from, std::int64_t to) { o[to] += in[from]; });
    });
    return out;
}

// ---- joining and splitting ------------------------------------------------------------------

Tensor concat(const std::vector<Tensor>& parts, std::int64_t dim) {
    if (parts.empty()) fail("concat", "needs at least one tensor");
    for (const auto& p : parts) p.check_defined("concat");
    const Tensor& first = parts[0];
    const std::int64_t d = normalize_dim(dim, first.dim(), "concat");
    Shape shape = first.shape();
    shape[d] = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const Tensor& p = parts[i];
        if (p.dtype() != first.dtype())
            fail("concat", "part ", i, " has dtype ", dtype_name(p.dtype()), " but part 0 has ",
                 dtype_name(first.dtype()));
        bool fits = p.dim() == first.dim();
        for (std::int64_t k = 0; fits && k < p.dim(); ++k) fits = k == d || p.size(k) == first.size(k);
        if (!fits)
            fail("concat", "part ", i, " has shape ", shape_str(p.shape()), " but part 0 has ",
                 shape_str(first.shape()), "; they may differ only at dim ", d);
        shape[d] += p.size(d);
    }
    Tensor out(shape, first.dtype());
    std::int64_t start = 0;
    for (const auto& p : parts) {
        copy_(out.narrow(d, start, p.size(d)), p);
        start += p.size(d);
    }
    return out;
}

Tensor stack(const std::vector<Tensor>& parts, std::int64_t dim) {
    if (parts.empty()) fail("stack", "needs at least one tensor");
    for (const auto& p : parts) p.check_defined("stack");
    const std::int64_t d = normalize_dim(dim, parts[0].dim() + 1, "stack");
    std::vector<Tensor> lifted;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].shape() != parts[0].shape())
            fail("stack", "part ", i, " has shape ", shape_str(parts[i].shape()), " but part 0 has ",
                 shape_str(parts[0].shape()), "; all must be equal");
        lifted.push_back(parts[i].unsqueeze(d));
    }
    return concat(lifted, d);
}

// As in PyTorch, a dim of size 0 still gives one (empty) piece.
std::vector<Tensor> split(const Tensor& a, std::int64_t size, std::int64_t dim) {
    a.check_defined("split");
    const std::int64_t d = normalize_dim(dim, a.dim(), "split");
    if (size < 1) fail("split", "piece size must be >= 1, got ", size);
    const std::int64_t n = a.size(d);
    std::vector<Tensor> pieces;
    std::int64_t start = 0;
    do {
        const std::int64_t len = std::min(size, n - start);
        pieces.push_back(a.narrow(d, start, len));
        start += len;
    } while (start < n);
    return pieces;
}

// Pieces of ceil(n / chunks), so there may be fewer than `chunks` of them: 5 in 4 chunks
// gives sizes 2, 2, 1.
std::vector<Tensor> chunk(const Tensor& a, std::int64_t chunks, std::int64_t dim) {
    a.check_defined("chunk");
    const std::int64_t d = normalize_dim(dim, a.dim(), "chunk");
    if (chunks < 1) fail("chunk", "number of chunks must be >= 1, got ", chunks);
    const std::int64_t n = a.size(d);
    return split(a, std::max<std::int64_t>(1, (n + chunks - 1) / chunks), d);
}

// ---- one-hot and triangles ------------------------------------------------------------------

Tensor one_hot(const Tensor& index, std::int64_t num_classes, DType dtype) {
    check_index_tensor(index, "one_hot");
    if (num_classes < 1) fail("one_hot", "num_classes must be >= 1, got ", num_classes);
    const std::vector<std::int64_t> ids = index.to_vector<std::int64_t>();
    for (auto i : ids)
        if (i < 0 || i >= num_classes) fail("one_hot", "index ", i, " out of range for ", num_classes, " classes");
    Shape shape = index.shape();
    shape.push_back(num_classes);
    Tensor out(shape, dtype);
    dispatch(dtype, "one_hot", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = out.data<T>();
        for (std::size_t r = 0; r < ids.size(); ++r) o[static_cast<std::int64_t>(r) * num_classes + ids[r]] = T(1);
    });
    return out;
}

namespace {

// A contiguous copy of `a` with each (rows x cols) matrix of the last two dims zeroed where
// drop(j - i) holds for row i, column j.
template <class Drop>
Tensor keep_triangle(const Tensor& a, Drop drop, const char* op) {
    a.check_defined(op);
    if (a.dim() < 2) fail(op, "expected at least 2 dims, got shape ", shape_str(a.shape()));
    Tensor out = a.clone();
    const std::int64_t rows = a.size(-2), cols = a.size(-1);
    const std::int64_t matrices = rows * cols == 0 ? 0 : out.numel() / (rows * cols);
    dispatch(a.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = out.data<T>();
        for (std::int64_t m = 0; m < matrices; ++m)
            for (std::int64_t i = 0; i < rows; ++i)
                for (std::int64_t j = 0; j < cols; ++j)
                    if (drop(j - i)) o[(m * rows + i) * cols + j] = T(0);
    });
    return out;
}

}  // namespace

// Column j of row i is on diagonal j - i: 0 is the main diagonal, positive ones lie above it.
Tensor triu(const Tensor& a, std::int64_t k) {
    return keep_triangle(a, [k](std::int64_t diag) { return diag < k; }, "triu");
}

Tensor tril(const Tensor& a, std::int64_t k) {
    return keep_triangle(a, [k](std::int64_t diag) { return diag > k; }, "tril");
}

}  // namespace qkv
