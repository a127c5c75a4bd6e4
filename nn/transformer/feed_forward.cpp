#include "nn/transformer/feed_forward.hpp"

namespace qkv::nn {

Activation parse_activation(const std::string& name) {
    if (name == "relu") return Activation::ReLU;
    if (name == "gelu") return Activation::GELU;
    fail("FeedForward", "activation must be relu or gelu, got '", name, "'");
}

const char* activation_name(Activation a) { return a == Activation::ReLU ? "relu" : "gelu"; }

FeedForward::FeedForward(std::int64_t d_model, std::int64_t d_ff, const FeedForwardOptions& options, Generator& gen)
    : linear1(d_model, d_ff, gen), dropout(options.dropout, gen), linear2(d_ff, d_model, gen),
      activation_(options.activation) {}

Var FeedForward::forward(const Var& x) {
    Var h = linear1(x);                                             // (..., F)
    h = activation_ == Activation::ReLU ? relu(h) : gelu(h);
    return linear2(dropout(h));                                     // (..., D)
}

void FeedForward::visit(Visitor& v) {
    v.module("linear1", linear1);
    v.module("dropout", dropout);
    v.module("linear2", linear2);
}

std::string FeedForward::describe() const { return cat("activation=", activation_name(activation_)); }

}  // namespace qkv::nn
