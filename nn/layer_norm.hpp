// LayerNorm: normalise each position's features to mean 0 and variance 1, then scale and
// shift them by learned per-feature weight and bias, as torch.nn.LayerNorm:
//
//   y = (x - mean) / sqrt(var + eps) * weight + bias
//
// mean and the biased variance (divide by N) are taken over the last dims, those of
// normalized_shape; for a transformer that is the model width: x (B, T, C), shape (C).
#pragma once

#include "nn/module.hpp"

namespace qkv::nn {

struct LayerNormOptions {
    double eps = 1e-5;               // inside the square root: (x - mean) / sqrt(var + eps)
    bool elementwise_affine = true;  // learn a weight and a bias of the normalized shape
};

class LayerNorm : public UnaryModule {
public:
    // weight = ones, bias = zeros, so a fresh LayerNorm only normalises.
    explicit LayerNorm(Shape normalized_shape, const LayerNormOptions& options = {});
    explicit LayerNorm(std::int64_t features, const LayerNormOptions& options = {})
        : LayerNorm(Shape{features}, options) {}

    Var weight;  // normalized_shape, or undefined without elementwise_affine
    Var bias;

    // x (..., *normalized_shape) -> the same shape.
    Var forward(const Var& x) override;

    const Shape& normalized_shape() const { return shape_; }
    double eps() const { return eps_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "LayerNorm"; }
    std::string describe() const override;  // "shape=(64), eps=1e-05, affine=true"

private:
    Shape shape_;
    double eps_;
};

}  // namespace qkv::nn
