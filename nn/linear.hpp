// Linear: the affine map y = x W^T + b applied to the last dim of x, as torch.nn.Linear.
//
//   x (..., in)  ->  y (..., out),   weight (out, in),  bias (out)
//
// The weight is stored (out, in), as PyTorch stores it, so row j of W is the template that
// output feature j is the dot product with, and checkpoints map one to one.
#pragma once

#include "nn/module.hpp"

namespace qkv::nn {

// Every layer's constructor takes its sizes, then (optionally) an options struct for the
// choices that have defaults, then the Generator its initial weights are drawn from:
//   Linear(64, 10)                        Linear(64, 10, gen)
//   Linear(64, 10, {.bias = false})       Linear(64, 10, {.bias = false}, gen)
struct LinearOptions {
    bool bias = true;
};

class Linear : public UnaryModule {
public:
    // PyTorch's default initialisation (see reset_parameters).
    Linear(std::int64_t in_features, std::int64_t out_features, Generator& gen = default_generator())
        : Linear(in_features, out_features, LinearOptions{}, gen) {}
    Linear(std::int64_t in_features, std::int64_t out_features, const LinearOptions& options,
           Generator& gen = default_generator());

    Var weight;  // (out, in)
    Var bias;    // (out), or undefined when built with bias = false

    Var forward(const Var& x) override;

    // weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    void reset_parameters(Generator& gen = default_generator());

    std::int64_t in_features() const { return in_; }
    std::int64_t out_features() const { return out_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "Linear"; }
    std::string describe() const override;  // "in=4, out=3, bias=true"

private:
    std::int64_t in_, out_;
};

}  // namespace qkv::nn
