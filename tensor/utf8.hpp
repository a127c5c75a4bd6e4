// UTF-8, encoded and decoded in one place: the JSON reader and writer (tensor/json.cpp) and the
// tokenizers (nn/text/utf8.hpp, which adds the character classes) both use it.
//
// UTF-8 stores a code point in 1 to 4 bytes:
//
//   U+0000  .. U+007F     0xxxxxxx
//   U+0080  .. U+07FF     110xxxxx 10xxxxxx
//   U+0800  .. U+FFFF     1110xxxx 10xxxxxx 10xxxxxx
//   U+10000 .. U+10FFFF   11110xxx 10xxxxxx 10xxxxxx 10xxxxxx
//
// Valid UTF-8 uses the shortest form (no "overlong" encodings such as C0 AF for '/'), never
// encodes the UTF-16 surrogates U+D800..U+DFFF, and stops at U+10FFFF. Decoding rejects
// anything else, with the reason: a reader that silently skipped bad bytes would hide a broken
// file.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace qkv {

// One code point read from UTF-8: its value and byte count, or, for invalid input, length 0 and
// why ("unexpected continuation byte 0x80", "overlong 2-byte encoding of U+002F", ...).
struct Utf8Char {
    char32_t code_point = 0;
    std::size_t length = 0;
    std::string error;  // empty when valid
};

// Decodes the code point starting at byte `pos` (pos < text.size()).
Utf8Char utf8_decode_one(std::string_view text, std::size_t pos);

// The code points of `text`; throws "utf8_decode: invalid UTF-8 at byte N: <why>".
std::u32string utf8_decode(std::string_view text);

// Appends the UTF-8 bytes of one code point; throws "utf8_encode: ..." for a surrogate or a
// value above U+10FFFF, which have no UTF-8 form.
void utf8_append(std::string& out, char32_t c);
std::string utf8_encode(char32_t c);
std::string utf8_encode(std::u32string_view text);

// The byte offset of the first invalid sequence, or nullopt when `text` is valid UTF-8.
std::optional<std::size_t> utf8_find_invalid(std::string_view text);
bool utf8_is_valid(std::string_view text);

}  // namespace qkv
