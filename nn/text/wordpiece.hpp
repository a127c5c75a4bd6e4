// BERT's tokenizer: a rule-based split into words (BasicTokenizer), then each word split into
// the longest pieces the vocabulary holds (WordPiece), with "##" marking a piece that
// continues a word:
//
//   "The unaffable cat, 我喜欢猫!"
//     BasicTokenizer -> the  unaffable  cat  ,  我  喜  欢  猫  !
//     WordPiece      -> the  un ##aff ##able  cat  ,  我  喜  欢  猫  !
//
// Known words stay whole, rare words fall apart into frequent pieces, and only a word with a
// character the vocabulary lacks becomes [UNK]. A real BERT vocab.txt (30,522 entries for
// bert-base-uncased) loads with Vocab::load and gives the same pieces as BERT for text in the
// scripts utf8.hpp's tables cover.
//
// Limits, because qkv has no Unicode database: lower-casing covers ASCII, Latin-1, Latin
// Extended-A, Greek and Cyrillic; accent stripping covers the accented letters of Latin-1
// and Latin Extended-A plus any combining mark U+0300..U+036F (text already in NFD form);
// punctuation and control characters are the blocks listed in utf8.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nn/text/vocab.hpp"

namespace qkv::nn {

// Splits text into words and punctuation the way BERT does before WordPiece:
//   1. clean: delete NUL, U+FFFD and control characters; every whitespace becomes a space;
//   2. put spaces around each CJK ideograph, so Chinese becomes one token per character;
//   3. split on spaces;
//   4. lower-case, and strip accents (é -> e) by decomposing letters and dropping the marks;
//   5. split each punctuation character off as a token of its own ("world!" -> world !).
class BasicTokenizer {
public:
    // lower_case is BERT's "uncased". strip_accents defaults to lower_case, as in BERT: uncased
    // models strip accents, cased models keep them.
    explicit BasicTokenizer(bool lower_case = true, std::optional<bool> strip_accents = std::nullopt,
                            bool split_cjk = true)
        : lower_case_(lower_case), strip_accents_(strip_accents.value_or(lower_case)), split_cjk_(split_cjk) {}

    std::vector<std::string> tokenize(std::string_view text) const;

    bool lower_case() const { return lower_case_; }
    bool strip_accents() const { return strip_accents_; }
    bool split_cjk() const { return split_cjk_; }

private:
    bool lower_case_, strip_accents_, split_cjk_;
};

// BERT gives up on words longer than this (in characters): they become [UNK].
inline constexpr std::size_t max_input_chars_per_word = 100;

// WordPiece, greedy longest-match-first: from the start of the word, take the longest prefix
// in the vocabulary; then from where it ended, the longest "##"-prefixed piece; and so on. If
// some position has no piece at all (or the word is over max_chars characters), the whole word
// is [UNK], not just the failing part. `word` is one word from BasicTokenizer.
std::vector<std::string> wordpiece(std::string_view word, const Vocab& vocab,
                                   std::size_t max_chars = max_input_chars_per_word);

// A model input: the ids, and for each position which segment it belongs to (0 for the
// [CLS] a [SEP] part, 1 for the b [SEP] part), the input of BERT's segment embedding.
struct BertEncoding {
    std::vector<std::int64_t> input_ids;
    std::vector<std::int64_t> token_type_ids;
};

class BertTokenizer {
public:
    // The vocabulary must hold [UNK]; encode_single/encode_pair also need [CLS] and [SEP].
    explicit BertTokenizer(Vocab vocab, BasicTokenizer basic = BasicTokenizer());
    // A vocab.txt, e.g. bert-base-uncased's (lower_case = true) or bert-base-cased's (false).
    static BertTokenizer from_file(const std::string& vocab_path, bool lower_case = true);

    // The word pieces of `text`. Special spellings the vocabulary holds ("[MASK]", "[SEP]")
    // are kept as single tokens, so "the [MASK] sat" has a mask to predict.
    std::vector<std::string> tokenize(std::string_view text) const;
    // Their ids, without [CLS] or [SEP].
    std::vector<std::int64_t> encode(std::string_view text) const;
    // [CLS] a [SEP], at most max_len ids (a is cut from the end to fit; max_len >= 2).
    BertEncoding encode_single(std::string_view a, std::int64_t max_len) const;
    // [CLS] a [SEP] b [SEP], at most max_len ids (>= 3). While too long, the last token of the
    // longer of a and b is dropped (b's when they are equal), as in BERT's fine-tuning code:
    // a short segment keeps all its tokens.
    BertEncoding encode_pair(std::string_view a, std::string_view b, std::int64_t max_len) const;
    // Joins the pieces: "##" pieces attach to the previous token, others get a space. With
    // skip_special, [CLS], [SEP] and [PAD] (etc.) are left out; [UNK] and [MASK] are kept.
    // Unlike Hugging Face's decode, no space is removed before punctuation ("hello , world").
    std::string decode(const std::vector<std::int64_t>& ids, bool skip_special = true) const;

    const Vocab& vocab() const { return vocab_; }
    const BasicTokenizer& basic() const { return basic_; }

private:
    Vocab vocab_;
    BasicTokenizer basic_;
};

// Builds a WordPiece vocabulary from raw texts, short and deterministic rather than BERT's own
// (unpublished) procedure:
//   1. BasicTokenizer the texts and count the words (words over max_input_chars_per_word
//      characters are left out: they tokenize to [UNK] whatever the vocabulary);
//   2. ids 0-4 are [PAD] [UNK] [CLS] [SEP] [MASK];
//   3. then the alphabet, in byte order: every character that starts a word, and "##c" for
//      every character c seen inside a word. This alone tokenizes the corpus with no [UNK];
//   4. then merges, as in byte-pair encoding, until vocab_size tokens: split every word into
//      its pieces, count each adjacent pair of pieces (weighted by the word's count), add the
//      most frequent pair as a new token ("un" + "##aff" -> "unaff"; ties go to the pair whose
//      pieces entered the vocabulary first), and replace that pair by it in every word.
// (WordPiece proper picks the merge that most raises the corpus likelihood, roughly a score of
// count(ab) / (count(a) count(b)); the plain count is simpler and serves the lessons.)
// Throws if vocab_size cannot hold the specials and the alphabet; may return fewer tokens
// when every word has become a single piece. Each merge recounts the pairs of every distinct
// word: about a second for 2,000 merges over 2,500 distinct words.
// Example: texts {"ab ab", "AB ac"} and vocab_size 100 give [PAD] [UNK] [CLS] [SEP] [MASK]
// ##b ##c a ab ac ("ab" occurs 3 times, so it is merged before "ac").
Vocab build_wordpiece_vocab(const std::vector<std::string>& texts, std::int64_t vocab_size,
                            const BasicTokenizer& basic = BasicTokenizer());

}  // namespace qkv::nn
