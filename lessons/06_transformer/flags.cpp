#include "lessons/06_transformer/flags.hpp"

#include <cmath>

namespace qkv::lesson06 {

namespace {

// The whole string as a number, else an error naming the flag.
double number(const char* name, const std::string& text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size()) throw Error(cat("--", name, " expects a number, got '", text, "'"));
    return value;
}

void int_flag(const std::map<std::string, std::string>& extra, const char* name, std::int64_t& value, std::int64_t lo,
              std::int64_t hi) {
    const auto it = extra.find(name);
    if (it == extra.end()) return;
    const double v = number(name, it->second);
    if (v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi))
        throw Error(cat("--", name, " must be an integer in ", lo, "..", hi, ", got '", it->second, "'"));
    value = static_cast<std::int64_t>(v);
}

void real_flag(const std::map<std::string, std::string>& extra, const char* name, double& value, double lo, double hi) {
    const auto it = extra.find(name);
    if (it == extra.end()) return;
    const double v = number(name, it->second);
    if (!(v >= lo && v <= hi)) throw Error(cat("--", name, " must be in [", lo, ", ", hi, "], got '", it->second, "'"));
    value = v;
}

}  // namespace

std::vector<Task> tasks_from_flags(const std::map<std::string, std::string>& extra) {
    const auto it = extra.find("task");
    if (it == extra.end() || it->second == "all") return {Task::Copy, Task::Reverse, Task::Sort, Task::Translate};
    return {parse_task(it->second)};
}

void apply_flags(const std::map<std::string, std::string>& extra, TrainConfig& out) {
    TrainConfig config = out;  // changed only if every flag is good
    if (const auto it = extra.find("norm"); it != extra.end()) {
        if (it->second != "post" && it->second != "pre")
            throw Error(cat("--norm must be post or pre, got '", it->second, "'"));
        config.norm_first = it->second == "pre";
    }
    int_flag(extra, "d-model", config.d_model, 4, 512);
    if (config.d_model % config.num_heads != 0)
        throw Error(cat("--d-model must be a multiple of the ", config.num_heads, " heads, got ", config.d_model));
    config.d_ff = 2 * config.d_model;
    int_flag(extra, "layers", config.num_layers, 1, 8);
    int_flag(extra, "warmup", config.warmup, 1, 100000);
    real_flag(extra, "lr-factor", config.lr_factor, 1e-6, 100);
    real_flag(extra, "dropout", config.dropout, 0, 0.9);
    int_flag(extra, "beam", config.beam_size, 1, 16);
    out = config;
}

}  // namespace qkv::lesson06
