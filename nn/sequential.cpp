#include "nn/sequential.hpp"

namespace qkv::nn {

void Sequential::add(std::shared_ptr<UnaryModule> module) {
    if (!module) fail("Sequential::add", "the module is null");
    layers_.push_back(std::move(module));
}

Var Sequential::forward(const Var& x) {
    Var y = x;
    for (auto& layer : layers_) y = layer->forward(y);
    return y;
}

UnaryModule& Sequential::operator[](std::size_t i) {
    if (i >= layers_.size()) fail("Sequential", "index ", i, " is out of range for ", layers_.size(), " modules");
    return *layers_[i];
}

void Sequential::visit(Visitor& v) {
    for (std::size_t i = 0; i < layers_.size(); ++i) v.module(std::to_string(i), *layers_[i]);
}

}  // namespace qkv::nn
