// A tiny SVG writer: just enough XML to draw the lessons' heatmaps and loss curves.
//
// SVG is XML, so everything a user can put into a picture (token labels, titles, series names)
// is escaped here: & < > " ' become entity references, and bytes that XML 1.0 forbids (invalid
// UTF-8, control characters) become U+FFFD, the replacement character. A picture should never
// fail to open because a tokenizer produced a strange token, and the replacement character
// shows the reader where something was wrong.
//
// Numbers are written with std::to_chars, which ignores the C locale: a program that set a
// German locale must still write "12.5", not "12,5", or the SVG is broken.
//
//   svg::Document doc(200, 100);
//   doc.leaf("rect", {{"x", 10}, {"y", 10}, {"width", 50}, {"height", 20}, {"fill", "#440154"}});
//   doc.text("text", {{"x", 10}, {"y", 50}}, "a < b");
//   std::string xml = doc.finish();
#pragma once

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::lesson::svg {

// The pictures' shared layout, in pixels: the blank border and the title's font size.
inline constexpr double margin = 12;
inline constexpr double title_font = 15;

// ---- text and numbers --------------------------------------------------------------------------

// `text` made safe for XML character data and attribute values (see the top of the file).
std::string escape(std::string_view text);

// `x` with at most `decimals` digits after the point, trailing zeros dropped, never "-0":
// number(12.5) == "12.5", number(3.0) == "3", number(-0.001) == "0". Throws on NaN and inf (a
// coordinate that is not finite is a bug in the caller).
std::string number(double x, int decimals = 2);
// `x` with exactly `decimals` digits after the point, for tick labels that line up:
// fixed(0.5, 2) == "0.50". Also locale-independent; throws on NaN and inf.
std::string fixed(double x, int decimals);

// Roughly how many pixels `text` takes in a sans-serif font of `font_size` pixels: 0.6 em per
// terminal column, so a CJK character (two columns) counts 1.2 em. Good enough to leave room for
// labels; SVG cannot measure text before a viewer renders it.
double text_width(std::string_view text, double font_size);

// ---- axis ticks --------------------------------------------------------------------------------

// A "nice" tick step for `span` split into about `target` parts: 1, 2 or 5 times a power of 10.
// nice_step(1.0, 5) == 0.2, nice_step(730, 5) == 200.
double nice_step(double span, int target);
// Every multiple of `step` in [lo, hi] (with a little slack for rounding), ascending.
std::vector<double> ticks_between(double lo, double hi, double step);
// Digits after the point that labels of ticks `step` apart need: 0.2 -> 1, 0.05 -> 2, 50 -> 0.
int decimals_for(double step);

// ---- the document ------------------------------------------------------------------------------

// The font list a document asks for when its text holds wide (CJK) characters: fonts that have
// Chinese glyphs on Linux (Debian's fonts-noto-cjk), macOS and Windows, then the generic family.
// A renderer takes the first one installed; with sans-serif alone, many systems draw Chinese
// labels as empty boxes. Text without wide characters keeps plain sans-serif.
inline constexpr std::string_view cjk_font_family =
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif";

// One attribute, name="value"; the value is escaped, numbers are formatted by number().
struct Attr {
    Attr(std::string_view name, std::string_view value);
    template <class N>
        requires std::integral<N> || std::floating_point<N>
    Attr(std::string_view name, N value) : Attr(name, std::string_view(number(static_cast<double>(value)))) {}

    std::string name;
    std::string value;  // escaped
};

using Attrs = std::initializer_list<Attr>;

// An SVG document built top to bottom. The root <svg> element is written by the constructor and
// closed by finish(); open() and close() nest groups in between.
class Document {
public:
    Document(double width, double height);

    void open(std::string_view tag, Attrs attrs = {});  // <tag ...>
    void close();                                      // </tag> of the innermost open()
    void leaf(std::string_view tag, Attrs attrs);      // <tag .../>
    // <tag ...>content</tag>, the content escaped.
    void text(std::string_view tag, Attrs attrs, std::string_view content);

    // The whole document; throws if an open() was never closed. Asks for cjk_font_family when
    // some text() held a wide character.
    std::string finish();

private:
    void start_tag(std::string_view tag, Attrs attrs);

    std::string out_;
    bool wide_text_ = false;  // some text() content holds a CJK (East Asian wide) character
    std::vector<std::string> open_;  // tags opened and not yet closed, innermost last
};

}  // namespace qkv::lesson::svg
