// Optimizer: what turns gradients into parameter updates. The training loop is always
//
//   optimizer.zero_grad();          // drop last step's gradients (backward adds into .grad)
//   Var loss = ...; loss.backward();
//   optimizer.step();               // p <- p - lr * (something made of p.grad and the state)
//
// The base class holds the parameters (by name, as model.named_parameters() lists them), the
// learning rate, the count of steps taken, and each parameter's state (Adam's running
// averages, SGD's momentum buffer). Subclasses write one thing: update(), the rule for one
// parameter, as a plain loop over its elements.
//
// State lives in a map of named tensors, "kind.param_name" -> Tensor, e.g.
//   "exp_avg.encoder.layers.0.weight"  shaped like that parameter, in its dtype
//   "step.encoder.layers.0.weight"     an int64 0-d count (Adam's bias correction)
// state_dict() adds "step" (int64 0-d: the number of step() calls) and "lr" (float64 0-d),
// so a checkpoint restores the whole optimizer exactly.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "nn/module.hpp"
#include "tensor/safetensors.hpp"

namespace qkv::nn {

// The parameters an optimizer updates: model.named_parameters(), or plain Vars (model.parameters(),
// {w, b}), which are named "0", "1", ... in order. A Var listed twice (tied weights) is kept
// once, under its first name, so it is not updated twice. The constructors are implicit on
// purpose: SGD(model.named_parameters(), 0.1) and SGD({w, b}, 0.1) both read naturally.
class ParamList {
public:
    ParamList(const NamedParameters& named);
    ParamList(const std::vector<Var>& unnamed);
    ParamList(std::initializer_list<Var> unnamed) : ParamList(std::vector<Var>(unnamed)) {}
    const NamedParameters& named() const { return named_; }

private:
    NamedParameters named_;
};

class Optimizer {
public:
    // One kind of per-parameter state: a tensor shaped like the parameter (exp_avg), or an
    // int64 0-d counter (Adam's per-parameter step).
    struct StateKind {
        std::string name;
        bool counter = false;
    };

    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // One update of every parameter that has a gradient; the others (and their state) are
    // left untouched. Runs under NoGradGuard and writes into the parameters' tensors in place,
    // so the model keeps pointing at the same parameters.
    void step();
    // Drops every parameter's gradient.
    void zero_grad();

    double lr() const { return lr_; }
    void set_lr(double lr);  // lr >= 0; a Scheduler calls this after each step, for the next
    std::int64_t step_count() const { return step_count_; }  // step() calls so far
    const NamedParameters& params() const { return params_; }

    // Copies of the state (see the top of this file). Entries appear for a parameter once it
    // has had its first update.
    TensorMap state_dict() const;
    // Restores a state_dict(): checks every entry first (names known, shapes and dtypes right,
    // each parameter's state complete or absent, "step" and "lr" present) and throws one Error
    // listing every problem, changing nothing; otherwise replaces the whole state.
    void load_state_dict(const TensorMap& state);
    // The checks of load_state_dict alone (throws the same Error, changes nothing).
    void check_state_dict(const TensorMap& state) const;

    const std::string& type_name() const { return name_; }  // "SGD", "Adam", "AdamW"

protected:
    // `name` starts error messages ("SGD: lr must be >= 0, got -1").
    Optimizer(std::string name, const ParamList& params, double lr);

    // The rule for one parameter: `param` is its data, to update in place, and `grad` its
    // gradient; both contiguous, same shape and dtype (float32 or float64).
    virtual void update(const std::string& name, const Tensor& param, const Tensor& grad) = 0;
    // The kinds of state update() keeps, for checking loaded state.
    virtual std::vector<StateKind> state_kinds() const = 0;

    // The state tensor `kind` of parameter `name`, shaped like `param` (contiguous, its dtype,
    // converted if the parameter's dtype changed since it was made).
    // `created` says whether it was just made (as zeros): SGD starts its momentum buffer
    // differently on the first update.
    Tensor& state_like(const std::string& kind, const std::string& name, const Tensor& param, bool& created);
    // An int64 counter of parameter `name`, starting at 0.
    std::int64_t& counter(const std::string& kind, const std::string& name);

    // The constructors' checks of hyperparameters: `value` must be in [lo, hi] (or [lo, hi)
    // with open_hi), else "SGD: momentum must be in [0, 1], got 1.5".
    void check_range(const char* what, double value, double lo, double hi, bool open_hi = false) const;

private:
    std::string name_;
    NamedParameters params_;
    double lr_;
    std::int64_t step_count_ = 0;
    TensorMap buffers_;                             // "kind.name" -> tensor like the parameter
    std::map<std::string, std::int64_t> counters_;  // "kind.name" -> count
};

}  // namespace qkv::nn
