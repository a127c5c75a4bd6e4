// A model's state as named tensors, and its safetensors files.
//
// state_dict(m) maps every parameter and buffer's dotted name to its tensor (sharing storage,
// no copy). load_state_dict copies values into the model's own tensors in place, so
// optimizers holding the parameters keep working.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/module.hpp"
#include "tensor/safetensors.hpp"

namespace qkv::nn {

TensorMap state_dict(Module& m);

// What did not line up between a model and a state.
struct LoadReport {
    std::vector<std::string> missing;     // in the model, not in the state
    std::vector<std::string> unexpected;  // in the state, not in the model
    // In both, with a different shape or a dtype that does not convert (floats convert to floats;
    // int64 and bool must match): "fc.weight: model float32 (3, 4), checkpoint float32 (4, 3)".
    std::vector<std::string> mismatched;
    bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
    // One line per problem ("  missing: fc.bias"); empty when ok().
    std::string str() const;
};

// strict (the default): any missing, unexpected or mismatched name throws one Error listing
// all of them, and nothing is loaded. Not strict: loads every name that matches and returns
// the report. Values convert to the model's dtype. Loading copies into the model's own tensors
// (copy_), so every Var keeps its identity: an optimizer holding them sees the new values.
LoadReport load_state_dict(Module& m, const TensorMap& state, bool strict = true);

// Files: safetensors, written atomically. Loading reads and validates the whole file first: a
// truncated or corrupt file throws and leaves the model untouched.
void save_state_dict(const std::string& path, Module& m, const std::map<std::string, std::string>& metadata = {});
LoadReport load_state_dict(Module& m, const std::string& path, bool strict = true);

}  // namespace qkv::nn
