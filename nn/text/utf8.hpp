// UTF-8 and the few Unicode character classes the tokenizers need.
//
// Text enters qkv as UTF-8 bytes (std::string); tokenizers work on code points (char32_t), so
// that "年" is one character, not three bytes. The codec is the tensor layer's (tensor/utf8.hpp,
// which the JSON reader uses too; it has the byte table and what counts as invalid): decoding
// rejects overlong forms, surrogates, code points above U+10FFFF and cut-short sequences,
// naming the byte offset, since a tokenizer that silently skipped bad bytes would hide a broken
// data file. The names below are the tokenizers' short names for it.
//
// The character classes below are small hand-written tables, not the full Unicode database
// (qkv has no ICU). Each function says what it covers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tensor/utf8.hpp"

namespace qkv::nn::utf8 {

// ---- encoding --------------------------------------------------------------------------------

// The code points of `text`; throws "utf8_decode: invalid UTF-8 at byte N: ..." on bad input.
inline std::u32string decode(std::string_view text) { return utf8_decode(text); }
// The UTF-8 bytes of one code point / of a sequence; throws on surrogates and on > U+10FFFF.
inline std::string encode(char32_t c) { return utf8_encode(c); }
inline std::string encode(std::u32string_view text) { return utf8_encode(text); }

// The byte offset of the first invalid sequence, or nullopt when `text` is valid UTF-8.
inline std::optional<std::size_t> find_invalid(std::string_view text) { return utf8_find_invalid(text); }
inline bool is_valid(std::string_view text) { return utf8_is_valid(text); }

// ---- character classes -------------------------------------------------------------------------

// Unicode's White_Space property: \t \n \v \f \r, space, U+0085, U+00A0, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_whitespace(char32_t c);

// Control and format characters that BERT's text cleaning deletes: the C0/C1 controls
// (U+0000..U+001F, U+007F..U+009F) except \t \n \r, which count as whitespace; the common
// format characters (soft hyphen U+00AD, zero-width spaces and joiners U+200B..U+200F,
// bidirectional controls U+202A..U+202E and U+2066..U+206F, U+2060..U+2064, the byte-order
// mark U+FEFF, U+FFF9..U+FFFB); and the private-use area U+E000..U+F8FF.
bool is_control(char32_t c);

// Punctuation as BERT splits it: every non-alphanumeric printable ASCII character (codes
// 33-47, 58-64, 91-96, 123-126, which includes symbols such as $ + < = > ^ ` | ~), the
// punctuation of Latin-1 (¡ § « ¶ · » ¿), General Punctuation U+2010..U+2027 and
// U+2030..U+205E (two of which, ⁄ and ⁒, are strictly math symbols), the punctuation of
// CJK Symbols and Punctuation (、 。 〃, the brackets U+3008..U+3011 and U+3014..U+301F,
// 〰, 〽), and the fullwidth copies of the ASCII punctuation (U+FF01..U+FF0F,
// U+FF1A..U+FF20, U+FF3B..U+FF40, U+FF5B..U+FF65). BERT itself asks the Unicode database for
// category P*; outside these blocks we cannot, so other scripts' punctuation stays in words.
bool is_punctuation(char32_t c);

// CJK Unified Ideographs as BERT defines them: U+4E00..U+9FFF, U+3400..U+4DBF,
// U+20000..U+2A6DF, U+2A700..U+2B73F, U+2B740..U+2B81F, U+2B820..U+2CEAF,
// U+F900..U+FAFF, U+2F800..U+2FA1F. (Hiragana, Katakana and Hangul are not in these ranges:
// BERT keeps them in words.)
bool is_cjk(char32_t c);

// Lower case for ASCII, Latin-1 Supplement, Latin Extended-A, Greek (U+0391..U+03A9) and
// Cyrillic (U+0400..U+042F); any other code point is returned unchanged. İ (U+0130) lowers to
// plain i (Unicode gives i + U+0307, whose accent BERT then strips anyway).
char32_t to_lower(char32_t c);

// Combining diacritical marks U+0300..U+036F: what NFD splits off an accented letter.
bool is_combining_mark(char32_t c);

// The base letter of an accented Latin-1 Supplement or Latin Extended-A letter ('é' -> 'e',
// 'Ł' has no decomposition and stays), i.e. NFD followed by dropping the combining marks, for
// those two blocks only. Other code points are returned unchanged.
char32_t strip_accent(char32_t c);

}  // namespace qkv::nn::utf8
