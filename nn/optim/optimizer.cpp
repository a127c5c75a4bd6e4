#include "nn/optim/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace qkv::nn {
namespace {

std::string key_of(const std::string& kind, const std::string& name) { return kind + "." + name; }

Tensor int64_scalar(std::int64_t v) { return from_vector(std::vector<std::int64_t>{v}, Shape{}); }

bool is_int64_scalar(const Tensor& t) { return t.dtype() == DType::Int64 && t.dim() == 0; }

// The largest step count: beyond 2^53 a double (Adam's beta^t) no longer tells consecutive
// steps apart, and a count read from a file must leave room to count on without overflow.
constexpr std::int64_t max_step_count = std::int64_t{1} << 53;

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
}

}  // namespace

// ---- the parameter list ------------------------------------------------------------------------

ParamList::ParamList(const NamedParameters& named) {
    std::set<const VarImpl*> seen;
    for (const auto& [name, p] : named) {
        if (!p.defined()) fail("optimizer", "parameter '", name, "' is undefined");
        if (!is_floating(p.dtype()))
            fail("optimizer", "parameter '", name, "' must be floating-point, got ", describe(p.data()));
        if (seen.insert(p.impl().get()).second) named_.emplace_back(name, p);
    }
    if (named_.empty()) fail("optimizer", "got an empty parameter list");
}

namespace {
NamedParameters numbered(const std::vector<Var>& unnamed) {
    NamedParameters out;
    for (std::size_t i = 0; i < unnamed.size(); ++i) out.emplace_back(std::to_string(i), unnamed[i]);
    return out;
}
}  // namespace

ParamList::ParamList(const std::vector<Var>& unnamed) : ParamList(numbered(unnamed)) {}

// ---- the optimizer -----------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, const ParamList& params, double lr)
    : name_(std::move(name)), params_(params.named()), lr_(0.0) {
    set_lr(lr);
}

void Optimizer::set_lr(double lr) {
    check_range("lr", lr, 0.0, std::numeric_limits<double>::infinity());
    lr_ = lr;
}

// Infinity is never a usable hyperparameter (lr = inf turns every weight to -inf), so an
// unbounded range still asks for a finite value.
void Optimizer::check_range(const char* what, double value, double lo, double hi, bool open_hi) const {
    const bool ok = std::isfinite(value) && value >= lo && (open_hi ? value < hi : value <= hi);  // false for NaN
    if (ok) return;
    if (std::isinf(hi)) fail(name_, what, " must be finite and >= ", lo, ", got ", value);
    fail(name_, what, " must be in [", lo, ", ", hi, open_hi ? ")" : "]", ", got ", value);
}

void Optimizer::step() {
    NoGradGuard no_grad;
    if (step_count_ >= max_step_count) fail(name_, "step count ", step_count_, " has reached the limit of 2^53 steps");
    ++step_count_;
    for (const auto& [name, p] : params_) {
        const Tensor& grad = p.grad();
        if (!grad.defined()) continue;  // not used in this loss: no update, state unchanged
        const Tensor& data = p.data();
        if (grad.shape() != data.shape() || grad.dtype() != data.dtype())
            fail(name_, "parameter '", name, "' is ", describe(data), " but its gradient is ", describe(grad));
        // update() walks flat arrays: a parameter that is a strided view is updated in a
        // contiguous copy, then copied back.
        const Tensor flat = data.contiguous();
        update(name, flat, grad.contiguous());
        if (!flat.shares_storage_with(data)) copy_(data, flat);
    }
}

void Optimizer::zero_grad() {
    for (const auto& [name, p] : params_) p.zero_grad();
}

Tensor& Optimizer::state_like(const std::string& kind, const std::string& name, const Tensor& param, bool& created) {
    auto it = buffers_.find(key_of(kind, name));
    created = it == buffers_.end();
    if (created) it = buffers_.emplace(key_of(kind, name), zeros_like(param)).first;
    // The model was converted since the last step (Module::to, in place): the state follows
    // its parameter's dtype, as the values it holds are the same.
    else if (it->second.dtype() != param.dtype()) it->second = it->second.to(param.dtype());
    return it->second;
}

std::int64_t& Optimizer::counter(const std::string& kind, const std::string& name) {
    return counters_[key_of(kind, name)];
}

// ---- saving and restoring ----------------------------------------------------------------------

