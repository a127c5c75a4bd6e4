#include "nn/text/tokenizers.hpp"

#include "nn/text/utf8.hpp"

namespace qkv::nn {
namespace {

std::vector<std::vector<std::string>> split_all(const std::vector<std::string>& texts,
                                                std::vector<std::string> (*split)(std::string_view)) {
    std::vector<std::vector<std::string>> corpus;
    corpus.reserve(texts.size());
    for (const auto& text : texts) corpus.push_back(split(text));
    return corpus;
}

std::vector<std::int64_t> encode_tokens(const Vocab& vocab, const std::vector<std::string>& tokens, bool add_bos_eos) {
    std::vector<std::int64_t> ids;
    ids.reserve(tokens.size() + 2);
    if (add_bos_eos) ids.push_back(vocab.bos_id());
    for (const auto& t : tokens) ids.push_back(vocab.id(t));
    if (add_bos_eos) ids.push_back(vocab.eos_id());
    return ids;
}

std::string join_tokens(const Vocab& vocab, const std::vector<std::int64_t>& ids, bool skip_special,
                        std::string_view separator) {
    std::string out;
    bool first = true;
    for (std::int64_t id : ids) {
        const std::string& token = vocab.token(id);  // checks the range
        if (skip_special && is_structural_token(token)) continue;
        if (!first) out += separator;
        out += token;
        first = false;
    }
    return out;
}

}  // namespace

std::vector<std::string> split_chars(std::string_view text) {
    std::vector<std::string> out;
    for (char32_t c : utf8::decode(text)) out.push_back(utf8::encode(c));
    return out;
}

std::vector<std::string> split_whitespace(std::string_view text) {
    std::vector<std::string> words;
    std::u32string word;
    for (char32_t c : utf8::decode(text)) {
        if (!utf8::is_whitespace(c)) {
            word += c;
        } else if (!word.empty()) {
            words.push_back(utf8::encode(word));
            word.clear();
        }
    }
    if (!word.empty()) words.push_back(utf8::encode(word));
    return words;
}

// ---- CharTokenizer ---------------------------------------------------------------------------

CharTokenizer CharTokenizer::build(const std::vector<std::string>& texts, const std::vector<std::string>& specials,
                                   std::int64_t min_freq) {
    return CharTokenizer(Vocab::build(split_all(texts, split_chars), specials, min_freq));
}

std::vector<std::int64_t> CharTokenizer::encode(std::string_view text, bool add_bos_eos) const {
    return encode_tokens(vocab_, split_chars(text), add_bos_eos);
}

std::string CharTokenizer::decode(const std::vector<std::int64_t>& ids, bool skip_special) const {
    return join_tokens(vocab_, ids, skip_special, "");
}

// ---- WhitespaceTokenizer -----------------------------------------------------------------------

WhitespaceTokenizer WhitespaceTokenizer::build(const std::vector<std::string>& texts,
                                               const std::vector<std::string>& specials, std::int64_t min_freq) {
    return WhitespaceTokenizer(Vocab::build(split_all(texts, split_whitespace), specials, min_freq));
}

std::vector<std::int64_t> WhitespaceTokenizer::encode(std::string_view text, bool add_bos_eos) const {
    return encode_tokens(vocab_, split_whitespace(text), add_bos_eos);
}

std::string WhitespaceTokenizer::decode(const std::vector<std::int64_t>& ids, bool skip_special) const {
    return join_tokens(vocab_, ids, skip_special, " ");
}

}  // namespace qkv::nn
