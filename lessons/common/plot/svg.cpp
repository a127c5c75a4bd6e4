#include "lessons/common/plot/svg.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "lessons/common/plot/terminal.hpp"
#include "nn/text/utf8.hpp"
#include "tensor/error.hpp"

namespace qkv::lesson::svg {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD

// XML 1.0 allows tab, newline and carriage return among the C0 controls, and no other.
bool is_forbidden_control(unsigned char b) { return b < 0x20 && b != '\t' && b != '\n' && b != '\r'; }

// U+FFFE and U+FFFF (EF BF BE, EF BF BF) are valid UTF-8 but not XML characters.
bool is_noncharacter_at(std::string_view text, std::size_t i) {
    return i + 2 < text.size() && static_cast<unsigned char>(text[i]) == 0xEF &&
           static_cast<unsigned char>(text[i + 1]) == 0xBF &&
           (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE;
}

// Escapes text already known to be valid UTF-8. The five special characters are ASCII, so a
// byte-by-byte scan never touches the middle of a multi-byte character.
void append_escaped(std::string& out, std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                if (is_forbidden_control(static_cast<unsigned char>(c))) {
                    out += replacement_character;
                } else if (is_noncharacter_at(text, i)) {
                    out += replacement_character;
                    i += 2;
                } else {
                    out += c;
                }
        }
    }
}

}  // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    // Each invalid byte becomes one U+FFFD; the valid stretches between them are kept.
    while (!text.empty()) {
        const auto bad = nn::utf8::find_invalid(text);
        const std::size_t valid = bad.value_or(text.size());
        append_escaped(out, text.substr(0, valid));
        if (!bad) break;
        out += replacement_character;
        text.remove_prefix(valid + 1);
    }
    return out;
}

std::string fixed(double x, int decimals) {
    if (!std::isfinite(x)) fail("svg::number", "cannot write ", x, " as an SVG number");
    if (decimals < 0 || decimals > 17) fail("svg::number", "decimals must be in 0..17, got ", decimals);
    char buffer[400];  // the longest fixed-notation double (1.8e308) plus 17 decimals fits
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, x, std::chars_format::fixed, decimals);
    std::string out(buffer, result.ptr);
    if (out.find_first_not_of("-0.") == std::string::npos && out.front() == '-') out.erase(0, 1);  // "-0.00"
    return out;
}

std::string number(double x, int decimals) {
    std::string out = fixed(x, decimals);
    if (out.find('.') != std::string::npos) {
        while (out.back() == '0') out.pop_back();
        if (out.back() == '.') out.pop_back();
    }
    return out;
}

double text_width(std::string_view text, double font_size) {
    return 0.6 * font_size * static_cast<double>(display_width(text));
}

double nice_step(double span, int target) {
    if (!(span > 0) || !std::isfinite(span)) fail("nice_step", "the span must be positive and finite, got ", span);
    if (target < 1) fail("nice_step", "the target tick count must be at least 1, got ", target);
    const double raw = span / target;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double fraction = raw / magnitude;  // in [1, 10)
    // The slack absorbs rounding: 0.2 / 0.1 is 2.0000000000000004, which must still pick 2.
    constexpr double slack = 1e-9;
    const double nice = fraction <= 1 + slack ? 1 : fraction <= 2 + slack ? 2 : fraction <= 5 + slack ? 5 : 10;
    return nice * magnitude;
}

std::vector<double> ticks_between(double lo, double hi, double step) {
    if (!(step > 0) || !std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
        fail("ticks_between", "need finite lo <= hi and step > 0, got lo ", lo, ", hi ", hi, ", step ", step);
    constexpr double slack = 1e-9;
    const double first = std::ceil(lo / step - slack);
    const double last = std::floor(hi / step + slack);
    if (last - first > 10000) fail("ticks_between", "step ", step, " gives more than 10000 ticks in [", lo, ", ", hi, "]");
    std::vector<double> ticks;
    for (double k = first; k <= last; ++k) ticks.push_back(k == 0 ? 0.0 : k * step);  // k * step, not a running sum: no drift
    return ticks;
}

int decimals_for(double step) {
    if (!(step > 0) || !std::isfinite(step)) fail("decimals_for", "the step must be positive and finite, got ", step);
    return std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
}

// ---- the document ------------------------------------------------------------------------------

Attr::Attr(std::string_view name, std::string_view value) : name(name), value(escape(value)) {}

Document::Document(double width, double height) {
    if (!(width > 0) || !(height > 0) || !std::isfinite(width) || !std::isfinite(height))
        fail("svg::Document", "the size must be positive and finite, got ", width, " x ", height);
    out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    // The viewBox makes the picture scale when a page resizes it; font-family is inherited.
    start_tag("svg", {{"xmlns", "http://www.w3.org/2000/svg"},
                      {"width", width},
                      {"height", height},
                      {"viewBox", cat("0 0 ", number(width), ' ', number(height))},
                      {"font-family", "sans-serif"}});
    out_ += ">\n";
    open_.emplace_back("svg");
}

void Document::start_tag(std::string_view tag, Attrs attrs) {
    out_ += '<';
    out_ += tag;
    for (const Attr& a : attrs) {
        out_ += ' ';
        out_ += a.name;
        out_ += "=\"";
        out_ += a.value;
        out_ += '"';
    }
}

void Document::open(std::string_view tag, Attrs attrs) {
    start_tag(tag, attrs);
    out_ += ">\n";
    open_.emplace_back(tag);
}

void Document::close() {
    if (open_.size() <= 1) fail("svg::Document", "close() without a matching open()");
    out_ += "</" + open_.back() + ">\n";
    open_.pop_back();
}

void Document::leaf(std::string_view tag, Attrs attrs) {
    start_tag(tag, attrs);
    out_ += "/>\n";
}

void Document::text(std::string_view tag, Attrs attrs, std::string_view content) {
    start_tag(tag, attrs);
    out_ += '>';
    const std::string escaped = escape(content);  // valid UTF-8 from here on
    if (!wide_text_)
        for (const char32_t c : nn::utf8::decode(escaped)) wide_text_ = wide_text_ || display_width(nn::utf8::encode(c)) == 2;
    out_ += escaped;
    out_ += "</";
    out_ += tag;
    out_ += ">\n";
}

std::string Document::finish() {
    if (open_.size() != 1) fail("svg::Document", "finish() with <", open_.back(), "> still open");
    std::string doc = out_ + "</svg>\n";
    // The root element was written first, with the generic family; only now is it known whether
    // the text needs a CJK font.
    const std::string generic = "font-family=\"sans-serif\"";
    if (wide_text_) doc.replace(doc.find(generic), generic.size(), "font-family=\"" + escape(cjk_font_family) + "\"");
    return doc;
}

}  // namespace qkv::lesson::svg
