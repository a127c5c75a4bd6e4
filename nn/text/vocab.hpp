// Vocab: the two-way map between tokens (strings) and ids (the row of the embedding table).
//
// Ids are dense, 0 .. size()-1, in the order tokens were added. Special tokens are ordinary
// entries whose spelling marks them as special; every special token in qkv is spelled in
// brackets, as BERT spells its own:
//
//   [PAD]  padding, fills short sequences up to the batch length (pad_id())
//   [UNK]  unknown: id() answers it for any token not in the vocabulary (unk_id())
//   [BOS]  beginning of sequence: the first decoder input in seq2seq (bos_id())
//   [EOS]  end of sequence: the decoder's signal to stop (eos_id())
//   [CLS]  BERT's classification token, first in every input (cls_id())
//   [SEP]  BERT's separator, after each segment (sep_id())
//   [MASK] the token BERT's masked-language-model objective hides words behind (mask_id())
//
// A special token's id is wherever it sits, so a real BERT vocab.txt ([PAD] = 0, [UNK] = 100,
// [CLS] = 101, ...) loads as is. A vocabulary need not hold them all: the accessor of a
// missing one throws.
//
// vocab.txt is one token per line, id = line number - 1 (the format of BERT's files).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace qkv::nn {

namespace special {
inline const std::string pad = "[PAD]";
inline const std::string unk = "[UNK]";
inline const std::string bos = "[BOS]";
inline const std::string eos = "[EOS]";
inline const std::string cls = "[CLS]";
inline const std::string sep = "[SEP]";
inline const std::string mask = "[MASK]";
// The specials a seq2seq vocabulary starts with: [PAD] = 0, [UNK] = 1, [BOS] = 2, [EOS] = 3.
inline const std::vector<std::string> seq2seq = {pad, unk, bos, eos};
// BERT's: [PAD] = 0, [UNK] = 1, [CLS] = 2, [SEP] = 3, [MASK] = 4.
inline const std::vector<std::string> bert = {pad, unk, cls, sep, mask};
}  // namespace special

class Vocab {
public:
    Vocab() = default;
    // Token i gets id i. Throws on an empty token, on a token containing a line break (vocab.txt
    // could not hold it), on invalid UTF-8, and on duplicates (naming both positions).
    explicit Vocab(std::vector<std::string> tokens);

    // Counts the tokens of a tokenized corpus and keeps those seen at least min_freq times,
    // after `specials` (which take ids 0, 1, ...). Order: count descending, then token
    // ascending (byte order), so the result never depends on hash-table iteration order.
    static Vocab build(const std::vector<std::vector<std::string>>& corpus,
                       const std::vector<std::string>& specials = special::seq2seq, std::int64_t min_freq = 1);

    // vocab.txt: one token per line. load accepts \n or \r\n line ends, a final line end or
    // none, and a leading UTF-8 byte-order mark; it rejects empty lines, invalid UTF-8 and
    // duplicate tokens, naming the line numbers. save writes "token\n" per token, atomically.
    static Vocab load(const std::string& path);
    void save(const std::string& path) const;

    // Appends `token` if new; returns its id either way.
    std::int64_t add(const std::string& token);

    std::int64_t size() const { return static_cast<std::int64_t>(tokens_.size()); }
    bool contains(const std::string& token) const { return ids_.count(token) != 0; }
    std::optional<std::int64_t> find(const std::string& token) const;
    // The id of `token`; [UNK]'s id for an unknown token, or an error if there is no [UNK].
    std::int64_t id(const std::string& token) const;
    // The token of `id`; throws unless 0 <= id < size().
    const std::string& token(std::int64_t id) const;
    std::vector<std::int64_t> ids(const std::vector<std::string>& tokens) const;
    std::vector<std::string> tokens(const std::vector<std::int64_t>& ids) const;
    const std::vector<std::string>& all_tokens() const { return tokens_; }

    // True for the seven special spellings above.
    bool is_special(std::int64_t id) const;

    // Special token ids; each throws "Vocab: this vocabulary has no [PAD] token" (etc.) when absent.
    std::int64_t pad_id() const { return special_id(special::pad); }
    std::int64_t unk_id() const { return special_id(special::unk); }
    std::int64_t bos_id() const { return special_id(special::bos); }
    std::int64_t eos_id() const { return special_id(special::eos); }
    std::int64_t cls_id() const { return special_id(special::cls); }
    std::int64_t sep_id() const { return special_id(special::sep); }
    std::int64_t mask_id() const { return special_id(special::mask); }

private:
    std::int64_t special_id(const std::string& spelling) const;

    std::vector<std::string> tokens_;                     // id -> token
    std::unordered_map<std::string, std::int64_t> ids_;  // token -> id
};

// True when `token` is one of the seven special spellings.
bool is_special_token(const std::string& token);
// [PAD], [BOS], [EOS], [CLS], [SEP]: the specials that mark structure rather than stand for
// text. Decoders skip these; [UNK] and [MASK] stand in for a piece of text and are kept.
bool is_structural_token(const std::string& token);

}  // namespace qkv::nn
