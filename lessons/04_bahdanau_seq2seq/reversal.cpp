#include "lessons/04_bahdanau_seq2seq/reversal.hpp"

#include <memory>
#include <set>
#include <string>

#include "tensor/core.hpp"

namespace qkv::lesson04 {

namespace {

std::vector<std::int64_t> random_sequence(Generator& gen, const ReversalOptions& o, std::int64_t first_symbol) {
    const auto n = o.min_len + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(o.max_len - o.min_len + 1)));
    std::vector<std::int64_t> s;
    for (std::int64_t i = 0; i < n; ++i)
        s.push_back(first_symbol + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(o.symbols))));
    return s;
}

Example reversed(const std::vector<std::int64_t>& src) {
    const auto n = static_cast<std::int64_t>(src.size());
    Example e{src, std::vector<std::int64_t>(src.rbegin(), src.rend()), {}};
    for (std::int64_t i = 0; i < n; ++i) e.align.push_back(n - 1 - i);  // the anti-diagonal
    return e;
}

}  // namespace

Task reversal_task(std::uint64_t seed, const ReversalOptions& o) {
    if (o.min_len < 1 || o.max_len < o.min_len || o.symbols < 1 || o.symbols > 10 || o.heldout < 0)
        fail("reversal_task", "need 1 <= min_len <= max_len and 1 <= symbols <= 10, got lengths ", o.min_len, "..",
             o.max_len, " and ", o.symbols, " symbols");
    std::vector<std::string> tokens = nn::special::seq2seq;
    for (std::int64_t d = 0; d < o.symbols; ++d) tokens.push_back(std::to_string(d));
    Task task;
    task.name = "reversal";
    task.src_vocab = nn::Vocab(tokens);
    task.tgt_vocab = task.src_vocab;
    task.max_target_len = o.max_len;
    const std::int64_t first = task.src_vocab.id("0");

    auto heldout = std::make_shared<std::set<std::vector<std::int64_t>>>();
    Generator gen(seed);
    while (static_cast<std::int64_t>(heldout->size()) < o.heldout) {
        std::vector<std::int64_t> s = random_sequence(gen, o, first);
        if (heldout->insert(s).second) task.heldout.push_back(reversed(s));
    }
    task.sample = [heldout, o, first](Generator& g) {
        for (;;) {  // at most 1000 of the ~1.1e8 sequences are held out: a redraw is rare
            std::vector<std::int64_t> s = random_sequence(g, o, first);
            if (!heldout->count(s)) return reversed(s);
        }
    };
    return task;
}

}  // namespace qkv::lesson04
