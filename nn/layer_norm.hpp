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

class LayerNorm : public UnaryModule {
public:
    // weight = ones, bias = zeros, so a fresh LayerNorm only normalises.
    explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool elementwise_affine = true);
    explicit LayerNorm(std::int64_t features, double eps = 1e-5, bool elementwise_affine = true)
        : LayerNorm(Shape{features}, eps, elementwise_affine) {}

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
