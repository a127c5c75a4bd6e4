#include "nn/text/utf8.hpp"

namespace qkv::nn::utf8 {
namespace {

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

}  // namespace

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
