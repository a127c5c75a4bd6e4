#include "tensor/utf8.hpp"

#include <cstdio>

#include "tensor/error.hpp"

namespace qkv {

namespace {

std::string hex_byte(unsigned char b) {
    char out[8];
    std::snprintf(out, sizeof out, "0x%02X", b);
    return out;
}

// "U+00E9": how Unicode writes a code point.
std::string code_point_name(char32_t c) {
    char out[16];
    std::snprintf(out, sizeof out, "U+%04X", static_cast<unsigned>(c));
    return out;
}

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

bool is_scalar_value(char32_t c) { return c <= 0x10FFFF && !(c >= 0xD800 && c <= 0xDFFF); }

}  // namespace

// The lead byte gives the length n and the top payload bits; each continuation byte 10xxxxxx
// adds 6 more bits.
Utf8Char utf8_decode_one(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) return {lead, 1, ""};
    std::size_t n = 0;
    char32_t c = 0;
    if ((lead & 0xE0) == 0xC0) n = 2, c = lead & 0x1F;
    else if ((lead & 0xF0) == 0xE0) n = 3, c = lead & 0x0F;
    else if ((lead & 0xF8) == 0xF0) n = 4, c = lead & 0x07;
    else if (is_continuation(lead)) return {0, 0, "unexpected continuation byte " + hex_byte(lead)};
    else return {0, 0, "invalid lead byte " + hex_byte(lead)};

    for (std::size_t k = 1; k < n; ++k) {
        if (pos + k >= text.size()) return {0, 0, cat("a ", n, "-byte sequence is cut short by the end of the text")};
        const auto b = static_cast<unsigned char>(text[pos + k]);
        if (!is_continuation(b)) return {0, 0, cat("a ", n, "-byte sequence is cut short by byte ", hex_byte(b))};
        c = (c << 6) | (b & 0x3F);
    }
    // The smallest code point that needs n bytes; anything below it has a shorter encoding.
    static constexpr char32_t shortest[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < shortest[n]) return {0, 0, cat("overlong ", n, "-byte encoding of ", code_point_name(c))};
    if (c >= 0xD800 && c <= 0xDFFF) return {0, 0, "encoded UTF-16 surrogate " + code_point_name(c)};
    if (c > 0x10FFFF) return {0, 0, "code point " + code_point_name(c) + " is above U+10FFFF"};
    return {c, n, ""};
}

std::u32string utf8_decode(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Char one = utf8_decode_one(text, pos);
        if (!one.error.empty()) fail("utf8_decode", "invalid UTF-8 at byte ", pos, ": ", one.error);
        out.push_back(one.code_point);
        pos += one.length;
    }
    return out;
}

void utf8_append(std::string& out, char32_t c) {
    if (!is_scalar_value(c))
        fail("utf8_encode", code_point_name(c), " is not a Unicode scalar value (a surrogate or above U+10FFFF)");
    const auto put = [&](char32_t bits) { out += static_cast<char>(bits); };
    if (c < 0x80) {
        put(c);
    } else if (c < 0x800) {
        put(0xC0 | (c >> 6));
        put(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        put(0xE0 | (c >> 12));
        put(0x80 | ((c >> 6) & 0x3F));
        put(0x80 | (c & 0x3F));
    } else {
        put(0xF0 | (c >> 18));
        put(0x80 | ((c >> 12) & 0x3F));
        put(0x80 | ((c >> 6) & 0x3F));
        put(0x80 | (c & 0x3F));
    }
}

std::string utf8_encode(char32_t c) {
    std::string out;
    utf8_append(out, c);
    return out;
}

std::string utf8_encode(std::u32string_view text) {
    std::string out;
    for (char32_t c : text) utf8_append(out, c);
    return out;
}

std::optional<std::size_t> utf8_find_invalid(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Char one = utf8_decode_one(text, pos);
        if (!one.error.empty()) return pos;
        pos += one.length;
    }
    return std::nullopt;
}

bool utf8_is_valid(std::string_view text) { return !utf8_find_invalid(text).has_value(); }

}  // namespace qkv
