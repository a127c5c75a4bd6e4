#include "lessons/06_transformer/tasks.hpp"

#include <algorithm>
#include <memory>

#include "lessons/06_transformer/toy_translation.hpp"

namespace qkv::lesson06 {

const char* task_name(Task task) {
    switch (task) {
        case Task::Copy: return "copy";
        case Task::Reverse: return "reverse";
        case Task::Sort: return "sort";
        case Task::Translate: return "translate";
    }
    return "?";
}

Task parse_task(const std::string& name) {
    for (Task t : {Task::Copy, Task::Reverse, Task::Sort, Task::Translate})
        if (name == task_name(t)) return t;
    throw Error(cat("--task must be copy, reverse, sort, translate or all, got '", name, "'"));
}

std::vector<std::int64_t> sequence_target(Task task, const std::vector<std::int64_t>& src) {
    std::vector<std::int64_t> tgt = src;
    if (task == Task::Reverse) std::reverse(tgt.begin(), tgt.end());
    if (task == Task::Sort) std::sort(tgt.begin(), tgt.end());
    if (task == Task::Translate) fail("sequence_target", "translate is not a sequence task");
    return tgt;
}

TaskSpec make_task(Task task, std::uint64_t seed, const SequenceTaskConfig& c) {
    TaskSpec spec;
    spec.task = task;
    if (task == Task::Translate) {
        auto langs = std::make_shared<const ToyLanguages>(make_toy_languages(seed));
        spec.src_words = langs->src_words;
        spec.tgt_words = langs->tgt_words;
        spec.max_src_len = 5;  // adjective noun verb adjective noun
        spec.max_tgt_len = 7;  // noun adjective ga noun adjective wo verb
        spec.sample = [langs](Generator& gen) { return sample_sentence(*langs, gen); };
        return spec;
    }
    if (c.num_symbols < 2 || c.num_symbols > 26 || c.min_len < 1 || c.max_len < c.min_len)
        fail("make_task", "need 2..26 symbols and 1 <= min_len <= max_len, got ", c.num_symbols, " symbols, lengths ",
             c.min_len, "..", c.max_len);
    spec.src_words = {"[PAD]", "[BOS]", "[EOS]"};
    for (std::int64_t s = 0; s < c.num_symbols; ++s) spec.src_words.push_back(std::string(1, static_cast<char>('a' + s)));
    spec.tgt_words = spec.src_words;
    spec.max_src_len = spec.max_tgt_len = c.max_len;
    spec.sample = [task, c](Generator& gen) {
        const auto span = static_cast<std::uint64_t>(c.max_len - c.min_len + 1);
        const std::int64_t len = c.min_len + static_cast<std::int64_t>(gen.below(span));
        Example e;
        for (std::int64_t i = 0; i < len; ++i)
            e.src.push_back(kFirstWord + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(c.num_symbols))));
        e.tgt = sequence_target(task, e.src);
        return e;
    };
    return spec;
}

TaskData make_held_out(const TaskSpec& spec, std::int64_t count, std::uint64_t seed) {
    TaskData data;
    Generator gen(seed);
    for (std::int64_t tries = 0; static_cast<std::int64_t>(data.held_out.size()) < count; ++tries) {
        if (tries > 100 * count) fail("make_held_out", "could not draw ", count, " distinct sources");
        Example e = spec.sample(gen);
        if (data.held_out_sources.insert(e.src).second) data.held_out.push_back(std::move(e));
    }
    return data;
}

Example sample_training(const TaskSpec& spec, const TaskData& data, Generator& gen) {
    for (;;) {
        Example e = spec.sample(gen);
        if (!data.held_out_sources.count(e.src)) return e;
    }
}

std::string words(const std::vector<std::string>& vocab, const std::vector<std::int64_t>& ids) {
    std::string s;
    for (std::int64_t id : ids) {
        if (!s.empty()) s += ' ';
        s += id >= 0 && id < static_cast<std::int64_t>(vocab.size()) ? vocab[static_cast<std::size_t>(id)] : "?";
    }
    return s;
}

}  // namespace qkv::lesson06
