#include "lessons/05_multi_head_attention/task.hpp"

#include <algorithm>
#include <cstdio>

namespace qkv::lesson05 {

TaskBatch make_batch(const TaskConfig& config, std::int64_t n, Generator& gen) {
    const std::int64_t V = config.vocab, T = config.length;
    if (V < 2 || T < 2 || n < 1) fail("make_batch", "need vocab >= 2, length >= 2, n >= 1; got ", V, ", ", T, ", ", n);
    const std::vector<std::int64_t> symbols = randint(0, V, {n, T}, gen).to_vector<std::int64_t>();
    const std::vector<std::int64_t> where = randint(0, T, {n}, gen).to_vector<std::int64_t>();

    std::vector<std::int64_t> ids(symbols), targets(static_cast<std::size_t>(n * T), kIgnore);
    for (std::int64_t b = 0; b < n; ++b) {
        const std::size_t row = static_cast<std::size_t>(b * T);
        const std::size_t m = row + static_cast<std::size_t>(where[static_cast<std::size_t>(b)]);
        ids[m] += V;  // the marked copy of the same symbol
        for (std::size_t t = 1; t < static_cast<std::size_t>(T); ++t)
            targets[row + t] = symbols[row + t - 1] * V + symbols[m];
    }
    return {from_vector(ids, {n, T}), from_vector(targets, {n, T}), from_vector(where)};
}

SequenceSet sequence_set(const Tensor& ids) {
    const std::vector<std::int64_t> flat = ids.to_vector<std::int64_t>();
    const std::size_t T = static_cast<std::size_t>(ids.size(1));
    SequenceSet set;
    for (std::size_t row = 0; row < flat.size(); row += T) set.emplace(flat.begin() + row, flat.begin() + row + T);
    return set;
}

TaskBatch make_batch(const TaskConfig& config, std::int64_t n, Generator& gen, const SequenceSet& excluded) {
    const TaskBatch batch = make_batch(config, n, gen);
    std::vector<std::int64_t> ids = batch.ids.to_vector<std::int64_t>(), targets = batch.targets.to_vector<std::int64_t>(),
                              marked = batch.marked.to_vector<std::int64_t>();
    const auto T = static_cast<std::ptrdiff_t>(config.length);
    bool redrawn = false;
    for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(n); ++b) {
        const auto row = [&](std::vector<std::int64_t>& v) { return v.begin() + b * T; };
        while (excluded.count(std::vector<std::int64_t>(row(ids), row(ids) + T))) {
            const TaskBatch one = make_batch(config, 1, gen);
            const std::vector<std::int64_t> one_ids = one.ids.to_vector<std::int64_t>(),
                                            one_targets = one.targets.to_vector<std::int64_t>();
            std::copy(one_ids.begin(), one_ids.end(), row(ids));
            std::copy(one_targets.begin(), one_targets.end(), row(targets));
            marked[static_cast<std::size_t>(b)] = static_cast<std::int64_t>(one.marked.at({0}));
            redrawn = true;
        }
    }
    if (!redrawn) return batch;
    return {from_vector(ids, {n, config.length}), from_vector(targets, {n, config.length}), from_vector(marked)};
}

double order_blind_ceiling(const TaskConfig& config, const TaskBatch& batch) {
    const std::int64_t N = batch.ids.size(0), T = batch.ids.size(1), V = config.vocab;
    const std::vector<std::int64_t> ids = batch.ids.to_vector<std::int64_t>();
    double total = 0;
    for (std::int64_t b = 0; b < N; ++b) {
        std::vector<std::int64_t> count(static_cast<std::size_t>(V), 0);
        for (std::int64_t t = 0; t < T; ++t) ++count[static_cast<std::size_t>(symbol_of(ids[b * T + t], V))];
        for (std::int64_t t = 1; t < T; ++t) {
            std::vector<std::int64_t> others = count;
            --others[static_cast<std::size_t>(symbol_of(ids[b * T + t], V))];  // t itself is not its own previous token
            total += static_cast<double>(*std::max_element(others.begin(), others.end())) / static_cast<double>(T - 1);
        }
    }
    return total / static_cast<double>(N * (T - 1));
}

std::int64_t symbol_of(std::int64_t id, std::int64_t vocab) { return id % vocab; }
bool is_marked(std::int64_t id, std::int64_t vocab) { return id >= vocab; }

std::string token_label(std::int64_t id, std::int64_t vocab) {
    const char letter = static_cast<char>('a' + symbol_of(id, vocab));
    if (!is_marked(id, vocab)) return std::string(1, letter);
    return std::string(1, static_cast<char>(letter - 'a' + 'A')) + "*";
}

std::string class_label(std::int64_t cls, std::int64_t vocab) {
    // snprintf, not std::string's operator+: GCC 12 warns, wrongly, about the latter (-Wrestrict).
    char buf[16];
    std::snprintf(buf, sizeof buf, "(%c, %c)", static_cast<char>('a' + cls / vocab), static_cast<char>('A' + cls % vocab));
    return buf;
}

}  // namespace qkv::lesson05
