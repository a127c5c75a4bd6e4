#include "nn/text/utf8.hpp"

#include <cstdio>

#include "tensor/error.hpp"

namespace qkv::nn::utf8 {
namespace {

std::string hex_byte(unsigned char b) {
    char out[8];
    std::snprintf(out, sizeof out, "0x%02X", b);
    return out;
}

std::string code_point_name(char32_t c) {
    char out[16];
    std::snprintf(out, sizeof out, "U+%04X", static_cast<unsigned>(c));
    return out;
}

bool is_continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// One decoded code point: its value and byte count, or, for invalid input, why.
struct Step {
    char32_t c = 0;
    std::size_t length = 0;
    std::string error;  // empty when valid
};

// Decodes the code point starting at byte `pos`. The lead byte gives the length n and the
// top payload bits; each continuation byte 10xxxxxx adds 6 more bits.
Step decode_one(std::string_view text, std::size_t pos) {
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

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

}  // namespace

std::u32string decode(std::string_view text) {
    std::u32string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const Step step = decode_one(text, pos);
        if (!step.error.empty()) fail("utf8_decode", "invalid UTF-8 at byte ", pos, ": ", step.error);
        out.push_back(step.c);
        pos += step.length;
    }
    return out;
}

std::string encode(char32_t c) {
    if (in(c, 0xD800, 0xDFFF) || c > 0x10FFFF)
        fail("utf8_encode", code_point_name(c), " is not a Unicode scalar value (a surrogate or above U+10FFFF)");
    std::string out;
    if (c < 0x80) {
        out += static_cast<char>(c);
    } else if (c < 0x800) {
        out += static_cast<char>(0xC0 | (c >> 6));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
        out += static_cast<char>(0xE0 | (c >> 12));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (c >> 18));
        out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (c & 0x3F));
    }
    return out;
}

std::string encode(std::u32string_view text) {
    std::string out;
    for (char32_t c : text) out += encode(c);
    return out;
}

std::optional<std::size_t> find_invalid(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const Step step = decode_one(text, pos);
        if (!step.error.empty()) return pos;
        pos += step.length;
    }
    return std::nullopt;
}

bool is_valid(std::string_view text) { return !find_invalid(text).has_value(); }

// ---- character classes -------------------------------------------------------------------------

bool is_whitespace(char32_t c) {
    return in(c, 0x09, 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || in(c, 0x2000, 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_control(char32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return false;
    return c <= 0x1F || in(c, 0x7F, 0x9F) || c == 0xAD || in(c, 0x200B, 0x200F) || in(c, 0x202A, 0x202E) ||
           in(c, 0x2060, 0x2064) || in(c, 0x2066, 0x206F) || c == 0xFEFF || in(c, 0xFFF9, 0xFFFB) ||
           in(c, 0xE000, 0xF8FF);
}

bool is_punctuation(char32_t c) {
    const bool ascii = in(c, 33, 47) || in(c, 58, 64) || in(c, 91, 96) || in(c, 123, 126);
    const bool latin1 = c == 0xA1 || c == 0xA7 || c == 0xAB || c == 0xB6 || c == 0xB7 || c == 0xBB || c == 0xBF;
    const bool general = in(c, 0x2010, 0x2027) || in(c, 0x2030, 0x205E);
    const bool cjk = in(c, 0x3001, 0x3003) || in(c, 0x3008, 0x3011) || in(c, 0x3014, 0x301F) || c == 0x3030 ||
                     c == 0x303D;
    const bool fullwidth = in(c, 0xFF01, 0xFF0F) || in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) ||
                           in(c, 0xFF5B, 0xFF65);
    return ascii || latin1 || general || cjk || fullwidth;
}

bool is_cjk(char32_t c) {
    return in(c, 0x4E00, 0x9FFF) || in(c, 0x3400, 0x4DBF) || in(c, 0x20000, 0x2A6DF) || in(c, 0x2A700, 0x2B73F) ||
           in(c, 0x2B740, 0x2B81F) || in(c, 0x2B820, 0x2CEAF) || in(c, 0xF900, 0xFAFF) || in(c, 0x2F800, 0x2FA1F);
}

// Upper and lower case sit at fixed distances in these blocks: +0x20 in ASCII, Latin-1,
// Greek and the main Cyrillic alphabet, +0x50 for Cyrillic Ѐ..Џ, and +1 in Latin Extended-A,
// where each capital is followed by its small letter (starting on an even code point up to
// U+0137 and from U+014A, on an odd one in U+0139..U+0148 and U+0179..U+017E).
char32_t to_lower(char32_t c) {
    if (in(c, 'A', 'Z')) return c + 0x20;
    if (in(c, 0xC0, 0xDE) && c != 0xD7) return c + 0x20;  // U+00D7 is ×
    if (c == 0x130) return 'i';
    if (c == 0x178) return 0xFF;  // Ÿ -> ÿ, whose capital lives outside Latin-1
    const bool even_capital = in(c, 0x100, 0x137) || in(c, 0x14A, 0x177);
    const bool odd_capital = in(c, 0x139, 0x148) || in(c, 0x179, 0x17E);
    if ((even_capital && c % 2 == 0) || (odd_capital && c % 2 == 1)) return c + 1;
    if (in(c, 0x391, 0x3A9) && c != 0x3A2) return c + 0x20;  // U+03A2 is unassigned
    if (in(c, 0x400, 0x40F)) return c + 0x50;
    if (in(c, 0x410, 0x42F)) return c + 0x20;
    return c;
}

bool is_combining_mark(char32_t c) { return in(c, 0x300, 0x36F); }

// The base letter of U+00C0..U+00FF and U+0100..U+017F, one character per code point; '.'
// marks a letter without a canonical decomposition (Æ Ð Ø Þ ß Đ Ħ ı Ĳ ĸ Ŀ Ł ŉ Ŋ Œ Ŧ ſ,
// and × ÷), which accent stripping leaves alone.
char32_t strip_accent(char32_t c) {
    static constexpr std::string_view latin1 =
        "AAAAAA.CEEEEIIII.NOOOOO..UUUUY.."   // U+00C0..U+00DF
        "aaaaaa.ceeeeiiii.nooooo..uuuuy.y";  // U+00E0..U+00FF
    static constexpr std::string_view extended_a =
        "AaAaAaCcCcCcCcDd..EeEeEeEeEeGgGg"   // U+0100..U+011F
        "GgGgHh..IiIiIiIiI...JjKk.LlLlLl."   // U+0120..U+013F
        "...NnNnNn...OoOoOo..RrRrRrSsSsSs"   // U+0140..U+015F
        "SsTtTt..UuUuUuUuUuUuWwYyYZzZzZz.";  // U+0160..U+017F
    char base = '.';
    if (in(c, 0xC0, 0xFF)) base = latin1[c - 0xC0];
    else if (in(c, 0x100, 0x17F)) base = extended_a[c - 0x100];
    return base == '.' ? c : static_cast<char32_t>(base);
}

}  // namespace qkv::nn::utf8
