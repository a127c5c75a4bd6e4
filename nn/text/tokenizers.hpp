// The two simplest tokenizers: one token per character, and one token per whitespace-separated
// word. Each pairs a splitting rule with a Vocab:
//
//   CharTokenizer tok = CharTokenizer::build({"2026-11-21", "2026年11月21日"});
//   tok.encode("2026年11月21日")        // 11 ids: a character is a code point, not a byte
//   tok.encode("21日", true)            // [BOS] 2 1 日 [EOS]
//   tok.decode(ids)                      // back to the text, special tokens left out
//
// Characters or words missing from the vocabulary encode as [UNK] (an error if it has none).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nn/text/vocab.hpp"

namespace qkv::nn {

// One string per Unicode code point of the UTF-8 text (throws on invalid UTF-8).
std::vector<std::string> split_chars(std::string_view text);
// The maximal runs of non-whitespace (utf8::is_whitespace: ASCII and Unicode spaces).
std::vector<std::string> split_whitespace(std::string_view text);

class CharTokenizer {
public:
    explicit CharTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
    // The specials, then every character of `texts` seen at least min_freq times (Vocab::build order).
    static CharTokenizer build(const std::vector<std::string>& texts,
                               const std::vector<std::string>& specials = special::seq2seq, std::int64_t min_freq = 1);

    std::vector<std::string> tokenize(std::string_view text) const { return split_chars(text); }
    // add_bos_eos wraps the ids in [BOS] ... [EOS] (the vocabulary must hold both).
    std::vector<std::int64_t> encode(std::string_view text, bool add_bos_eos = false) const;
    // Concatenates the tokens; skip_special leaves out [PAD], [BOS], [EOS], [CLS] and [SEP]
    // (is_structural_token) but keeps [UNK] and [MASK], which stand for text.
    std::string decode(const std::vector<std::int64_t>& ids, bool skip_special = true) const;
    const Vocab& vocab() const { return vocab_; }

private:
    Vocab vocab_;
};

class WhitespaceTokenizer {
public:
    explicit WhitespaceTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
    static WhitespaceTokenizer build(const std::vector<std::string>& texts,
                                     const std::vector<std::string>& specials = special::seq2seq,
                                     std::int64_t min_freq = 1);

    std::vector<std::string> tokenize(std::string_view text) const { return split_whitespace(text); }
    std::vector<std::int64_t> encode(std::string_view text, bool add_bos_eos = false) const;
    // Joins the words with single spaces; skip_special as for CharTokenizer.
    std::string decode(const std::vector<std::int64_t>& ids, bool skip_special = true) const;
    const Vocab& vocab() const { return vocab_; }

private:
    Vocab vocab_;
};

}  // namespace qkv::nn
