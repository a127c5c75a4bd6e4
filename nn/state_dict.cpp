#include "nn/state_dict.hpp"

namespace qkv::nn {

TensorMap state_dict(Module& m) {
    TensorMap out;
    auto put = [&](const std::string& name, const Tensor& t) {
        // Two members listed under one name would make a checkpoint ambiguous.
        if (!out.emplace(name, t).second)
            fail("state_dict", "two tensors are named '", name, "': a visit() lists the same name twice");
    };
    for (const auto& [name, p] : m.named_parameters()) put(name, p.data());
    for (const auto& [name, b] : m.named_buffers()) put(name, b);
    return out;
}

namespace {

// Loading converts float32 <-> float64; an integer or bool tensor must match exactly.
bool convertible(DType model, DType given) { return model == given || (is_floating(model) && is_floating(given)); }

// The report, and the names that can be loaded (in both, with matching shapes and dtypes).
struct Comparison {
    LoadReport report;
    std::vector<std::string> loadable;
};

Comparison compare(const TensorMap& model, const TensorMap& state) {
    Comparison c;
    for (const auto& [name, t] : model) {
        const auto it = state.find(name);
        if (it == state.end()) c.report.missing.push_back(name);
        else if (it->second.shape() != t.shape() || !convertible(t.dtype(), it->second.dtype()))
            c.report.mismatched.push_back(cat(name, ": model ", describe(t), ", checkpoint ", describe(it->second)));
        else c.loadable.push_back(name);
    }
    for (const auto& [name, t] : state)
        if (!model.contains(name)) c.report.unexpected.push_back(name);
    return c;
}

LoadReport load(Module& m, const TensorMap& state, bool strict, const std::string& source) {
    const TensorMap model = state_dict(m);
    const Comparison c = compare(model, state);
    if (strict && !c.report.ok())
        fail("load_state_dict", source, " does not match the model; nothing was loaded:\n", c.report.str());
    // Copies into the model's own tensors, in place: the Vars (and anything holding them, like
    // an optimizer) stay the same objects and see the new values. copy_ converts the dtype.
    for (const std::string& name : c.loadable) copy_(model.at(name), state.at(name));
    return c.report;
}

void list(std::string& out, const char* what, const std::vector<std::string>& names) {
    for (const std::string& name : names) out += cat(out.empty() ? "" : "\n", "  ", what, ": ", name);
}

}  // namespace

std::string LoadReport::str() const {
    std::string out;
    list(out, "missing", missing);
    list(out, "unexpected", unexpected);
    list(out, "mismatched", mismatched);
    return out;
}

LoadReport load_state_dict(Module& m, const TensorMap& state, bool strict) {
    return load(m, state, strict, "the state");
}

void save_state_dict(const std::string& path, Module& m, const std::map<std::string, std::string>& metadata) {
    save_safetensors(path, state_dict(m), metadata);
}

// The whole file is read and validated before anything is compared or copied, so a truncated
// or corrupt checkpoint throws and leaves the model untouched.
LoadReport load_state_dict(Module& m, const std::string& path, bool strict) {
    const SafetensorsFile file = load_safetensors(path);
    return load(m, file.tensors, strict, "'" + path + "'");
}

}  // namespace qkv::nn
