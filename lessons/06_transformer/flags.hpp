// The lesson's own flags (--task, --norm, --beam, --d-model, --layers, --warmup, --lr-factor,
// --dropout), read from LessonArgs::extra. Bad values throw qkv::Error naming the flag.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lessons/06_transformer/training.hpp"

namespace qkv::lesson06 {

// --task copy|reverse|sort|translate|all (default all, in that order).
std::vector<Task> tasks_from_flags(const std::map<std::string, std::string>& extra);

// Sets the model and decoding fields of `config` from the flags that are present; d_ff
// follows d_model (twice it). On a bad value throws and leaves `config` as it was.
void apply_flags(const std::map<std::string, std::string>& extra, TrainConfig& config);

}  // namespace qkv::lesson06
