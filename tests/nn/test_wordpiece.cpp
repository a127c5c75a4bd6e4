// BERT's BasicTokenizer and WordPiece against hand-worked examples over a small hand-written
// vocabulary, the [CLS] a [SEP] b [SEP] layout and its truncation, decoding, and the vocabulary
// builder.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "nn/text/utf8.hpp"
#include "nn/text/wordpiece.hpp"
#include "tensor/error.hpp"

using namespace qkv;
using namespace qkv::nn;

namespace {

using Strings = std::vector<std::string>;
using Ids = std::vector<std::int64_t>;

// ids: [PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, then the words below from 5.
Vocab small_vocab() {
    return Vocab({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",  // 0-4
                  "un", "##aff", "##able", "u", "##a",           // 5-9
                  "hello", "world", ",", "!", "the",             // 10-14
                  "cat", "sat", "on", "a", "我",                 // 15-19
                  "喜", "欢", "猫", "abc", "##bcd"});            // 20-24
}

}  // namespace

TEST_SUITE("nn") {

// ---- BasicTokenizer ----------------------------------------------------------------------------

TEST_CASE("BasicTokenizer splits punctuation off words") {
    const BasicTokenizer basic;
    CHECK(basic.tokenize("hello, world!") == Strings{"hello", ",", "world", "!"});
    CHECK(basic.tokenize("don't") == Strings{"don", "'", "t"});
    CHECK(basic.tokenize("a...b") == Strings{"a", ".", ".", ".", "b"});
    // $ and ~ are ASCII symbols that BERT's range rule counts as punctuation; 、 and 。 are CJK
    // punctuation (U+3001 = E3 80 81, U+3002 = E3 80 82); “ ” are General Punctuation.
    CHECK(basic.tokenize("$5~x") == Strings{"$", "5", "~", "x"});
    CHECK(basic.tokenize("\xE2\x80\x9Chi\xE2\x80\x9D\xE3\x80\x81ok\xE3\x80\x82") ==
          Strings{"\xE2\x80\x9C", "hi", "\xE2\x80\x9D", "\xE3\x80\x81", "ok", "\xE3\x80\x82"});
}

TEST_CASE("BasicTokenizer lower-cases and strips accents") {
    const BasicTokenizer uncased;
    CHECK(uncased.tokenize("Héllo") == Strings{"hello"});
    CHECK(uncased.tokenize("He\xCC\x81llo") == Strings{"hello"});  // already decomposed: e + U+0301
    CHECK(uncased.tokenize("ÀÉÎÕÜ Ćřžŀ Straße ΑΒΓ Дом") ==
          Strings{"aeiou", "crzŀ", "straße", "αβγ", "дом"});  // ŀ and ß have no decomposition
    const BasicTokenizer cased(false);
    CHECK(cased.tokenize("Héllo World") == Strings{"Héllo", "World"});
    const BasicTokenizer lower_keep_accents(true, false);
    CHECK(lower_keep_accents.tokenize("Héllo") == Strings{"héllo"});
}

TEST_CASE("BasicTokenizer puts each CJK ideograph in its own token") {
    const BasicTokenizer basic;
    CHECK(basic.tokenize("我喜欢猫") == Strings{"我", "喜", "欢", "猫"});
    CHECK(basic.tokenize("我喜欢cats!") == Strings{"我", "喜", "欢", "cats", "!"});
    // U+20000 (CJK Extension B, 4 bytes F0 A0 80 80) is in BERT's ranges; Hiragana is not.
    CHECK(basic.tokenize("\xF0\xA0\x80\x80x") == Strings{"\xF0\xA0\x80\x80", "x"});
    CHECK(basic.tokenize("ひらがな") == Strings{"ひらがな"});
    const BasicTokenizer no_cjk(true, std::nullopt, false);
    CHECK(no_cjk.tokenize("我喜欢猫") == Strings{"我喜欢猫"});
}

TEST_CASE("BasicTokenizer deletes control characters and normalises whitespace") {
    const BasicTokenizer basic;
    // \x01 and the zero-width space U+200B (E2 80 8B) vanish; tab, newline and the no-break
    // space U+00A0 separate words.
    CHECK(basic.tokenize("hel\x01lo\tbig\xE2\x80\x8Bger\nworld\xC2\xA0!") == Strings{"hello", "bigger", "world", "!"});
    CHECK(basic.tokenize(" \t\r\n ").empty());
    CHECK_THROWS_WITH_AS(basic.tokenize("bad \xC3"), doctest::Contains("invalid UTF-8 at byte 4"), Error);
}

// ---- WordPiece -------------------------------------------------------------------------------

TEST_CASE("wordpiece splits unaffable into un ##aff ##able") {
    const Vocab v = small_vocab();
    // From position 0 the longest prefix in the vocabulary is "un" ("u" is shorter); from 2,
    // "##aff"; from 5, "##able".
    CHECK(wordpiece("unaffable", v) == Strings{"un", "##aff", "##able"});
    CHECK(wordpiece("hello", v) == Strings{"hello"});
    CHECK(wordpiece("ua", v) == Strings{"u", "##a"});
}

TEST_CASE("wordpiece gives the unknown token for the whole word when any part cannot be matched") {
    const Vocab v = small_vocab();
    CHECK(wordpiece("xyz", v) == Strings{"[UNK]"});
    CHECK(wordpiece("unaffablex", v) == Strings{"[UNK]"});  // not un ##aff ##able [UNK]
    // Greedy, not exhaustive: "abcd" = "a" + "##bcd" exists, but the longest first piece
    // "abc" leaves "##d", which is missing.
    CHECK(wordpiece("abcd", v) == Strings{"[UNK]"});
}

TEST_CASE("wordpiece gives the unknown token for words over 100 characters") {
    const Vocab v = small_vocab();
    const Strings hundred = wordpiece(std::string(100, 'a'), v);  // a ##a ##a ... (100 pieces)
    CHECK(hundred.size() == 100);
    CHECK(hundred.front() == "a");
    CHECK(hundred.back() == "##a");
    CHECK(wordpiece(std::string(101, 'a'), v) == Strings{"[UNK]"});
    // The limit counts characters, not bytes: 100 three-byte characters are still allowed.
    std::string hundred_cats;
    for (int i = 0; i < 100; ++i) hundred_cats += "猫";
    CHECK(wordpiece(hundred_cats, v) == Strings{"[UNK]"});  // no "##猫" in the vocabulary
    CHECK(wordpiece(hundred_cats, Vocab({"[UNK]", "猫", "##猫"})).size() == 100);
}

// ---- BertTokenizer ---------------------------------------------------------------------------

TEST_CASE("BertTokenizer tokenizes and encodes text through both stages") {
    const BertTokenizer tok(small_vocab());
    CHECK(tok.tokenize("Hello, unaffable World!") == Strings{"hello", ",", "un", "##aff", "##able", "world", "!"});
    CHECK(tok.encode("Hello, unaffable World!") == Ids{10, 12, 5, 6, 7, 11, 13});
    CHECK(tok.encode("我喜欢猫") == Ids{19, 20, 21, 22});
    CHECK(tok.encode("the dog sat") == Ids{14, 1, 16});
}

TEST_CASE("BertTokenizer keeps special spellings in the text as single tokens") {
    const BertTokenizer tok(small_vocab());
    CHECK(tok.tokenize("The [MASK] sat[SEP]on") == Strings{"the", "[MASK]", "sat", "[SEP]", "on"});
    CHECK(tok.encode("the [MASK] sat") == Ids{14, 4, 16});
    // Only exact spellings: lower case and unknown bracketed words are ordinary text.
    CHECK(tok.tokenize("[mask] [BOS]") == Strings{"[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]", "[UNK]"});
}

TEST_CASE("BertTokenizer encode_pair lays out CLS a SEP b SEP with segment ids") {
    const BertTokenizer tok(small_vocab());
    const BertEncoding enc = tok.encode_pair("hello world", "the cat sat", 64);
    CHECK(enc.input_ids == Ids{2, 10, 11, 3, 14, 15, 16, 3});
    CHECK(enc.token_type_ids == Ids{0, 0, 0, 0, 1, 1, 1, 1});
    const BertEncoding single = tok.encode_single("hello world", 64);
    CHECK(single.input_ids == Ids{2, 10, 11, 3});
    CHECK(single.token_type_ids == Ids{0, 0, 0, 0});
}

TEST_CASE("BertTokenizer encode_pair truncates the longer segment first") {
    const BertTokenizer tok(small_vocab());
    // a has 5 tokens (hello world the cat sat), b has 2 (on a). max_len 8 leaves 5 for a + b:
    // a loses its last two tokens, b is untouched.
    BertEncoding enc = tok.encode_pair("hello world the cat sat", "on a", 8);
    CHECK(enc.input_ids == Ids{2, 10, 11, 14, 3, 17, 18, 3});
    CHECK(enc.token_type_ids == Ids{0, 0, 0, 0, 0, 1, 1, 1});
    // 3 + 3 tokens with room for 5: at equal lengths b loses its last token.
    enc = tok.encode_pair("hello world the", "cat sat on", 8);
    CHECK(enc.input_ids == Ids{2, 10, 11, 14, 3, 15, 16, 3});
    CHECK(enc.token_type_ids == Ids{0, 0, 0, 0, 0, 1, 1, 1});
    // Room for 4: b first (3, 2), then the now longer a (2, 2).
    enc = tok.encode_pair("hello world the", "cat sat on", 7);
    CHECK(enc.input_ids == Ids{2, 10, 11, 3, 15, 16, 3});
    // Room for nothing: both segments empty.
    CHECK(tok.encode_pair("hello", "world", 3).input_ids == Ids{2, 3, 3});
    CHECK(tok.encode_single("hello world the", 4).input_ids == Ids{2, 10, 11, 3});
    CHECK_THROWS_WITH_AS(tok.encode_pair("a", "b", 2), doctest::Contains("encode_pair: max_len 2 leaves no room"), Error);
    CHECK_THROWS_WITH_AS(tok.encode_single("a", 1), doctest::Contains("encode_single: max_len 1 leaves no room"), Error);
}

TEST_CASE("BertTokenizer decode joins continuation pieces and skips structural tokens") {
    const BertTokenizer tok(small_vocab());
    const Ids ids = {2, 5, 6, 7, 15, 12, 4, 1, 3, 0};  // [CLS] un ##aff ##able cat , [MASK] [UNK] [SEP] [PAD]
    CHECK(tok.decode(ids) == "unaffable cat , [MASK] [UNK]");
    CHECK(tok.decode(ids, false) == "[CLS] unaffable cat , [MASK] [UNK] [SEP] [PAD]");
    CHECK(tok.decode({6, 7}) == "##affable");  // nothing to attach the first piece to
    CHECK_THROWS_WITH_AS(tok.decode({2, 25}), doctest::Contains("id 25 is out of range for a vocabulary of 25 tokens"),
                         Error);
}

TEST_CASE("BertTokenizer from_file reads a vocab.txt, cased or uncased") {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("qkv_test_wordpiece_" + std::to_string(std::random_device()()) + ".txt");
    small_vocab().save(path.string());
    const BertTokenizer uncased = BertTokenizer::from_file(path.string());
    const BertTokenizer cased = BertTokenizer::from_file(path.string(), false);
    std::filesystem::remove(path);
    CHECK(uncased.encode("Hello World") == Ids{10, 11});
    CHECK(cased.encode("Hello world") == Ids{1, 11});  // "Hello" is not in the vocabulary
    CHECK_FALSE(cased.basic().strip_accents());
}

TEST_CASE("BertTokenizer needs an unknown token in its vocabulary") {
    CHECK_THROWS_WITH_AS(BertTokenizer(Vocab({"[CLS]", "[SEP]", "cat"})),
                         doctest::Contains("BertTokenizer: the vocabulary (3 tokens) has no [UNK]"), Error);
    const BertTokenizer no_cls(Vocab({"[UNK]", "cat"}));
    CHECK(no_cls.encode("cat dog") == Ids{1, 0});
    CHECK_THROWS_WITH_AS(no_cls.encode_single("cat", 8), doctest::Contains("has no [CLS] token"), Error);
}

// ---- build_wordpiece_vocab -----------------------------------------------------------------------

TEST_CASE("build_wordpiece_vocab adds the alphabet then the most frequent merges") {
    // Words: ab x3, ac x1. Alphabet in byte order: ##b ##c a (ids 5, 6, 7). Pair counts:
    // (a, ##b) 3, (a, ##c) 1, so "ab" is merged first (id 8), then "ac" (id 9); then every
    // word is one piece and the loop stops even though vocab_size allows more.
    const std::vector<std::string> texts = {"ab ab", "AB ac"};
    const Strings specials = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    Strings expected = specials;
    for (const char* t : {"##b", "##c", "a", "ab", "ac"}) expected.push_back(t);
    CHECK(build_wordpiece_vocab(texts, 100).all_tokens() == expected);
    expected.pop_back();
    CHECK(build_wordpiece_vocab(texts, 9).all_tokens() == expected);
    CHECK_THROWS_WITH_AS(build_wordpiece_vocab(texts, 7),
                         doctest::Contains("vocab_size 7 cannot hold the 5 special tokens and the 3 characters"), Error);
}

TEST_CASE("build_wordpiece_vocab merges continuation pieces into longer continuations") {
    // Words: "low" x2, "lowest" x1. Alphabet: ##e ##o ##s ##t ##w l (5-10). Counts:
    // (l,##o) 3, (##o,##w) 3 -> tie, l's id 10 > ##o's id 6, so (##o, ##w) wins: "##ow".
    // Then (l, ##ow) 3 -> "low"; then (low, ##e) 1 ... the rest of "lowest".
    const Vocab v = build_wordpiece_vocab({"low low lowest"}, 13);
    CHECK(v.token(11) == "##ow");
    CHECK(v.token(12) == "low");
    CHECK(v.size() == 13);
}

TEST_CASE("build_wordpiece_vocab gives a vocabulary that tokenizes its corpus without unknown tokens") {
    const std::vector<std::string> corpus = {
        "The quick brown fox jumps over the lazy dog.",
        "A lazy dog sleeps; the quick fox doesn't!",
        "Über-quick foxes jump over lazier dogs, 我喜欢猫.",
        "Dogs and foxes: who is quicker? The fox, quickly.",
    };
    const Vocab v = build_wordpiece_vocab(corpus, 80);
    CHECK(v.size() <= 80);
    CHECK(v.size() > 60);  // merges were added on top of the alphabet
    CHECK(v.pad_id() == 0);
    CHECK(v.mask_id() == 4);
    const BertTokenizer tok(v);
    for (const auto& text : corpus) {
        const Strings tokens = tok.tokenize(text);
        CHECK(tokens.size() > 0);
        for (const auto& t : tokens) CHECK(t != "[UNK]");
    }
    // Deterministic: the same corpus builds the same vocabulary.
    CHECK(build_wordpiece_vocab(corpus, 80).all_tokens() == v.all_tokens());
    // Frequent words become single tokens: "the" occurs 4 times, "fox" 3 times.
    CHECK(tok.tokenize("the fox") == Strings{"the", "fox"});
}

}  // TEST_SUITE
