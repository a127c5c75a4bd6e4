#include "nn/text/vocab.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "nn/text/utf8.hpp"
#include "tensor/atomic_file.hpp"
#include "tensor/error.hpp"

namespace qkv::nn {
namespace {

// Where token i came from, for messages: "id 3" for a list, "line 4" for a file.
using Place = std::string (*)(std::size_t i);
std::string place_in_list(std::size_t i) { return cat("id ", i); }
std::string place_in_file(std::size_t i) { return cat("line ", i + 1); }

// Why `token` cannot be in a vocabulary, or "" if it can.
std::string token_problem(const std::string& token) {
    if (token.empty()) return "the token is empty";
    if (token.find_first_of("\r\n") != std::string::npos) return "the token contains a line break";
    if (auto bad = utf8::find_invalid(token)) return cat("invalid UTF-8 at byte ", *bad, " of the token");
    return "";
}

// Splits a vocab.txt into lines, dropping \r before \n and the empty piece after a final line end.
std::vector<std::string> split_lines(std::string text) {
    static constexpr std::string_view bom = "\xEF\xBB\xBF";
    if (text.starts_with(bom)) text.erase(0, bom.size());
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        if (line.ends_with('\r')) line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

// The checks shared by the constructor and load, which differ only in how they name a position.
void fill(std::vector<std::string>& tokens_out, std::unordered_map<std::string, std::int64_t>& ids_out,
          std::vector<std::string> tokens, const std::string& op, Place place) {
    ids_out.reserve(tokens.size());
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (std::string problem = token_problem(tokens[i]); !problem.empty())
            fail(op, place(i), ": ", problem);
        const auto [it, fresh] = ids_out.emplace(tokens[i], static_cast<std::int64_t>(i));
        if (!fresh)
            fail(op, place(i), ": token '", tokens[i], "' is a duplicate of ",
                 place(static_cast<std::size_t>(it->second)));
    }
    tokens_out = std::move(tokens);
}

}  // namespace

bool is_special_token(const std::string& token) {
    return token == special::pad || token == special::unk || token == special::bos || token == special::eos ||
           token == special::cls || token == special::sep || token == special::mask;
}

bool is_structural_token(const std::string& token) {
    return is_special_token(token) && token != special::unk && token != special::mask;
}

Vocab::Vocab(std::vector<std::string> tokens) { fill(tokens_, ids_, std::move(tokens), "Vocab", place_in_list); }

Vocab Vocab::build(const std::vector<std::vector<std::string>>& corpus, const std::vector<std::string>& specials,
                   std::int64_t min_freq) {
    if (min_freq < 1) fail("Vocab::build", "min_freq must be >= 1, got ", min_freq);
    std::map<std::string, std::int64_t> counts;
    for (const auto& sentence : corpus)
        for (const auto& token : sentence) ++counts[token];

    std::vector<std::pair<std::string, std::int64_t>> kept;
    for (const auto& [token, count] : counts)
        if (count >= min_freq) kept.emplace_back(token, count);
    std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });

    Vocab vocab(specials);
    for (const auto& [token, count] : kept) {
        if (std::string problem = token_problem(token); !problem.empty())
            fail("Vocab::build", "corpus token '", token, "': ", problem);
        vocab.add(token);  // a special that also occurs in the corpus keeps its special id
    }
    return vocab;
}

// Real vocabularies are a few hundred KB (BERT's 30,522 tokens: 230 KB).
constexpr std::uint64_t max_vocab_file_bytes = std::uint64_t{256} << 20;

Vocab Vocab::load(const std::string& path) {
    const std::string op = "Vocab::load: '" + path + "'";
    std::vector<std::string> lines = split_lines(read_file(path, "Vocab::load", max_vocab_file_bytes));
    if (lines.empty()) fail(op, "the file holds no tokens");
    Vocab vocab;
    fill(vocab.tokens_, vocab.ids_, std::move(lines), op, place_in_file);
    return vocab;
}

void Vocab::save(const std::string& path) const {
    std::string text;
    for (const auto& token : tokens_) text += token + '\n';
    write_file_atomically(path, text);
}

std::int64_t Vocab::add(const std::string& token) {
    if (auto existing = find(token)) return *existing;
    if (std::string problem = token_problem(token); !problem.empty()) fail("Vocab::add", problem);
    tokens_.push_back(token);
    ids_.emplace(token, size() - 1);
    return size() - 1;
}

std::optional<std::int64_t> Vocab::find(const std::string& token) const {
    const auto it = ids_.find(token);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
}

std::int64_t Vocab::id(const std::string& token) const {
    if (auto found = find(token)) return *found;
    if (auto unk = find(special::unk)) return *unk;
    fail("Vocab::id", "token '", token, "' is not in the vocabulary of ", size(), " tokens, which has no ",
         special::unk, " to fall back on");
}

const std::string& Vocab::token(std::int64_t id) const {
    if (id < 0 || id >= size()) fail("Vocab::token", "id ", id, " is out of range for a vocabulary of ", size(), " tokens");
    return tokens_[static_cast<std::size_t>(id)];
}

std::vector<std::int64_t> Vocab::ids(const std::vector<std::string>& tokens) const {
    std::vector<std::int64_t> out;
    out.reserve(tokens.size());
    for (const auto& t : tokens) out.push_back(id(t));
    return out;
}

std::vector<std::string> Vocab::tokens(const std::vector<std::int64_t>& ids) const {
    std::vector<std::string> out;
    out.reserve(ids.size());
    for (std::int64_t i : ids) out.push_back(token(i));
    return out;
}

bool Vocab::is_special(std::int64_t id) const { return is_special_token(token(id)); }

std::int64_t Vocab::special_id(const std::string& spelling) const {
    if (auto found = find(spelling)) return *found;
    fail("Vocab", "this vocabulary has no ", spelling, " token");
}

}  // namespace qkv::nn
