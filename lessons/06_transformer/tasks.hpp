// The lesson's tasks, all generated from the seed: sequence-to-sequence problems a Transformer
// must solve by attending to the right source positions.
//
//   copy       3 1 4 1 5   ->  3 1 4 1 5       cross-attention on the diagonal
//   reverse    3 1 4 1 5   ->  5 1 4 1 3       on the anti-diagonal
//   sort       3 1 4 1 5   ->  1 1 3 4 5       wherever the next-smallest symbol is
//   translate  SVO sentence -> SOV sentence    words mapped and reordered (toy_translation.hpp)
//
// Token ids: 0 = [PAD], 1 = [BOS], 2 = [EOS], then the task's words. Targets are fed to the
// decoder as [BOS] y (tgt_in) and predicted as y [EOS] (tgt_out).
//
// Held-out items are drawn first, from their own generator, and the training sampler rejects
// any source that is among them, so the held-out exact match measures generalisation, not
// memory.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::lesson06 {

inline constexpr std::int64_t kPad = 0, kBos = 1, kEos = 2, kFirstWord = 3;

enum class Task { Copy, Reverse, Sort, Translate };

const char* task_name(Task task);
// "copy", "reverse", "sort", "translate"; throws on anything else.
Task parse_task(const std::string& name);

struct Example {
    std::vector<std::int64_t> src, tgt;  // words only: no [BOS] / [EOS]
};

struct TaskSpec {
    Task task = Task::Copy;
    std::vector<std::string> src_words, tgt_words;  // id -> label, specials first
    std::int64_t max_src_len = 0, max_tgt_len = 0;  // longest source / target (words only)
    std::function<Example(Generator&)> sample;      // one random item
};

// The numbers behind the sequence tasks: symbols kFirstWord .. kFirstWord + num_symbols - 1
// ("a", "b", ...), lengths uniform in [min_len, max_len].
struct SequenceTaskConfig {
    std::int64_t num_symbols = 10;
    std::int64_t min_len = 3;
    std::int64_t max_len = 8;
};

// The sequence tasks (copy, reverse, sort); `seed` makes the toy languages of Translate.
TaskSpec make_task(Task task, std::uint64_t seed, const SequenceTaskConfig& config = {});

// The target of a sequence task for `src` (the rule itself, for tests and checks).
std::vector<std::int64_t> sequence_target(Task task, const std::vector<std::int64_t>& src);

struct TaskData {
    std::vector<Example> held_out;
    std::set<std::vector<std::int64_t>> held_out_sources;  // the training sampler avoids these
};

// `count` held-out items with distinct sources, drawn from Generator(seed).
TaskData make_held_out(const TaskSpec& spec, std::int64_t count, std::uint64_t seed);

// One training item whose source is not held out.
Example sample_training(const TaskSpec& spec, const TaskData& data, Generator& gen);

// Words of `ids` joined by spaces, specials shown as [PAD] [BOS] [EOS].
std::string words(const std::vector<std::string>& vocab, const std::vector<std::int64_t>& ids);

}  // namespace qkv::lesson06
