// Sequential: modules applied one after another, each one's output the next one's input,
// as torch.nn.Sequential. Children are named "0", "1", ... so parameters read "0.weight".
//
//   Sequential mlp(Linear(4, 8), ReLU(), Linear(8, 2));
//   Var y = mlp(x);                                    // Linear -> ReLU -> Linear
//
// Modules are taken by value and kept behind shared pointers (so one list holds any mix of
// types); copying a Sequential shares its modules, as copying any module shares its parameters.
#pragma once

#include <concepts>
#include <memory>
#include <vector>

#include "nn/module.hpp"

namespace qkv::nn {

class Sequential : public UnaryModule {
public:
    Sequential() = default;
    template <std::derived_from<UnaryModule>... Ms>
    explicit Sequential(Ms... modules) {
        (add(std::move(modules)), ...);
    }

    // Appends a module (moved in) and returns a reference to the stored one.
    template <std::derived_from<UnaryModule> M>
    M& add(M module) {
        auto stored = std::make_shared<M>(std::move(module));
        add(stored);
        return *stored;
    }
    // Appends a module shared with the caller.
    void add(std::shared_ptr<UnaryModule> module);

    Var forward(const Var& x) override;  // an empty Sequential is the identity

    std::size_t size() const { return layers_.size(); }
    UnaryModule& operator[](std::size_t i);
    // The i-th module as its own type, e.g. seq.at<Linear>(0).weight; throws if it is not one.
    template <class M> M& at(std::size_t i) {
        auto* m = dynamic_cast<M*>(&(*this)[i]);
        if (!m) fail("Sequential", "module ", i, " is a ", (*this)[i].type_name(), ", not the type asked for");
        return *m;
    }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "Sequential"; }
    std::string describe() const override { return cat(layers_.size(), " modules"); }

private:
    std::vector<std::shared_ptr<UnaryModule>> layers_;
};

}  // namespace qkv::nn
