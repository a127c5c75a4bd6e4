#include "lessons/10_tiny_gpt/char_tokens.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "nn/text/utf8.hpp"

namespace qkv::lesson10 {

namespace {

const std::vector<std::string>& specials() {
    static const std::vector<std::string> s{nn::special::pad, nn::special::unk, nn::special::bos, nn::special::eos};
    return s;
}

}  // namespace

CharTokens CharTokens::build(const std::vector<Poem>& train, std::int64_t min_count) {
    std::map<char32_t, std::int64_t> counts;
    for (const Poem& p : train)
        for (char32_t c : nn::utf8::decode(p.body))
            if (c != U'\n' && nn::utf8::encode(c) != line_break) ++counts[c];  // a literal ↵ stays [UNK]
    std::vector<std::pair<char32_t, std::int64_t>> kept;
    for (const auto& [c, n] : counts)
        if (n >= min_count) kept.emplace_back(c, n);
    std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> tokens = specials();
    tokens.push_back(line_break);
    for (const auto& entry : kept) tokens.push_back(nn::utf8::encode(entry.first));
    return CharTokens(nn::Vocab(tokens));
}

CharTokens CharTokens::from_characters(const std::string& characters) {
    const std::u32string chars = nn::utf8::decode(characters);
    std::vector<std::string> tokens = specials();
    tokens.push_back(line_break);
    std::set<char32_t> seen;
    for (char32_t c : chars) {
        if (c == U'\n' || nn::utf8::encode(c) == line_break)
            fail("CharTokens", "the saved characters hold a line break, which has its own id");
        if (!seen.insert(c).second) fail("CharTokens", "the saved characters repeat '", nn::utf8::encode(c), "'");
        tokens.push_back(nn::utf8::encode(c));
    }
    return CharTokens(nn::Vocab(tokens));
}

Ids CharTokens::encode_text(const std::string& text) const {
    Ids ids;
    for (char32_t c : nn::utf8::decode(text))
        ids.push_back(c == U'\n'                          ? newline_id()
                      : nn::utf8::encode(c) == line_break ? unk_id()  // the spelling of the line break, not one
                                                          : vocab_.find(nn::utf8::encode(c)).value_or(unk_id()));
    return ids;
}

Ids CharTokens::encode(const Poem& poem) const {
    Ids ids{bos_id()};
    for (std::int64_t id : encode_text(poem.body)) ids.push_back(id);
    ids.push_back(eos_id());
    return ids;
}

std::string CharTokens::decode(const Ids& ids) const {
    std::string text;
    for (std::int64_t id : ids) {
        if (id == unk_id()) text += "□";
        else if (id == newline_id()) text += "\n";
        else if (id != bos_id() && id != eos_id() && id != pad_id()) text += vocab_.token(id);
    }
    return text;
}

std::string CharTokens::characters() const {
    std::string out;
    for (std::int64_t id = newline_id() + 1; id < vocab_.size(); ++id) out += vocab_.token(id);
    return out;
}

double unknown_share(const Ids& ids, const CharTokens& tokens) {
    if (ids.empty()) return 0;
    return static_cast<double>(std::count(ids.begin(), ids.end(), tokens.unk_id())) / static_cast<double>(ids.size());
}

}  // namespace qkv::lesson10
