#include "nn/layer_norm.hpp"

#include <algorithm>

namespace qkv::nn {

LayerNorm::LayerNorm(Shape normalized_shape, const LayerNormOptions& options)
    : shape_(std::move(normalized_shape)), eps_(options.eps) {
    check_shape(shape_, "LayerNorm");
    if (shape_.empty() || shape_numel(shape_) == 0)
        fail("LayerNorm", "normalized_shape must have at least one dim and one element, got ", shape_str(shape_));
    if (!(eps_ >= 0.0)) fail("LayerNorm", "eps must be >= 0, got ", eps_);
    if (options.elementwise_affine) {
        weight = parameter(ones(shape_));
        bias = parameter(zeros(shape_));
    }
}

Var LayerNorm::forward(const Var& x) {
    const Shape& s = x.shape();
    const bool fits = s.size() >= shape_.size() && std::equal(shape_.begin(), shape_.end(), s.end() - shape_.size());
    if (!fits)
        fail("LayerNorm(" + shape_str(shape_) + ")", "input ", shape_str(s), " does not end with the normalized shape ",
             shape_str(shape_));
    return layer_norm(x, weight, bias, static_cast<std::int64_t>(shape_.size()), eps_);
}

void LayerNorm::visit(Visitor& v) {
    v.param("weight", weight);
    v.param("bias", bias);
}

std::string LayerNorm::describe() const {
    return cat("shape=", shape_str(shape_), ", eps=", eps_, ", affine=", weight.defined() ? "true" : "false");
}

}  // namespace qkv::nn
