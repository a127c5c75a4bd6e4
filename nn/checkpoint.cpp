#include "nn/checkpoint.hpp"

#include <bit>

#include "nn/state_dict.hpp"

namespace qkv::nn {
namespace {

const std::string optimizer_prefix = "optimizer.", rng_prefix = "rng.", optimizer_type_key = "qkv.optimizer";

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// ---- a Generator's state as 6 int64 words of bits --------------------------------------------

Tensor encode(const Generator::State& st) {
    std::vector<std::int64_t> words;
    for (const std::uint64_t w : st.s) words.push_back(std::bit_cast<std::int64_t>(w));
    words.push_back(st.has_spare ? 1 : 0);
    words.push_back(std::bit_cast<std::int64_t>(st.spare));
    return from_vector(words);
}

Generator::State decode(const Tensor& t, const std::string& what) {
    if (t.dtype() != DType::Int64 || t.shape() != Shape{6})
        fail("load_checkpoint", what, " must be int64 (6), got ", describe(t));
    const std::vector<std::int64_t> words = t.to_vector<std::int64_t>();
    Generator::State st{};
    bool all_zero = true;
    for (int i = 0; i < 4; ++i) st.s[i] = std::bit_cast<std::uint64_t>(words[i]), all_zero = all_zero && words[i] == 0;
    if (all_zero) fail("load_checkpoint", what, " is all zeros, which is not a valid generator state");
    if (words[4] != 0 && words[4] != 1) fail("load_checkpoint", what, ": has_spare must be 0 or 1, got ", words[4]);
    st.has_spare = words[4] == 1;
    st.spare = std::bit_cast<double>(words[5]);
    return st;
}

// The file's tensors, sorted into the three parts.
struct Parts {
    TensorMap model, optimizer, rng;
};

Parts split(const TensorMap& all) {
    Parts parts;
    for (const auto& [name, t] : all) {
        if (starts_with(name, optimizer_prefix)) parts.optimizer[name.substr(optimizer_prefix.size())] = t;
        else if (starts_with(name, rng_prefix)) parts.rng[name.substr(rng_prefix.size())] = t;
        else parts.model[name] = t;
    }
    return parts;
}

}  // namespace

void save_checkpoint(const std::string& path, Module& model, const Optimizer& optimizer,
                     const std::map<std::string, std::string>& metadata, const Generators& generators) {
    const char* op = "save_checkpoint";
    TensorMap all = state_dict(model);
    for (const auto& [name, t] : all)
        if (starts_with(name, optimizer_prefix) || starts_with(name, rng_prefix))
            fail(op, "model entry '", name, "' would collide with the optimizer or rng part of the checkpoint");
    for (const auto& [key, t] : optimizer.state_dict()) all[optimizer_prefix + key] = t;
    for (const auto& [name, gen] : generators) {
        if (!gen) fail(op, "generator '", name, "' is null");
        all[rng_prefix + name] = encode(gen->state());
    }
    std::map<std::string, std::string> meta = metadata;
    for (const auto& [key, value] : metadata)
        if (starts_with(key, "qkv.")) fail(op, "metadata key '", key, "' is reserved (keys starting with \"qkv.\")");
    meta[optimizer_type_key] = optimizer.type_name();
    save_safetensors(path, all, meta);
}

CheckpointInfo load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer,
                               const Generators& generators) {
    const char* op = "load_checkpoint";
    SafetensorsFile file = load_safetensors(path);
    const auto type = file.metadata.find(optimizer_type_key);
    if (type == file.metadata.end())
        fail(op, "'", path, "' is not a qkv checkpoint (no \"", optimizer_type_key, "\" in its metadata)");
    if (type->second != optimizer.type_name())
        fail(op, "'", path, "' holds ", type->second, " state; the optimizer is ", optimizer.type_name());
    const Parts parts = split(file.tensors);

    // Check every part before changing anything.
    std::map<std::string, Generator::State> states;
    for (const auto& [name, gen] : generators) {
        if (!gen) fail(op, "generator '", name, "' is null");
        const auto it = parts.rng.find(name);
        if (it == parts.rng.end()) fail(op, "'", path, "' has no state for generator '", name, "'");
        states[name] = decode(it->second, "'" + rng_prefix + name + "'");
    }
    try {
        optimizer.check_state_dict(parts.optimizer);
        load_state_dict(model, parts.model, true);  // strict: throws before loading anything
    } catch (const Error& e) {
        fail(op, "'", path, "': ", e.what());
    }
    optimizer.load_state_dict(parts.optimizer);
    for (const auto& [name, gen] : generators) gen->set_state(states[name]);

    CheckpointInfo info;
    info.step = optimizer.step_count();
    info.metadata = std::move(file.metadata);
    info.metadata.erase(optimizer_type_key);
    return info;
}

}  // namespace qkv::nn
