// The lesson's data in one place: the poems (from the fortune file, or the generated stand-in
// when it is missing), the seeded split, the character tokens of the training poems, and both
// sets of poems as token ids. main.cpp, the lesson's tests and exercise 10.4's checker build it
// the same way, so they see the same numbers.
#pragma once

#include <string>
#include <vector>

#include "lessons/10_tiny_gpt/char_tokens.hpp"

namespace qkv::lesson10 {

struct PoemData {
    Corpus corpus;
    bool generated = false;  // the file was missing: corpus is generated_fortune_text(320, seed + 7)
    Split split;
    CharTokens tokens;
    std::vector<Ids> train, heldout;  // [BOS] body [EOS] per poem
};

// Throws qkv::Error naming the file when it cannot be read, or when it holds fewer than 20
// poems (with the first malformed record's reason).
PoemData load_poem_data(const std::string& corpus_path, std::uint64_t seed);

}  // namespace qkv::lesson10
