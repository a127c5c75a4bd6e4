#include "nn/module.hpp"

#include <sstream>
#include <unordered_set>

namespace qkv::nn {

std::string join_name(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
}

namespace {

// Walks a module tree, calling back with full dotted names.
class Walker : public Visitor {
public:
    std::function<void(const std::string&, Var&)> on_param = [](const std::string&, Var&) {};
    std::function<void(const std::string&, Tensor&)> on_buffer = [](const std::string&, Tensor&) {};
    std::function<void(const std::string&, Module&)> on_module = [](const std::string&, Module&) {};
    std::function<void(const std::string&, Generator&)> on_generator = [](const std::string&, Generator&) {};

    void walk(const std::string& name, Module& m) {
        on_module(name, m);
        const std::string saved = prefix_;
        prefix_ = name;
        m.visit(*this);
        prefix_ = saved;
    }
    void param(const std::string& name, Var& p) override { on_param(join_name(prefix_, name), p); }
    void buffer(const std::string& name, Tensor& b) override { on_buffer(join_name(prefix_, name), b); }
    void module(const std::string& name, Module& m) override { walk(join_name(prefix_, name), m); }
    void generator(const std::string& name, Generator& g) override { on_generator(join_name(prefix_, name), g); }

private:
    std::string prefix_;
};

// 1234567 -> "1,234,567"
std::string with_commas(std::int64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace

NamedParameters Module::named_parameters() {
    NamedParameters out;
    Walker w;
    // A tied parameter (one Var held by two modules) is listed once, under the first name the
    // walk meets, as PyTorch's named_parameters(): an optimizer then steps it once and a
    // checkpoint saves it once.
    std::unordered_set<const VarImpl*> seen;
    w.on_param = [&](const std::string& name, Var& p) {
        if (p.defined() && seen.insert(p.impl().get()).second) out.emplace_back(name, p);
    };
    w.walk("", *this);
    return out;
}

std::vector<Var> Module::parameters() {
    std::vector<Var> out;
    for (auto& [name, p] : named_parameters()) out.push_back(p);
    return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() {
    std::vector<std::pair<std::string, Tensor>> out;
    Walker w;
    w.on_buffer = [&](const std::string& name, Tensor& b) {
        if (b.defined()) out.emplace_back(name, b);
    };
    w.walk("", *this);
    return out;
}

std::vector<std::pair<std::string, Generator*>> Module::named_generators() {
    std::vector<std::pair<std::string, Generator*>> out;
    Walker w;
    w.on_generator = [&](const std::string& name, Generator& g) { out.emplace_back(name, &g); };
    w.walk("", *this);
    return out;
}

std::int64_t Module::num_parameters() {
    std::int64_t n = 0;
    for (auto& [name, p] : named_parameters()) n += p.numel();
    return n;
}

void Module::train(bool on) {
    for_each_module([on](const std::string&, Module& m) { m.training_ = on; });
}

void Module::zero_grad() {
    for (auto& [name, p] : named_parameters()) p.zero_grad();
}

void Module::to(DType dtype) {
    if (!is_floating(dtype)) fail("Module::to", "parameters must be floating-point, got ", dtype_name(dtype));
    Walker w;
    // In place (Var::set_data), so every holder of a parameter, a tied module or an optimizer
    // built before, sees the converted value. A tied parameter is met twice; the second time
    // its dtype already matches.
    w.on_param = [dtype](const std::string&, Var& p) {
        if (!p.defined() || p.dtype() == dtype) return;
        const Tensor grad = p.grad().defined() ? p.grad().to(dtype) : Tensor();
        p.set_data(p.data().to(dtype));
        p.set_grad(grad);
    };
    w.on_buffer = [dtype](const std::string&, Tensor& b) {
        if (b.defined() && is_floating(b.dtype())) b = b.to(dtype);
    };
    w.walk("", *this);
}

void Module::for_each_module(const std::function<void(const std::string&, Module&)>& f) {
    Walker w;
    w.on_module = f;
    w.walk("", *this);
}

std::string Module::summary() {
    std::ostringstream out;
    for_each_module([&](const std::string& name, Module& m) {
        const auto depth = name.empty() ? 0 : 1 + std::count(name.begin(), name.end(), '.');
        out << std::string(static_cast<std::size_t>(depth) * 2, ' ') << (name.empty() ? "(model)" : name) << "  "
            << m.type_name() << "(" << m.describe() << ")  " << with_commas(m.num_parameters()) << " params\n";
    });
    return out.str();
}

}  // namespace qkv::nn
