// Task 1: reverse a sequence of 3 to 8 symbols drawn from 10 ("3 9 4 1" -> "1 4 9 3"). Output
// position i holds input position n-1-i, so the right alignment is the anti-diagonal.
#pragma once

#include <cstdint>

#include "lessons/04_bahdanau_seq2seq/task.hpp"

namespace qkv::lesson04 {

struct ReversalOptions {
    std::int64_t min_len = 3, max_len = 8;
    std::int64_t symbols = 10;     // the digits 0 .. 9
    std::int64_t heldout = 1000;   // distinct held-out sequences
};

// --quick's reversal: 3 to 5 symbols, which a model learns in a few seconds (the milestone
// tests/lessons/04 checks: exact match >= 0.9 on the held-out length-5 sequences).
inline ReversalOptions quick_reversal_options() { return {3, 5, 10, 500}; }

// The held-out set comes from `seed`; training draws (Task::sample) skip any held-out sequence.
Task reversal_task(std::uint64_t seed, const ReversalOptions& options = {});

}  // namespace qkv::lesson04
