// Vocab, vocab.txt files, UTF-8 decoding and the character / whitespace tokenizers. Expected
// ids are worked out by hand from the documented order (specials first, then count
// descending, then token ascending); expected bytes and code points come from the UTF-8 table.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "nn/text/tokenizers.hpp"
#include "nn/text/utf8.hpp"
#include "nn/text/vocab.hpp"
#include "tensor/error.hpp"

using namespace qkv;
using namespace qkv::nn;
namespace fs = std::filesystem;
using qkv::testing::TempDir;
using qkv::testing::read_bytes;
using qkv::testing::write_bytes;

namespace {

using Strings = std::vector<std::string>;
using Ids = std::vector<std::int64_t>;

}  // namespace

TEST_SUITE("nn") {

// ---- Vocab -----------------------------------------------------------------------------------

TEST_CASE("Vocab::build puts specials first then orders by count descending and token ascending") {
    // Counts: a 3, b 2, and c, d, B once each. Ties sort by bytes: 'B' (0x42) < 'c' < 'd'.
    const std::vector<Strings> corpus = {{"b", "a", "c", "a"}, {"b", "a", "d", "B"}};
    const Vocab v = Vocab::build(corpus);
    CHECK(v.all_tokens() == Strings{"[PAD]", "[UNK]", "[BOS]", "[EOS]", "a", "b", "B", "c", "d"});
    CHECK(v.pad_id() == 0);
    CHECK(v.unk_id() == 1);
    CHECK(v.bos_id() == 2);
    CHECK(v.eos_id() == 3);
    CHECK(v.id("a") == 4);
    CHECK(v.token(6) == "B");
}

TEST_CASE("Vocab::build drops tokens seen fewer than min_freq times") {
    const std::vector<Strings> corpus = {{"b", "a", "c", "a"}, {"b", "a", "d"}};
    const Vocab v = Vocab::build(corpus, special::seq2seq, 2);
    CHECK(v.all_tokens() == Strings{"[PAD]", "[UNK]", "[BOS]", "[EOS]", "a", "b"});
    CHECK(Vocab::build(corpus, special::seq2seq, 4).size() == 4);
    CHECK_THROWS_WITH_AS(Vocab::build(corpus, special::seq2seq, 0), doctest::Contains("min_freq must be >= 1, got 0"),
                         Error);
}

TEST_CASE("Vocab::build keeps a special token that also occurs in the corpus at its special id") {
    const Vocab v = Vocab::build({{"x", "[PAD]", "x"}}, {"[PAD]", "[UNK]"});
    CHECK(v.all_tokens() == Strings{"[PAD]", "[UNK]", "x"});
}

TEST_CASE("Vocab::id falls back to the unknown token and throws when there is none") {
    const Vocab with_unk({"[PAD]", "[UNK]", "cat"});
    CHECK(with_unk.id("cat") == 2);
    CHECK(with_unk.id("dog") == 1);
    CHECK(with_unk.ids({"cat", "dog", "cat"}) == Ids{2, 1, 2});

    const Vocab without_unk({"cat", "sat"});
    CHECK_THROWS_WITH_AS(without_unk.id("dog"),
                         doctest::Contains("Vocab::id: token 'dog' is not in the vocabulary of 2 tokens, which has no [UNK]"),
                         Error);
}

TEST_CASE("Vocab::token rejects ids outside the vocabulary") {
    const Vocab v({"a", "b", "c"});
    CHECK(v.token(2) == "c");
    CHECK(v.tokens({2, 0}) == Strings{"c", "a"});
    CHECK_THROWS_WITH_AS(v.token(3), doctest::Contains("Vocab::token: id 3 is out of range for a vocabulary of 3 tokens"),
                         Error);
    CHECK_THROWS_WITH_AS(v.token(-1), doctest::Contains("id -1 is out of range"), Error);
    CHECK_THROWS_WITH_AS(v.is_special(7), doctest::Contains("id 7 is out of range"), Error);
}

TEST_CASE("Vocab special accessors find specials wherever they sit and name a missing one") {
    // A BERT-style layout: [PAD] first, reserved slots, then [UNK] [CLS] [SEP] [MASK].
    const Vocab v({"[PAD]", "[unused0]", "[unused1]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the"});
    CHECK(v.pad_id() == 0);
    CHECK(v.unk_id() == 3);
    CHECK(v.cls_id() == 4);
    CHECK(v.sep_id() == 5);
    CHECK(v.mask_id() == 6);
    CHECK(v.is_special(6));
    CHECK_FALSE(v.is_special(1));  // [unused0] is bracketed but not one of the seven
    CHECK_FALSE(v.is_special(7));
    CHECK_THROWS_WITH_AS(v.bos_id(), doctest::Contains("Vocab: this vocabulary has no [BOS] token"), Error);
}

TEST_CASE("Vocab rejects duplicate, empty and multi-line tokens, naming the positions") {
    CHECK_THROWS_WITH_AS(Vocab({"a", "b", "a"}), doctest::Contains("Vocab: id 2: token 'a' is a duplicate of id 0"),
                         Error);
    CHECK_THROWS_WITH_AS(Vocab({"a", ""}), doctest::Contains("id 1: the token is empty"), Error);
    CHECK_THROWS_WITH_AS(Vocab({"a\nb"}), doctest::Contains("id 0: the token contains a line break"), Error);
    CHECK_THROWS_WITH_AS(Vocab({"ok", "\xff"}), doctest::Contains("id 1: invalid UTF-8 at byte 0"), Error);
}

TEST_CASE("Vocab::add appends new tokens and returns the id of known ones") {
    Vocab v({"a"});
    CHECK(v.add("b") == 1);
    CHECK(v.add("a") == 0);
    CHECK(v.size() == 2);
    CHECK(v.contains("b"));
    CHECK_FALSE(v.find("c").has_value());
}

// ---- vocab.txt -------------------------------------------------------------------------------

TEST_CASE("Vocab save writes one token per line and load reads it back") {
    TempDir dir;
    const Vocab v({"[PAD]", "[UNK]", "hello", "##lo", "年"});
    v.save(dir.file("vocab.txt"));
    CHECK(read_bytes(dir.file("vocab.txt")) == "[PAD]\n[UNK]\nhello\n##lo\n年\n");
    const Vocab back = Vocab::load(dir.file("vocab.txt"));
    CHECK(back.all_tokens() == v.all_tokens());
    CHECK(back.id("年") == 4);
}

TEST_CASE("Vocab::load accepts CRLF line ends, a missing final newline and a byte-order mark") {
    TempDir dir;
    write_bytes(dir.file("crlf.txt"), "[PAD]\r\n[UNK]\r\nhello\r\n");
    CHECK(Vocab::load(dir.file("crlf.txt")).all_tokens() == Strings{"[PAD]", "[UNK]", "hello"});
    write_bytes(dir.file("open.txt"), "a\nb");
    CHECK(Vocab::load(dir.file("open.txt")).all_tokens() == Strings{"a", "b"});
    write_bytes(dir.file("bom.txt"), "\xEF\xBB\xBF" "a\nb\n");
    CHECK(Vocab::load(dir.file("bom.txt")).all_tokens() == Strings{"a", "b"});
}

TEST_CASE("Vocab::load reports duplicates and empty lines by line number") {
    TempDir dir;
    write_bytes(dir.file("dup.txt"), "a\nb\nc\nb\n");
    CHECK_THROWS_WITH_AS(Vocab::load(dir.file("dup.txt")),
                         doctest::Contains("dup.txt': line 4: token 'b' is a duplicate of line 2"), Error);
    write_bytes(dir.file("dup_crlf.txt"), "a\r\nb\r\na\r\n");
    CHECK_THROWS_WITH_AS(Vocab::load(dir.file("dup_crlf.txt")), doctest::Contains("line 3: token 'a' is a duplicate of line 1"),
                         Error);
    write_bytes(dir.file("gap.txt"), "a\n\nb\n");
    CHECK_THROWS_WITH_AS(Vocab::load(dir.file("gap.txt")), doctest::Contains("line 2: the token is empty"), Error);
    write_bytes(dir.file("empty.txt"), "");
    CHECK_THROWS_WITH_AS(Vocab::load(dir.file("empty.txt")), doctest::Contains("the file holds no tokens"), Error);
    CHECK_THROWS_WITH_AS(Vocab::load(dir.file("missing.txt")), doctest::Contains("Vocab::load: cannot open"), Error);
}

// ---- UTF-8 -----------------------------------------------------------------------------------

TEST_CASE("utf8 decode and encode follow the 1 to 4 byte table") {
    // a = 61; é = U+00E9 = C3 A9; 年 = U+5E74 = E5 B9 B4; 😀 = U+1F600 = F0 9F 98 80.
    const std::string bytes = "a\xC3\xA9\xE5\xB9\xB4\xF0\x9F\x98\x80";
    CHECK(utf8::decode(bytes) == std::u32string{0x61, 0xE9, 0x5E74, 0x1F600});
    CHECK(utf8::encode(std::u32string{0x61, 0xE9, 0x5E74, 0x1F600}) == bytes);
    CHECK(utf8::encode(0x7F) == "\x7F");
    CHECK(utf8::encode(0x80) == "\xC2\x80");
    CHECK(utf8::encode(0x10FFFF) == "\xF4\x8F\xBF\xBF");
}

TEST_CASE("utf8 decode rejects malformed input naming the byte offset") {
    CHECK_THROWS_WITH_AS(utf8::decode("ab\x80"), doctest::Contains("invalid UTF-8 at byte 2: unexpected continuation byte 0x80"),
                         Error);
    // "/" (U+002F) in two bytes instead of one: 110 00000, 10 101111.
    CHECK_THROWS_WITH_AS(utf8::decode("\xC0\xAF"), doctest::Contains("at byte 0: overlong 2-byte encoding of U+002F"), Error);
    CHECK_THROWS_WITH_AS(utf8::decode("x\xE5\xB9"), doctest::Contains("at byte 1: a 3-byte sequence is cut short by the end"),
                         Error);
    CHECK_THROWS_WITH_AS(utf8::decode("\xE5\x41\x42"), doctest::Contains("cut short by byte 0x41"), Error);
    CHECK_THROWS_WITH_AS(utf8::decode("\xED\xA0\x80"), doctest::Contains("surrogate U+D800"), Error);
    CHECK_THROWS_WITH_AS(utf8::decode("\xF4\x90\x80\x80"), doctest::Contains("U+110000 is above U+10FFFF"), Error);
    CHECK_THROWS_WITH_AS(utf8::decode("\xFF"), doctest::Contains("invalid lead byte 0xFF"), Error);
    CHECK_THROWS_WITH_AS(utf8::encode(char32_t{0xD800}), doctest::Contains("U+D800 is not a Unicode scalar value"), Error);
    CHECK(utf8::find_invalid("ok\xC3") == 2);
    CHECK(utf8::is_valid("2026年"));
}

// ---- character and whitespace tokenizers ------------------------------------------------------

TEST_CASE("CharTokenizer splits Chinese dates into code points, not bytes") {
    CHECK(split_chars("2026年11月21日") == Strings{"2", "0", "2", "6", "年", "1", "1", "月", "2", "1", "日"});
    CHECK(split_chars("Nov 21") == Strings{"N", "o", "v", " ", "2", "1"});
    CHECK(split_chars("\xF0\x9F\x98\x80!") == Strings{"\xF0\x9F\x98\x80", "!"});  // a 4-byte character
}

TEST_CASE("CharTokenizer encodes and decodes through its vocabulary") {
    // Character counts over both texts: 1 six times, 2 four times, every other character once.
    const CharTokenizer tok = CharTokenizer::build({"2026年11月21日", "11-21"});
    const Vocab& v = tok.vocab();
    // So 1 and 2 take ids 4 and 5, after the four specials.
    CHECK(v.id("1") == 4);
    CHECK(v.id("2") == 5);
    const Ids ids = tok.encode("21日");
    CHECK(ids == Ids{5, 4, v.id("日")});
    CHECK(tok.encode("21", true) == Ids{v.bos_id(), 5, 4, v.eos_id()});
    CHECK(tok.decode(tok.encode("2026年11月21日", true)) == "2026年11月21日");
    CHECK(tok.decode({v.bos_id(), 5, v.pad_id()}, false) == "[BOS]2[PAD]");
    CHECK(tok.encode("9") == Ids{v.unk_id()});
    CHECK(tok.decode({5, v.unk_id()}) == "2[UNK]");
}

TEST_CASE("WhitespaceTokenizer splits on ASCII and Unicode spaces") {
    // U+3000 (ideographic space) = E3 80 80, U+00A0 (no-break space) = C2 A0.
    CHECK(split_whitespace("  the\tcat\n sat\xE3\x80\x80on\xC2\xA0mat ") == Strings{"the", "cat", "sat", "on", "mat"});
    CHECK(split_whitespace(" \t\n").empty());
    const WhitespaceTokenizer tok = WhitespaceTokenizer::build({"the cat sat", "the mat"});
    const Vocab& v = tok.vocab();
    CHECK(v.id("the") == 4);  // twice; then cat, mat, sat once each in byte order
    CHECK(v.all_tokens() == Strings{"[PAD]", "[UNK]", "[BOS]", "[EOS]", "the", "cat", "mat", "sat"});
    CHECK(tok.encode("the  dog sat", true) == Ids{2, 4, 1, 7, 3});
    CHECK(tok.decode({2, 4, 1, 7, 3, 0}) == "the [UNK] sat");
}

}  // TEST_SUITE
