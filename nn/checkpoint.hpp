// Training checkpoints: everything needed to stop a run and resume it bit-identically, in one
// safetensors file (written atomically: a crash mid-save leaves the previous file intact).
//
//   save_checkpoint("run.safetensors", model, optimizer, {{"config", "..."}}, {{"data", &data_rng}});
//   ...
//   load_checkpoint("run.safetensors", model, optimizer, {{"data", &data_rng}});
//
// What the file holds:
//   <name>              the model's state_dict (parameters and buffers, their own names), so
//                       the weights load like any state dict
//   optimizer.<key>     the optimizer's state_dict: its step count "optimizer.step", "optimizer.lr",
//                       and per-parameter state such as "optimizer.exp_avg.<param name>"
//   rng.<name>          each named Generator's state: int64 (6) holding the bits of
//                       [s0, s1, s2, s3, has_spare, spare] (xoshiro's 4 words, the kept normal)
//   __metadata__        the caller's strings, and "qkv.optimizer" (the optimizer's type)
//
// A learning-rate Scheduler needs nothing saved: it reads the restored step count. Pass every
// Generator the run draws from after the checkpoint (data order, dropout) to resume exactly.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "nn/module.hpp"
#include "nn/optim/optimizer.hpp"

namespace qkv::nn {

using Generators = std::map<std::string, Generator*>;

struct CheckpointInfo {
    std::int64_t step = 0;                         // the optimizer's step count when saved
    std::map<std::string, std::string> metadata;  // the caller's metadata, as saved
};

// Metadata keys starting with "qkv." are reserved; model names may not start with
// "optimizer." or "rng." (they would collide with the other parts).
void save_checkpoint(const std::string& path, Module& model, const Optimizer& optimizer,
                     const std::map<std::string, std::string>& metadata = {}, const Generators& generators = {});

// Restores the model (strictly: every name must match, as load_state_dict), the optimizer
// (which must be of the saved type, built over the same parameters) and each generator named
// in `generators` (each must be in the file; others in the file are ignored). Everything is
// checked before anything changes: on error nothing is loaded.
CheckpointInfo load_checkpoint(const std::string& path, Module& model, Optimizer& optimizer,
                               const Generators& generators = {});

}  // namespace qkv::nn
