// gradcheck of a module with respect to its parameters, for the nn and lesson tests (the
// tensor-level helpers are in tests/testing.hpp, which this includes; they are apart so the
// tensor tests need no nn header).
//
// gradcheck differentiates f with respect to the leaves it builds from its input tensors, so a
// parameter is checked only if f puts gradcheck's leaf where the module reads the parameter.
// With `mha` a MultiHeadAttention converted to float64,
//
//   check_module_gradients("self-attention", mha, [&](const std::vector<Var>& x) {
//       return mha.forward(x[0], masks).output;
//   }, {randn({2, 4, 6}, 0, 1, DType::Float64, gen)});
//
// checks the output's gradient with respect to the input and every parameter of mha.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "autograd/reduce.hpp"
#include "nn/module.hpp"
#include "tests/testing.hpp"

namespace qkv::test {

// Every parameter slot of a module tree (each defined Var that visit() reaches), in visit()
// order, with its name as named_parameters() gives it ("layers.0.weight").
inline std::vector<std::pair<std::string, Var*>> parameter_slots(nn::Module& m) {
    struct Slots : nn::Visitor {
        std::string prefix;
        std::vector<std::pair<std::string, Var*>> slots;
        void param(const std::string& name, Var& p) override {
            if (p.defined()) slots.emplace_back(prefix + name, &p);
        }
        void module(const std::string& name, nn::Module& sub) override {
            const std::string outer = prefix;
            prefix += name + ".";
            sub.visit(*this);
            prefix = outer;
        }
    } visitor;
    m.visit(visitor);
    return visitor.slots;
}

// The parameters of a module tree as gradcheck inputs, and the way back: values() gives one
// tensor per distinct parameter (a Var held in two slots, a tied weight, counts once, so its
// gradient is the sum over both uses), assign() puts gradcheck's leaves in their slots. The
// destructor puts the module's own Vars back, so the module leaves the check as it came.
class ParameterLeaves {
public:
    explicit ParameterLeaves(nn::Module& m) {
        std::unordered_map<const void*, std::size_t> index_of;  // a Var's impl -> its leaf
        for (const auto& [name, slot] : parameter_slots(m)) {
            slots_.push_back(slot);
            originals_.push_back(*slot);
            const auto [it, added] = index_of.try_emplace(slot->impl().get(), distinct_.size());
            if (added) distinct_.push_back(*slot), names_.push_back(name);
            leaf_of_slot_.push_back(it->second);
        }
    }
    ~ParameterLeaves() {
        for (std::size_t i = 0; i < slots_.size(); ++i) *slots_[i] = originals_[i];
    }
    ParameterLeaves(const ParameterLeaves&) = delete;
    ParameterLeaves& operator=(const ParameterLeaves&) = delete;

    // The number of distinct parameters: how many leaves assign() takes.
    std::size_t size() const { return distinct_.size(); }
    // The name of parameter i (of a tied one, the first slot's).
    const std::string& name(std::size_t i) const { return names_.at(i); }
    // Copies of the parameters' values, for gradcheck's inputs.
    std::vector<Tensor> values() const {
        std::vector<Tensor> out;
        for (const Var& p : distinct_) out.push_back(p.data().clone());
        return out;
    }
    // Puts leaves[first], leaves[first + 1], ... in the parameters' slots, in values() order.
    void assign(const std::vector<Var>& leaves, std::size_t first = 0) {
        for (std::size_t i = 0; i < slots_.size(); ++i) *slots_[i] = leaves.at(first + leaf_of_slot_[i]);
    }

private:
    std::vector<Var*> slots_;
    std::vector<Var> originals_;
    std::vector<Var> distinct_;
    std::vector<std::string> names_;
    std::vector<std::size_t> leaf_of_slot_;
};

// gradcheck of f with respect to `inputs` and every parameter of m: f is called with leaves for
// `inputs` only (the parameters' leaves are already in m when it runs). One check, which prints
// gradcheck's message (the input or parameter, the element, both values) on failure; an
// exception from f fails it too.
//
// gradcheck alone passes a parameter that f never reads (both derivatives are 0), so a second
// check asks that a backward pass from f's output reach every parameter except those named in
// `unread` (say, out_proj for attention weights, which come before the output projection), and
// none of those.
template <class F>
void check_module_gradients(const std::string& what, nn::Module& m, F&& f, const std::vector<Tensor>& inputs,
                            const std::vector<std::string>& unread = {}) {
    INFO(what);
    ParameterLeaves parameters(m);
    std::vector<Tensor> all = inputs;
    for (const Tensor& t : parameters.values()) all.push_back(t);
    const std::size_t n = inputs.size();
    const auto f_of_all = [&](const std::vector<Var>& leaves) {
        parameters.assign(leaves, n);
        return f(std::vector<Var>(leaves.begin(), leaves.begin() + static_cast<std::ptrdiff_t>(n)));
    };
    try {
        const GradcheckResult result = gradcheck(f_of_all, all);
        INFO(result.message);
        CHECK(result.ok);

        std::vector<Var> leaves;
        for (const Tensor& t : all) leaves.emplace_back(t.clone(), true);
        sum(f_of_all(leaves)).backward();
        std::string wrong;
        for (std::size_t i = 0; i < parameters.size(); ++i) {
            const bool reached = leaves[n + i].grad().defined();
            const bool expected = std::find(unread.begin(), unread.end(), parameters.name(i)) == unread.end();
            if (reached != expected) wrong += (reached ? " reached: " : " not reached: ") + parameters.name(i);
        }
        INFO("parameters the output should depend on (all but the unread ones) and does not, or the reverse:", wrong);
        CHECK(wrong.empty());
    } catch (const std::exception& e) {
        FAIL_CHECK("threw: " << std::string(e.what()));
    }
}

}  // namespace qkv::test
