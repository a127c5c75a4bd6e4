// Dropout: in training, zero each element with probability p and scale the survivors by
// 1 / (1 - p) (inverted dropout, so the expected value is unchanged); in eval mode, the
// identity. As torch.nn.Dropout; the switch is the module's train()/eval().
#pragma once

#include "nn/module.hpp"

namespace qkv::nn {

class Dropout : public UnaryModule {
public:
    // The module draws its masks from its own Generator, seeded from `gen` here, so a model
    // built after manual_seed(s) drops the same elements on every run, and the masks do not
    // shift when other code draws from `gen` later.
    explicit Dropout(double p = 0.5, Generator& gen = default_generator());

    Var forward(const Var& x) override;

    double p() const { return p_; }
    // The Generator the masks come from. An op that drops inside itself (the attention weights'
    // dropout in multi_head_attention) may draw from it too, so one module owns every mask of
    // its layer (BertLayer).
    Generator& generator() { return gen_; }

    void visit(Visitor& v) override { v.generator("generator", gen_); }
    std::string type_name() const override { return "Dropout"; }
    std::string describe() const override { return cat("p=", p_); }

private:
    double p_;
    Generator gen_;
};

}  // namespace qkv::nn
