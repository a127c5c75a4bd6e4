#include "lessons/10_tiny_gpt/corpus.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "nn/text/utf8.hpp"

namespace qkv::lesson10 {

namespace {

// Removes ANSI colour codes: ESC '[' then parameters up to a final letter.
std::string strip_colour(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\x1b' && i + 1 < s.size() && s[i + 1] == '[') {
            std::size_t j = i + 2;
            while (j < s.size() && !std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
            i = j;  // past the final letter (or the end)
            continue;
        }
        out += s[i];
    }
    return out;
}

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// The record's poem, or the reason it is not one.
std::string parse_record(const std::vector<std::string>& lines, Poem& poem) {
    if (lines.size() < 3) return "fewer than three lines (title, author, body)";
    const std::string open = "《", close = "》", by = "作者：";
    if (!lines[0].starts_with(open) || !lines[0].ends_with(close)) return "the first line is not a 《title》";
    if (!lines[1].starts_with(by)) return "the second line does not start with 作者：";
    poem.title = lines[0].substr(open.size(), lines[0].size() - open.size() - close.size());
    poem.author = trim(lines[1].substr(by.size()));
    poem.body.clear();
    for (std::size_t i = 2; i < lines.size(); ++i) poem.body += (i > 2 ? "\n" : "") + lines[i];
    const std::u32string body = nn::utf8::decode(poem.body);  // checked valid by the caller
    if (std::none_of(body.begin(), body.end(), nn::utf8::is_cjk)) return "the body has no Chinese characters";
    return "";
}

}  // namespace

Corpus parse_fortune_poems(const std::string& text) {
    Corpus corpus;
    std::istringstream in(text);
    std::vector<std::string> record;
    std::int64_t index = 0;
    const auto finish = [&] {
        if (record.empty()) return;
        ++index;
        Poem poem;
        std::string problem;
        std::string joined;
        for (const auto& l : record) joined += l + "\n";
        if (const auto bad = nn::utf8::find_invalid(joined))
            problem = "invalid UTF-8 at byte " + std::to_string(*bad) + " of the record";
        else
            problem = parse_record(record, poem);
        if (problem.empty()) {
            corpus.poems.push_back(std::move(poem));
        } else {
            if (corpus.malformed == 0) corpus.first_problem = "record " + std::to_string(index) + ": " + problem;
            ++corpus.malformed;
        }
        record.clear();
    };
    std::string line;
    while (std::getline(in, line)) {
        line = trim(strip_colour(line));
        if (line == "%") {
            finish();
        } else if (!line.empty()) {
            record.push_back(line);
        }
    }
    finish();
    return corpus;
}

Corpus read_corpus(const std::string& path) {
    if (std::filesystem::is_directory(path)) fail("read_corpus", "'", path, "' is a folder, not a fortune file");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("read_corpus", "cannot read '", path, "'");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) fail("read_corpus", "error while reading '", path, "'");
    Corpus c = parse_fortune_poems(text.str());
    c.source = path;
    return c;
}

std::string generated_fortune_text(std::int64_t poems, std::uint64_t seed) {
    // Common characters of classical poetry, most frequent first (our own list).
    const std::u32string chars = nn::utf8::decode(
        "不人山无一风日云月中有天来春何花水秋时长江清白青归去明夜上下相知见心声空远高"
        "行生南北东西门城千万里年家故君我自草木雨雪寒深落飞流石松竹鸟马舟书酒歌泪梦"
        "光影烟霜露星河海路边村桥楼台宫林野田州道客乡思愁老少多新旧红黄绿金玉香");
    std::vector<double> weight;  // Zipf: the r-th character has weight 1 / (r + 5)
    for (std::size_t r = 0; r < chars.size(); ++r) weight.push_back(1.0 / static_cast<double>(r + 5));
    double total = 0;
    for (double w : weight) total += w;
    Generator gen(seed);
    const auto draw = [&] {
        double u = gen.uniform() * total;
        for (std::size_t i = 0; i < chars.size(); ++i)
            if ((u -= weight[i]) < 0) return chars[i];
        return chars.back();
    };
    std::string out;
    for (std::int64_t p = 0; p < poems; ++p) {
        const int length = gen.below(2) ? 7 : 5, lines = gen.below(2) ? 8 : 4;
        std::u32string title;
        for (int i = 0; i < 2 + static_cast<int>(gen.below(3)); ++i) title += draw();
        out += "\x1b[32m《" + nn::utf8::encode(title) + "》\x1b[m\n";
        out += "\x1b[33m作者：" + nn::utf8::encode(std::u32string{draw(), draw()}) + "\x1b[m\n";
        for (int l = 0; l < lines; ++l) {
            std::u32string line;
            for (int half = 0; half < 2; ++half) {
                for (int i = 0; i < length; ++i) line += draw();
                line += half == 0 ? U'，' : U'。';
            }
            out += nn::utf8::encode(line) + "\n";
        }
        out += "%\n";
    }
    return out;
}

CorpusStats corpus_stats(const std::vector<Poem>& poems) {
    CorpusStats s;
    std::set<char32_t> distinct;
    for (const Poem& p : poems) {
        ++s.poems;
        for (char32_t c : nn::utf8::decode(p.body)) {
            if (c == U'\n') continue;
            ++s.characters;
            distinct.insert(c);
        }
    }
    s.distinct = static_cast<std::int64_t>(distinct.size());
    return s;
}

Split split_poems(const std::vector<Poem>& poems, std::uint64_t seed, double held_out) {
    if (poems.size() < 2) fail("split_poems", "need at least 2 poems to hold some out, got ", poems.size());
    if (!(held_out > 0 && held_out < 1)) fail("split_poems", "held_out must be in (0, 1), got ", held_out);
    Generator gen(seed);
    const std::vector<std::int64_t> order = randperm(static_cast<std::int64_t>(poems.size()), gen).to_vector<std::int64_t>();
    const auto n_val = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(std::floor(held_out * static_cast<double>(poems.size()))));
    Split s;
    for (std::size_t i = 0; i < order.size(); ++i)
        (static_cast<std::int64_t>(i) < n_val ? s.validation : s.train).push_back(poems[static_cast<std::size_t>(order[i])]);
    return s;
}

}  // namespace qkv::lesson10
