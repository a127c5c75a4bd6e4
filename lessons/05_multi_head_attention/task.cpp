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
