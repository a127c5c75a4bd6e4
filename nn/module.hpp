// Module: a model part that owns its parameters and submodules as plain members.
//
// A module lists its members once, in visit(), and gets named_parameters(), train()/eval(),
// parameter counts, a summary and state dicts from that one list:
//
//   struct Linear : Module {
//       Var weight, bias;                        // the parameters, plain members
//       void visit(Visitor& v) override { v.param("weight", weight); v.param("bias", bias); }
//   };
//   struct Block : Module {
//       Linear up, down;                          // submodules, by value
//       std::vector<Linear> extra;                // lists of submodules: names extra.0, extra.1, ...
//       void visit(Visitor& v) override { v.module("up", up); v.module("down", down); v.modules("extra", extra); }
//   };
//
// named_parameters() then yields "up.weight", "up.bias", ..., "extra.1.bias": hierarchical
// dotted names, the same as PyTorch's, so checkpoints map one to one.
//
// Copying a module copies the handles: the copy shares its parameters with the original.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "autograd/autograd.hpp"

namespace qkv::nn {

class Module;

// What visit() calls for each member. Implementations walk the tree for the base class.
class Visitor {
public:
    virtual ~Visitor() = default;
    virtual void param(const std::string& name, Var& p) = 0;
    // Non-trainable state saved with the model (e.g. a fixed positional-encoding table).
    virtual void buffer(const std::string& name, Tensor& b) { (void)name, (void)b; }
    // A Generator the module draws from while training (dropout masks). Not part of the model's
    // weights, but of a training run's state: checkpoints that resume a run save it, so the
    // resumed run drops the same elements as one that was never stopped.
    virtual void generator(const std::string& name, Generator& g) { (void)name, (void)g; }
    virtual void module(const std::string& name, Module& m) = 0;
    template <class M> void modules(const std::string& name, std::vector<M>& list) {
        for (std::size_t i = 0; i < list.size(); ++i) module(name + "." + std::to_string(i), list[i]);
    }
};

using NamedParameters = std::vector<std::pair<std::string, Var>>;

class Module {
public:
    virtual ~Module() = default;

    // Lists the module's parameters, buffers and submodules (each exactly once).
    virtual void visit(Visitor& v) = 0;
    // The class name shown in summaries ("Linear").
    virtual std::string type_name() const = 0;
    // Extra words for the summary line ("in=128, out=512").
    virtual std::string describe() const { return ""; }

    // Depth-first, in visit() order. A parameter shared by two members (a tied weight, such as
    // the Transformer's generator and embedding) is listed once, under its first name.
    NamedParameters named_parameters();
    std::vector<Var> parameters();
    std::vector<std::pair<std::string, Tensor>> named_buffers();
    // Every submodule's Generator, by dotted name ("encoder.layers.0.dropout1.generator").
    std::vector<std::pair<std::string, Generator*>> named_generators();
    std::int64_t num_parameters();       // total element count

    // Training mode switches dropout on; eval() switches it off. Propagates to every submodule.
    void train(bool on = true);
    void eval() { train(false); }
    bool is_training() const { return training_; }

    // Clears the gradients of every parameter.
    void zero_grad();

    // Converts every parameter (and its gradient) and floating buffer to `dtype`, e.g. float64
    // for gradient checks. Parameters are converted in place: each keeps its identity, so tied
    // weights stay tied and an optimizer built before still steps them (converting its state at
    // its next step). Buffers are replaced, not converted in place: a copy of the module shares
    // its parameters but keeps its own buffers in the old dtype.
    void to(DType dtype);

    // One line per module, indented by depth, with its parameter count, e.g.
    //   encoder.layers.0.self_attn.q_proj  Linear(in=64, out=64)  4,160 params
    std::string summary();

    // Calls f(dotted_name, module) for this module ("") and every submodule, depth-first.
    void for_each_module(const std::function<void(const std::string&, Module&)>& f);

protected:
    Module() = default;
    Module(const Module&) = default;
    Module& operator=(const Module&) = default;
    Module(Module&&) = default;
    Module& operator=(Module&&) = default;

private:
    bool training_ = true;
};

// A module with one input and one output, as Sequential chains them.
class UnaryModule : public Module {
public:
    virtual Var forward(const Var& x) = 0;
    Var operator()(const Var& x) { return forward(x); }
};

// A new trainable parameter holding `init` (a leaf that requires grad).
inline Var parameter(Tensor init) { return Var(std::move(init), true); }

// "weight" under "encoder.layers.0" -> "encoder.layers.0.weight".
std::string join_name(const std::string& prefix, const std::string& name);

// Eval mode for a scope: switches dropout off and puts the module back in its previous mode
// when the scope ends, also when it ends by an exception.
//   { EvalGuard eval(model); NoGradGuard no_grad; ... evaluate ... }
class EvalGuard {
public:
    explicit EvalGuard(Module& m) : m_(m), was_training_(m.is_training()) { m_.eval(); }
    ~EvalGuard() { m_.train(was_training_); }
    EvalGuard(const EvalGuard&) = delete;
    EvalGuard& operator=(const EvalGuard&) = delete;

private:
    Module& m_;
    bool was_training_;
};

}  // namespace qkv::nn
