#include "nn/text/wordpiece.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "nn/text/utf8.hpp"
#include "tensor/error.hpp"

namespace qkv::nn {
namespace {

// Steps 1 and 2: one string of code points with single spaces wherever words may break.
std::u32string clean_and_space_cjk(std::string_view text, bool split_cjk) {
    std::u32string out;
    for (char32_t c : utf8::decode(text)) {
        if (c == 0 || c == 0xFFFD || utf8::is_control(c)) continue;
        if (utf8::is_whitespace(c)) out += U' ';
        else if (split_cjk && utf8::is_cjk(c)) out += std::u32string{U' ', c, U' '};
        else out += c;
    }
    return out;
}

// Step 4's accent stripping: NFD splits "é" into "e" + U+0301 and BERT drops the mark (every
// character of category Mn); utf8::strip_accent does both for the letters it knows.
std::u32string remove_accents(const std::u32string& word) {
    std::u32string out;
    for (char32_t c : word)
        if (!utf8::is_combining_mark(c)) out += utf8::strip_accent(c);
    return out;
}

// Step 5: "hello,world!" -> hello , world !
void split_punctuation(const std::u32string& word, std::vector<std::string>& out) {
    std::u32string run;
    for (char32_t c : word) {
        if (!utf8::is_punctuation(c)) {
            run += c;
            continue;
        }
        if (!run.empty()) out.push_back(utf8::encode(run));
        run.clear();
        out.push_back(utf8::encode(c));
    }
    if (!run.empty()) out.push_back(utf8::encode(run));
}

bool is_continuation(const std::string& piece) { return piece.size() > 2 && piece.starts_with("##"); }

// The text between and including the special spellings `vocab` holds, in order; the bool is
// true for a special. Only such exact spellings count: "[mask]" is ordinary text.
std::vector<std::pair<std::string_view, bool>> split_specials(std::string_view text, const Vocab& vocab) {
    std::vector<std::string> specials;
    for (const auto* s : {&special::pad, &special::unk, &special::bos, &special::eos, &special::cls, &special::sep,
                          &special::mask})
        if (vocab.contains(*s)) specials.push_back(*s);

    std::vector<std::pair<std::string_view, bool>> parts;
    std::size_t start = 0;
    for (std::size_t pos = text.find('['); pos != std::string_view::npos; pos = text.find('[', pos + 1)) {
        for (const auto& s : specials) {
            if (!text.substr(pos).starts_with(s)) continue;
            parts.emplace_back(text.substr(start, pos - start), false);
            parts.emplace_back(text.substr(pos, s.size()), true);
            start = pos + s.size();
            pos = start - 1;  // the search resumes after the special
            break;
        }
    }
    parts.emplace_back(text.substr(start), false);
    return parts;
}

BertEncoding layout(const Vocab& vocab, const std::vector<std::int64_t>& a, const std::vector<std::int64_t>* b) {
    BertEncoding enc;
    auto append = [&](std::int64_t id, std::int64_t segment) {
        enc.input_ids.push_back(id);
        enc.token_type_ids.push_back(segment);
    };
    append(vocab.cls_id(), 0);
    for (std::int64_t id : a) append(id, 0);
    append(vocab.sep_id(), 0);
    if (b) {
        for (std::int64_t id : *b) append(id, 1);
        append(vocab.sep_id(), 1);
    }
    return enc;
}

}  // namespace

// ---- BasicTokenizer --------------------------------------------------------------------------

std::vector<std::string> BasicTokenizer::tokenize(std::string_view text) const {
    const std::u32string spaced = clean_and_space_cjk(text, split_cjk_);
    std::vector<std::string> tokens;
    std::size_t start = 0;
    while (start < spaced.size()) {
        std::size_t end = spaced.find(U' ', start);
        if (end == std::u32string::npos) end = spaced.size();
        std::u32string word = spaced.substr(start, end - start);
        if (lower_case_) std::transform(word.begin(), word.end(), word.begin(), utf8::to_lower);
        if (strip_accents_) word = remove_accents(word);
        split_punctuation(word, tokens);
        start = end + 1;
    }
    return tokens;
}

// ---- WordPiece -------------------------------------------------------------------------------

std::vector<std::string> wordpiece(std::string_view word, const Vocab& vocab, std::size_t max_chars) {
    const std::u32string chars = utf8::decode(word);
    if (chars.size() > max_chars) return {special::unk};
    std::vector<std::string> pieces;
    for (std::size_t start = 0; start < chars.size();) {
        // The longest chars[start, end) in the vocabulary, trying end = size, size-1, ...
        std::size_t end = chars.size();
        for (; end > start; --end) {
            std::string piece = (start > 0 ? "##" : "") + utf8::encode(chars.substr(start, end - start));
            if (vocab.contains(piece)) {
                pieces.push_back(std::move(piece));
                break;
            }
        }
        if (end == start) return {special::unk};
        start = end;
    }
    return pieces;
}

// ---- BertTokenizer ---------------------------------------------------------------------------

BertTokenizer::BertTokenizer(Vocab vocab, BasicTokenizer basic) : vocab_(std::move(vocab)), basic_(basic) {
    if (!vocab_.contains(special::unk))
        fail("BertTokenizer", "the vocabulary (", vocab_.size(), " tokens) has no ", special::unk,
             " token for words it cannot split");
}

BertTokenizer BertTokenizer::from_file(const std::string& vocab_path, bool lower_case) {
    return BertTokenizer(Vocab::load(vocab_path), BasicTokenizer(lower_case));
}

std::vector<std::string> BertTokenizer::tokenize(std::string_view text) const {
    std::vector<std::string> tokens;
    for (const auto& [part, is_special] : split_specials(text, vocab_)) {
        if (is_special) {
            tokens.emplace_back(part);
            continue;
        }
        for (const auto& word : basic_.tokenize(part))
            for (auto& piece : wordpiece(word, vocab_)) tokens.push_back(std::move(piece));
    }
    return tokens;
}

std::vector<std::int64_t> BertTokenizer::encode(std::string_view text) const { return vocab_.ids(tokenize(text)); }

BertEncoding BertTokenizer::encode_single(std::string_view a, std::int64_t max_len) const {
    if (max_len < 2) fail("BertTokenizer::encode_single", "max_len ", max_len, " leaves no room for [CLS] and [SEP] (need >= 2)");
    std::vector<std::int64_t> ids = encode(a);
    if (static_cast<std::int64_t>(ids.size()) > max_len - 2) ids.resize(static_cast<std::size_t>(max_len - 2));
    return layout(vocab_, ids, nullptr);
}

BertEncoding BertTokenizer::encode_pair(std::string_view a, std::string_view b, std::int64_t max_len) const {
    if (max_len < 3)
        fail("BertTokenizer::encode_pair", "max_len ", max_len, " leaves no room for [CLS] and two [SEP] (need >= 3)");
    std::vector<std::int64_t> ids_a = encode(a), ids_b = encode(b);
    const auto budget = static_cast<std::size_t>(max_len - 3);
    while (ids_a.size() + ids_b.size() > budget) {
        if (ids_a.size() > ids_b.size()) ids_a.pop_back();
        else ids_b.pop_back();
    }
    return layout(vocab_, ids_a, &ids_b);
}

std::string BertTokenizer::decode(const std::vector<std::int64_t>& ids, bool skip_special) const {
    std::string out;
    for (std::int64_t id : ids) {
        const std::string& token = vocab_.token(id);  // checks the range
        if (skip_special && is_structural_token(token)) continue;
        if (is_continuation(token) && !out.empty()) out += token.substr(2);
        else out += (out.empty() ? "" : " ") + token;
    }
    return out;
}

// ---- building a vocabulary -------------------------------------------------------------------

namespace {

// A distinct corpus word as the ids of its current pieces, with how often it occurs.
struct SplitWord {
    std::vector<std::int64_t> pieces;
    std::int64_t count;
};

using Pair = std::pair<std::int64_t, std::int64_t>;

// The most frequent adjacent pair over all words; ties go to the smaller ids, so the answer
// does not depend on the hash table's order. nullopt when every word is a single piece.
std::optional<Pair> most_frequent_pair(const std::vector<SplitWord>& words) {
    std::unordered_map<std::uint64_t, std::int64_t> counts;  // key: first id << 32 | second id
    for (const auto& w : words)
        for (std::size_t i = 0; i + 1 < w.pieces.size(); ++i)
            counts[static_cast<std::uint64_t>(w.pieces[i]) << 32 | static_cast<std::uint64_t>(w.pieces[i + 1])] += w.count;
    std::optional<std::uint64_t> best;
    std::int64_t best_count = 0;
    for (const auto& [key, count] : counts)
        if (count > best_count || (count == best_count && key < *best)) best = key, best_count = count;
    if (!best) return std::nullopt;
    return Pair{static_cast<std::int64_t>(*best >> 32), static_cast<std::int64_t>(*best & 0xFFFFFFFFu)};
}

// Replaces each occurrence of `pair`, left to right, by `merged`.
void apply_merge(std::vector<SplitWord>& words, Pair pair, std::int64_t merged) {
    for (auto& w : words) {
        std::vector<std::int64_t> out;
        for (std::size_t i = 0; i < w.pieces.size(); ++i) {
            if (i + 1 < w.pieces.size() && w.pieces[i] == pair.first && w.pieces[i + 1] == pair.second) {
                out.push_back(merged);
                ++i;
            } else {
                out.push_back(w.pieces[i]);
            }
        }
        w.pieces = std::move(out);
    }
}

}  // namespace

Vocab build_wordpiece_vocab(const std::vector<std::string>& texts, std::int64_t vocab_size, const BasicTokenizer& basic) {
    std::map<std::u32string, std::int64_t> word_counts;
    for (const auto& text : texts)
        for (const auto& word : basic.tokenize(text))
            if (std::u32string chars = utf8::decode(word); chars.size() <= max_input_chars_per_word) ++word_counts[chars];

    // Each word as its characters: "cat" -> c ##a ##t.
    std::vector<std::vector<std::string>> char_pieces;
    std::set<std::string> alphabet;
    for (const auto& [chars, count] : word_counts) {
        std::vector<std::string> pieces;
        for (std::size_t i = 0; i < chars.size(); ++i) pieces.push_back((i > 0 ? "##" : "") + utf8::encode(chars[i]));
        alphabet.insert(pieces.begin(), pieces.end());
        char_pieces.push_back(std::move(pieces));
    }
    if (vocab_size > (std::int64_t{1} << 31))  // most_frequent_pair packs two ids in 64 bits
        fail("build_wordpiece_vocab", "vocab_size ", vocab_size, " is too large (at most 2^31)");
    const auto needed = static_cast<std::int64_t>(special::bert.size() + alphabet.size());
    if (vocab_size < needed)
        fail("build_wordpiece_vocab", "vocab_size ", vocab_size, " cannot hold the ", special::bert.size(),
             " special tokens and the ", alphabet.size(), " characters of the corpus (need >= ", needed, ")");

    Vocab vocab(special::bert);
    for (const auto& piece : alphabet) vocab.add(piece);
    std::vector<SplitWord> words;
    std::size_t k = 0;
    for (const auto& [chars, count] : word_counts) words.push_back({vocab.ids(char_pieces[k++]), count});

    while (vocab.size() < vocab_size) {
        const auto best = most_frequent_pair(words);
        if (!best) break;
        const std::string& right = vocab.token(best->second);
        // Merging an already-known token (reached before by another split) adds nothing, but
        // the pair still disappears from the words, so the loop always progresses.
        const std::int64_t merged = vocab.add(vocab.token(best->first) + right.substr(is_continuation(right) ? 2 : 0));
        apply_merge(words, *best, merged);
    }
    return vocab;
}

}  // namespace qkv::nn