TensorMap Optimizer::state_dict() const {
    TensorMap out;
    for (const auto& [key, t] : buffers_) out[key] = t.clone();  // a snapshot, not a live view
    for (const auto& [key, n] : counters_) out[key] = int64_scalar(n);
    out["step"] = int64_scalar(step_count_);
    out["lr"] = scalar(lr_, DType::Float64);
    return out;
}

void Optimizer::check_state_dict(const TensorMap& state) const {
    std::vector<std::string> problems;
    const auto find = [&](const char* key) -> const Tensor* {
        auto it = state.find(key);
        if (it == state.end()) problems.push_back(cat("no '", key, "' entry"));
        return it == state.end() ? nullptr : &it->second;
    };
    // Counters and hyperparameters from a file are bounded like the constructor's arguments:
    // a step of 2^63 - 1 would overflow on the next step(), an lr of inf ruin every weight.
    const auto count_in_range = [](const Tensor& t, std::int64_t hi) {
        return is_int64_scalar(t) && t.data<std::int64_t>()[0] >= 0 && t.data<std::int64_t>()[0] <= hi;
    };
    std::int64_t steps = max_step_count;
    if (const Tensor* t = find("step"); t && !count_in_range(*t, max_step_count))
        problems.push_back(cat("'step' must be an int64 0-d tensor in [0, 2^53], got ", describe(*t),
                               is_int64_scalar(*t) ? cat(" holding ", t->data<std::int64_t>()[0]) : ""));
    else if (t)
        steps = t->data<std::int64_t>()[0];
    if (const Tensor* t = find("lr");
        t && !(is_floating(t->dtype()) && t->dim() == 0 && std::isfinite(t->item()) && t->item() >= 0))
        problems.push_back(cat("'lr' must be a finite non-negative floating 0-d tensor, got ", describe(*t),
                               t->numel() == 1 ? cat(" holding ", t->item()) : ""));

    std::map<std::string, const Tensor*> param_of;
    for (const auto& [name, p] : params_) param_of[name] = &p.data();
    const std::vector<StateKind> kinds = state_kinds();
    std::map<std::string, std::vector<std::string>> found;  // param name -> kinds present

    for (const auto& [key, t] : state) {
        if (key == "step" || key == "lr") continue;
        const auto dot = key.find('.');
        const std::string kind = key.substr(0, dot), name = dot == std::string::npos ? "" : key.substr(dot + 1);
        const StateKind* k = nullptr;
        for (const auto& candidate : kinds)
            if (candidate.name == kind) k = &candidate;
        if (!k || !param_of.count(name)) {
            problems.push_back(cat("unexpected entry '", key, "'"));
            continue;
        }
        found[name].push_back(kind);
        const Tensor& p = *param_of[name];
        // A parameter is updated at most once a step, so its count is at most the step count.
        if (k->counter && !count_in_range(t, steps))
            problems.push_back(cat("'", key, "' must be an int64 0-d tensor in [0, 'step'], got ",
                                   describe(t), is_int64_scalar(t) ? cat(" holding ", t.data<std::int64_t>()[0]) : ""));
        if (!k->counter && !(is_floating(t.dtype()) && t.shape() == p.shape()))
            problems.push_back(cat("'", key, "' must be a floating tensor of the parameter's shape ",
                                   shape_str(p.shape()), ", got ", describe(t)));
    }
    // A parameter's state is made all at once on its first update: part of it is a bad file.
    for (const auto& [name, present] : found)
        if (present.size() != kinds.size())
            for (const auto& k : kinds)
                if (std::find(present.begin(), present.end(), k.name) == present.end())
                    problems.push_back(cat("missing '", key_of(k.name, name), "' (the parameter has other state)"));

    if (!problems.empty()) fail(name_ + ".load_state_dict", joined(problems));
}

void Optimizer::load_state_dict(const TensorMap& state) {
    check_state_dict(state);
    buffers_.clear();
    counters_.clear();
    std::map<std::string, DType> dtype_of;
    for (const auto& [name, p] : params_) dtype_of[name] = p.dtype();
    for (const auto& [key, t] : state) {
        if (key == "step") step_count_ = t.data<std::int64_t>()[0];
        else if (key == "lr") lr_ = t.item();
        else if (t.dtype() == DType::Int64) counters_[key] = t.data<std::int64_t>()[0];
        else buffers_[key] = t.to(dtype_of[key.substr(key.find('.') + 1)]).clone();  // own copy, parameter's dtype
    }
}

}  // namespace qkv::nn
