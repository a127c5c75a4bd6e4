// Character-level tokens (字符级): one Chinese character, one punctuation mark or one line
// break is one token. Chinese needs no word segmentation for this: a character is already a
// unit of meaning, and the 2,500 distinct characters of the corpus make a small vocabulary.
//
// Ids: [PAD] 0, [UNK] 1, [BOS] 2 (start of a poem), [EOS] 3 (end of a poem), then the line
// break (spelt ↵ in the vocabulary, whose tokens hold no line break), then each character seen at least `min_count` times in the training poems, most
// frequent first (ties by code point). A character seen once in training is [UNK]: it gives
// [UNK] real training examples, so a model learns how often *some* rare character comes,
// which is what it meets in held-out poems (6% of their tokens in the lesson's split).
//
// A poem is [BOS] body [EOS], its lines joined by line-break tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lessons/10_tiny_gpt/corpus.hpp"
#include "nn/text/vocab.hpp"

namespace qkv::lesson10 {

using Ids = std::vector<std::int64_t>;

inline const std::string line_break = "↵";

class CharTokens {
public:
    static CharTokens build(const std::vector<Poem>& train, std::int64_t min_count = 2);
    // The vocabulary from characters() of another CharTokens (a saved model's metadata).
    // Throws for invalid UTF-8, a repeated character or a missing line break.
    static CharTokens from_characters(const std::string& characters);

    // [BOS] body [EOS].
    Ids encode(const Poem& poem) const;
    // Text without [BOS] / [EOS]; characters outside the vocabulary become [UNK].
    Ids encode_text(const std::string& text) const;
    // Back to text: [BOS], [EOS] and [PAD] dropped, [UNK] shown as □.
    std::string decode(const Ids& ids) const;

    // The characters after the line break, in id order, as one UTF-8 string (for saving).
    std::string characters() const;

    const nn::Vocab& vocab() const { return vocab_; }
    std::int64_t size() const { return vocab_.size(); }
    std::int64_t pad_id() const { return 0; }
    std::int64_t unk_id() const { return 1; }
    std::int64_t bos_id() const { return 2; }
    std::int64_t eos_id() const { return 3; }
    std::int64_t newline_id() const { return 4; }

private:
    explicit CharTokens(nn::Vocab vocab) : vocab_(std::move(vocab)) {}
    nn::Vocab vocab_;
};

// The share of a stream's tokens that are [UNK].
double unknown_share(const Ids& ids, const CharTokens& tokens);

}  // namespace qkv::lesson10
