// The corpus: 唐诗三百首 (300 Tang poems) as Debian's fortunes-zh package ships it, in
// /usr/share/games/fortunes/tang300, a fortune(6) file:
//
//   ESC[32m《感遇・其一》ESC[m          title, in green
//   ESC[33m作者：张九龄ESC[m            author, in yellow
//   兰叶春葳蕤，桂华秋皎洁。          the body, one couplet a line
//   ...
//   %                                 between records
//
// parse_fortune_poems strips the colour codes (ESC [ ... m), keeps title, author and body apart,
// and counts rather than crashes on a record that is not a poem (no 《title》, no 作者： line,
// no body, invalid UTF-8). The package's text is GPL-3.0: qkv reads it at run time and
// copies none of it. Without the package, generated_fortune_text writes a stand-in of the same
// shape (five- and seven-character lines, punctuation after each), so the lesson still runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/random.hpp"

namespace qkv::lesson10 {

inline const char* default_corpus_path = "/usr/share/games/fortunes/tang300";

struct Poem {
    std::string title;   // without 《》
    std::string author;  // without 作者：
    std::string body;    // lines joined by '\n', no trailing '\n'
};

struct Corpus {
    std::vector<Poem> poems;
    std::int64_t malformed = 0;  // records skipped, with the first reason below
    std::string first_problem;   // "record 12: no 作者： line", or ""
    std::string source;          // the file read, or "generated"
};

// Parses fortune-file text (see above). Empty records (a trailing %) are not counted.
Corpus parse_fortune_poems(const std::string& text);

// Reads and parses `path`. Throws qkv::Error naming the file when it cannot be read.
Corpus read_corpus(const std::string& path);

// A stand-in corpus in the fortune format: `poems` poems of 4 or 8 lines, each line two
// clauses of 5 or 7 characters (one length per poem) drawn from a fixed list of common
// characters with Zipf-like frequencies, the first clause ending in ， and the second in 。
std::string generated_fortune_text(std::int64_t poems, std::uint64_t seed);

// What was read: poems, body characters (line breaks not counted), distinct characters.
struct CorpusStats {
    std::int64_t poems = 0, characters = 0, distinct = 0;
};
CorpusStats corpus_stats(const std::vector<Poem>& poems);

// Poems split by a seeded shuffle: the first 10% (at least one) are held out for validation.
struct Split {
    std::vector<Poem> train, validation;
};
Split split_poems(const std::vector<Poem>& poems, std::uint64_t seed, double held_out = 0.1);

}  // namespace qkv::lesson10
