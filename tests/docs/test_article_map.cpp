// lessons/ARTICLES.md maps every section of the five articles to the code that answers it, as
// `file:function` references. A map that points at a renamed function or a moved file sends the
// reader nowhere, so every reference must name a file that exists and a function (or class) that
// the file still contains; the Chinese map must name the same ones.
#include <doctest/doctest.h>

#include <cctype>
#include <filesystem>
#include <set>
#include <string>

#include "docs/markdown.hpp"

namespace fs = std::filesystem;
using namespace qkv::docs;

namespace {

struct Reference {
    std::string file;
    std::string function;  // may be qualified: "MultiHeadAttention::forward"
    bool operator<(const Reference& o) const { return file != o.file ? file < o.file : function < o.function; }
};

bool is_identifier_char(char c);

// `path/to/file.cpp:name` inside backticks: a path with a folder, ending .cpp or .hpp, a colon,
// then an identifier, possibly qualified. (A hand-written scan: std::regex draws false
// -Wmaybe-uninitialized warnings from GCC 12 in the sanitizer build.)
std::set<Reference> references(const std::string& text) {
    std::set<Reference> out;
    for (std::size_t open = text.find('`'); open != std::string::npos; open = text.find('`', open + 1)) {
        const std::size_t close = text.find('`', open + 1);
        if (close == std::string::npos) break;
        const std::string span = text.substr(open + 1, close - open - 1);
        open = close;  // the next span starts after this one
        const std::size_t colon = span.find(':');
        if (colon == std::string::npos) continue;
        const std::string file = span.substr(0, colon), function = span.substr(colon + 1);
        const bool source = file.size() > 4 && (file.ends_with(".cpp") || file.ends_with(".hpp"));
        if (!source || file.find('/') == std::string::npos || function.empty() || std::isdigit(static_cast<unsigned char>(function[0])))
            continue;
        bool ok = true;
        for (char c : file) ok = ok && (is_identifier_char(c) || c == '/' || c == '.' || c == '-');
        for (char c : function) ok = ok && (is_identifier_char(c) || c == ':');
        if (ok) out.insert({file, function});
    }
    return out;
}

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `name` occurs in `text` as a whole identifier (not as part of a longer one).
bool contains_identifier(const std::string& text, const std::string& name) {
    for (std::size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + 1)) {
        const bool left = at == 0 || !is_identifier_char(text[at - 1]);
        const std::size_t end = at + name.size();
        const bool right = end == text.size() || !is_identifier_char(text[end]);
        if (left && right) return true;
    }
    return false;
}

}  // namespace

TEST_SUITE("docs") {

TEST_CASE("the article map's file:function references all exist") {
    const std::string map = read_text(source_dir / "lessons" / "ARTICLES.md");
    REQUIRE_MESSAGE(!map.empty(), "lessons/ARTICLES.md is missing");
    for (const char* title : {"注意力机制在预训练中的应用", "注意力机制：提升深度学习模型性能", "注意力机制:从Transformer到BERT",
                              "Transformer大模型实战 自注意力机制", "解码注意力Attention机制:从技术解析到PyTorch实战"})
        CHECK_MESSAGE(map.find(std::string("## ") + title) != std::string::npos, "no section for the article " << title);
    const std::set<Reference> refs = references(map);
    CHECK(refs.size() >= 40);
    for (const Reference& r : refs) {
        INFO("lessons/ARTICLES.md names `" << r.file << ":" << r.function << "`");
        const fs::path path = source_dir / r.file;
        if (!fs::exists(path)) {
            FAIL_CHECK("no such file: " << r.file);
            continue;
        }
        CHECK_MESSAGE(contains_identifier(read_text(path), r.function), r.file << " does not contain " << r.function);
    }
}

TEST_CASE("the Chinese article map names the same code as the English one") {
    const std::string zh = read_text(source_dir / "lessons" / "ARTICLES.zh-CN.md");
    REQUIRE_MESSAGE(!zh.empty(), "lessons/ARTICLES.zh-CN.md is missing");
    const std::set<Reference> en_refs = references(read_text(source_dir / "lessons" / "ARTICLES.md"));
    const std::set<Reference> zh_refs = references(zh);
    for (const Reference& r : en_refs)
        CHECK_MESSAGE(zh_refs.count(r), "ARTICLES.zh-CN.md lacks `" << r.file << ":" << r.function << "`");
    for (const Reference& r : zh_refs)
        CHECK_MESSAGE(en_refs.count(r), "ARTICLES.md lacks `" << r.file << ":" << r.function << "`");
}

}  // TEST_SUITE
