// The position-wise feed-forward network (前馈网络), "Attention Is All You Need" section 3.3:
//
//   FFN(x) = max(0, x W_1 + b_1) W_2 + b_2        W_1: (d_model, d_ff), W_2: (d_ff, d_model)
//
// the same two-layer MLP applied to every position on its own. Attention is the only part of
// a Transformer layer that mixes positions; this is where each position's vector is
// transformed, with d_ff (4 d_model in the paper) hidden units. ReLU as in the paper, or GELU
// as in BERT and GPT. Dropout sits after the activation, as in PyTorch's TransformerEncoderLayer.
//
// Shapes: x (..., D) -> (..., D), D = d_model, F = d_ff.
#pragma once

#include "nn/dropout.hpp"
#include "nn/linear.hpp"

namespace qkv::nn {

enum class Activation { ReLU, GELU };

// "relu" / "gelu"; throws on anything else, naming the choices.
Activation parse_activation(const std::string& name);
const char* activation_name(Activation a);

struct FeedForwardOptions {
    double dropout = 0.0;                      // after the activation, in training
    Activation activation = Activation::ReLU;
};

class FeedForward : public UnaryModule {
public:
    FeedForward(std::int64_t d_model, std::int64_t d_ff, Generator& gen = default_generator())
        : FeedForward(d_model, d_ff, FeedForwardOptions{}, gen) {}
    FeedForward(std::int64_t d_model, std::int64_t d_ff, const FeedForwardOptions& options,
                Generator& gen = default_generator());

    Linear linear1;  // D -> F
    Dropout dropout;
    Linear linear2;  // F -> D

    Var forward(const Var& x) override;  // (..., D) -> (..., D)

    Activation activation() const { return activation_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "FeedForward"; }
    std::string describe() const override;

private:
    Activation activation_;
};

}  // namespace qkv::nn
