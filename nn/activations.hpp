// Activation functions as modules, so they can sit in a Sequential. Each has no parameters
// and calls the autograd op of the same name (formulas in activations.cpp).
#pragma once

#include "nn/module.hpp"

namespace qkv::nn {

// A UnaryModule with nothing to visit.
class ParameterFree : public UnaryModule {
public:
    void visit(Visitor&) override {}
};

class ReLU : public ParameterFree {
public:
    Var forward(const Var& x) override;
    std::string type_name() const override { return "ReLU"; }
};

// Exact GELU (erf), torch.nn.GELU()'s default.
class GELU : public ParameterFree {
public:
    Var forward(const Var& x) override;
    std::string type_name() const override { return "GELU"; }
};

// Tanh-approximated GELU: torch.nn.GELU(approximate="tanh"), as the original BERT and GPT-2 code.
class GELUTanh : public ParameterFree {
public:
    Var forward(const Var& x) override;
    std::string type_name() const override { return "GELUTanh"; }
};

class Tanh : public ParameterFree {
public:
    Var forward(const Var& x) override;
    std::string type_name() const override { return "Tanh"; }
};

class Sigmoid : public ParameterFree {
public:
    Var forward(const Var& x) override;
    std::string type_name() const override { return "Sigmoid"; }
};

}  // namespace qkv::nn
