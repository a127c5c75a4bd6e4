// Differentiable views. A view only rearranges which elements are seen, so its backward
// puts each gradient element back where its element came from: reshape back, transpose back,
// or write into the viewed region of a zero tensor (slice, select).
#include "autograd/engine.hpp"

namespace qkv {
namespace {
// dL/d(input) for a view that picked `region` out of the input: zeros, with g written into
// the same region.
template <class Region>
Tensor embed(const Tensor& g, const Shape& input_shape, Region region) {
    Tensor out = zeros(input_shape, g.dtype());
    copy_(region(out), g);
    return out;
}
}  // namespace

Var Var::reshape(Shape shape) const {
    const Shape in = this->shape();
    return record("reshape", data().reshape(std::move(shape)), {*this},
                  [in](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

Var Var::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
    const Shape in = shape();
    return record("flatten", data().flatten(start_dim, end_dim), {*this},
                  [in](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

Var Var::transpose(std::int64_t d0, std::int64_t d1) const {
    return record("transpose", data().transpose(d0, d1), {*this},
                  [d0, d1](const Tensor& g) -> Grads { return {g.transpose(d0, d1)}; });
}

Var Var::t() const {
    if (dim() != 2) fail("t", "expected a 2-d Var, got shape ", shape_str(shape()));
    return transpose(0, 1);
}

// The inverse permutation sends each dim back: inverse[order[k]] = k.
Var Var::permute(const std::vector<std::int64_t>& order) const {
    Tensor out = data().permute(order);
    std::vector<std::int64_t> inverse(order.size());
    for (std::size_t k = 0; k < order.size(); ++k)
        inverse[static_cast<std::size_t>(normalize_dim(order[k], dim(), "permute"))] = static_cast<std::int64_t>(k);
    return record("permute", out, {*this}, [inverse](const Tensor& g) -> Grads { return {g.permute(inverse)}; });
}

Var Var::slice(std::int64_t d, std::int64_t start, std::int64_t end, std::int64_t step) const {
    const Shape in = shape();
    return record("slice", data().slice(d, start, end, step), {*this}, [=](const Tensor& g) -> Grads {
        return {embed(g, in, [&](const Tensor& z) { return z.slice(d, start, end, step); })};
    });
}

Var Var::narrow(std::int64_t d, std::int64_t start, std::int64_t length) const {
    const Shape in = shape();
    return record("narrow", data().narrow(d, start, length), {*this}, [=](const Tensor& g) -> Grads {
        return {embed(g, in, [&](const Tensor& z) { return z.narrow(d, start, length); })};
    });
}

Var Var::select(std::int64_t d, std::int64_t index) const {
    const Shape in = shape();
    return record("select", data().select(d, index), {*this}, [=](const Tensor& g) -> Grads {
        return {embed(g, in, [&](const Tensor& z) { return z.select(d, index); })};
    });
}

// Every copy an expand made receives gradient; the engine's sum_to_shape adds them up.
Var Var::expand(const Shape& target) const {
    return record("expand", data().expand(target), {*this}, [](const Tensor& g) -> Grads { return {g}; });
}

Var Var::squeeze(std::int64_t d) const {
    const Shape in = shape();
    return record("squeeze", data().squeeze(d), {*this}, [in](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

Var Var::unsqueeze(std::int64_t d) const {
    const Shape in = shape();
    return record("unsqueeze", data().unsqueeze(d), {*this},
                  [in](const Tensor& g) -> Grads { return {g.reshape(in)}; });
}

}  // namespace qkv
