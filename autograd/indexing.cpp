#include "autograd/indexing.hpp"

#include "autograd/engine.hpp"

namespace qkv {

// out = a.index_select(dim, i)  =>  dL/da: zeros with dL/dout's slices added at the rows picked
// (index_add: a row picked twice receives both gradients).
Var index_select(const Var& a, std::int64_t dim, const Tensor& index) {
    const Shape in = a.shape();
    return record("index_select", index_select(a.data(), dim, index), {a},
                  [in, dim, index](const Tensor& g) -> Grads { return {index_add(in, dim, index, g)}; });
}

// The padding row's gradient is zeroed after the sum, rather than the gradient at the positions
// holding it masked before: the same result (every other row's sum is unchanged), with no pass
// over the (..., C) output in either direction.
Var embedding(const Var& weight, const Tensor& ids, std::int64_t padding_idx) {
    if (weight.dim() != 2) fail("embedding", "weight must be 2-d (vocab, dim), got ", shape_str(weight.shape()));
    if (ids.dtype() != DType::Int64) fail("embedding", "ids must be int64, got ", describe(ids));
    if (padding_idx < -1 || padding_idx >= weight.size(0))
        fail("embedding", "padding_idx ", padding_idx, " is out of range for weight ", shape_str(weight.shape()),
             " (use -1 for no padding row)");
    Shape out_shape = ids.shape();
    out_shape.push_back(weight.size(1));
    const Tensor flat = ids.reshape({-1});  // (N)
    if (padding_idx < 0) return index_select(weight, 0, flat).reshape(out_shape);
    const Shape in = weight.shape();
    const Var rows = record("embedding", index_select(weight.data(), 0, flat), {weight},  // (N, C)
                            [in, flat, padding_idx](const Tensor& g) -> Grads {
                                const Tensor grad = index_add(in, 0, flat, g);  // (V, C)
                                zero_(grad.select(0, padding_idx));
                                return {grad};
                            });
    return rows.reshape(out_shape);  // (..., C)
}

// out = gather(a, dim, index)  =>  dL/da = scatter_add(zeros, dim, index, dL/dout)
Var gather(const Var& a, std::int64_t dim, const Tensor& index) {
    const Shape in = a.shape();
    return record("gather", gather(a.data(), dim, index), {a}, [in, dim, index](const Tensor& g) -> Grads {
        return {scatter_add(zeros(in, g.dtype()), dim, index, g)};
    });
}

// Each part receives the slice of the gradient where its elements went.
Var concat(const std::vector<Var>& parts, std::int64_t dim) {
    std::vector<Tensor> data;
    std::vector<std::int64_t> sizes;
    for (const Var& p : parts) data.push_back(p.data());
    Tensor out = concat(data, dim);
    const std::int64_t d = normalize_dim(dim, out.dim(), "concat");
    for (const Var& p : parts) sizes.push_back(p.size(d));
    return record("concat", out, parts, [sizes, d](const Tensor& g) -> Grads {
        Grads grads;
        std::int64_t start = 0;
        for (auto n : sizes) grads.push_back(g.narrow(d, start, n)), start += n;
        return grads;
    });
}

Var stack(const std::vector<Var>& parts, std::int64_t dim) {
    std::vector<Tensor> data;
    for (const Var& p : parts) data.push_back(p.data());
    Tensor out = stack(data, dim);
    const std::int64_t d = normalize_dim(dim, out.dim(), "stack");
    const std::size_t n = parts.size();
    return record("stack", out, parts, [d, n](const Tensor& g) -> Grads {
        Grads grads;
        for (std::size_t i = 0; i < n; ++i) grads.push_back(g.select(d, static_cast<std::int64_t>(i)));
        return grads;
    });
}

// Pieces are narrow() views, each with its own (slice) backward.
std::vector<Var> split(const Var& a, std::int64_t size, std::int64_t dim) {
    if (size < 1) fail("split", "piece size must be >= 1, got ", size);
    const std::int64_t d = normalize_dim(dim, a.dim(), "split");
    const std::int64_t n = a.size(d);
    std::vector<Var> out;
    for (std::int64_t start = 0; start < n; start += size) out.push_back(a.narrow(d, start, std::min(size, n - start)));
    return out;
}

std::vector<Var> chunk(const Var& a, std::int64_t chunks, std::int64_t dim) {
    if (chunks < 1) fail("chunk", "chunks must be >= 1, got ", chunks);
    const std::int64_t d = normalize_dim(dim, a.dim(), "chunk");
    const std::int64_t size = (a.size(d) + chunks - 1) / chunks;  // torch.chunk's piece size
    return split(a, std::max<std::int64_t>(size, 1), d);
}

}  // namespace qkv
