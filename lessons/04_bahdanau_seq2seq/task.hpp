// A seq2seq task whose correct alignment is known: training examples drawn from a seed, a fixed
// held-out set that no training draw can repeat, and, for each held-out example, the source
// position each output token should attend to.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nn/text/vocab.hpp"
#include "tensor/random.hpp"

namespace qkv::lesson04 {

struct Example {
    std::vector<std::int64_t> src;  // source ids, without [BOS]/[EOS]
    std::vector<std::int64_t> tgt;  // target ids, without [BOS]/[EOS]
    // For each target position: the source position holding the same symbol, or -1 when the
    // alignment metric does not count that position.
    std::vector<std::int64_t> align;
    int kind = 0;  // which variant made it: the date format (dates.hpp), 0 for reversal
};

struct Task {
    std::string name;
    nn::Vocab src_vocab;  // both begin with [PAD] [UNK] [BOS] [EOS] (nn::special::seq2seq)
    nn::Vocab tgt_vocab;
    std::vector<Example> heldout;
    std::function<Example(Generator&)> sample;  // one training example, never a held-out one
    std::int64_t max_target_len = 0;            // the longest target, [EOS] not counted
};

}  // namespace qkv::lesson04
