// lessons/common/plot: SVG escaping and numbers, tick steps, the colour scale, heatmaps, heatmap grids, line
// charts and the terminal heatmap. Every SVG is run through a small XML well-formedness checker
// written here, independent of the writer.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "lessons/common/plot/svg.hpp"
#include "lessons/common/plot/terminal.hpp"
#include "nn/text/utf8.hpp"
#include "tensor/atomic_file.hpp"
#include "tensor/tensor.hpp"

using namespace qkv;
using namespace qkv::lesson;
using qkv::testing::TempDir;

namespace {

// ---- an XML well-formedness checker ------------------------------------------------------------
// Covers what our SVGs use: an optional <?xml ...?> declaration, comments, one root element,
// nested elements, quoted attributes, text. Returns "" when well formed, else the first problem.

struct XmlChecker {
    std::string_view s;
    std::size_t i = 0;

    bool starts(std::string_view p) const { return s.substr(i, p.size()) == p; }
    static bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
    static bool name_char(char c) {
        return name_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.';
    }
    void skip_space() {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r')) ++i;
    }
    std::string name() {
        const std::size_t start = i;
        if (i < s.size() && name_start(s[i]))
            while (i < s.size() && name_char(s[i])) ++i;
        return std::string(s.substr(start, i - start));
    }
    // At '&': one of the five named entities or a numeric character reference.
    std::string entity() {
        const std::size_t end = s.find(';', i);
        if (end == std::string_view::npos || end - i > 12) return "an '&' that starts no entity at " + std::to_string(i);
        const std::string_view body = s.substr(i + 1, end - i - 1);
        bool ok = body == "lt" || body == "gt" || body == "amp" || body == "quot" || body == "apos";
        if (!ok && body.size() > 1 && body[0] == '#') {
            const bool hex = body[1] == 'x';
            const std::string_view digits = body.substr(hex ? 2 : 1);
            ok = !digits.empty();
            for (char c : digits) ok = ok && (hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c)));
        }
        if (!ok) return "unknown entity &" + std::string(body) + "; at " + std::to_string(i);
        i = end + 1;
        return "";
    }
    std::string attribute_value() {
        const char quote = s[i];
        if (quote != '"' && quote != '\'') return "an unquoted attribute value at " + std::to_string(i);
        ++i;
        while (i < s.size() && s[i] != quote) {
            if (s[i] == '<') return "a raw '<' in an attribute value at " + std::to_string(i);
            if (s[i] == '&') {
                if (std::string e = entity(); !e.empty()) return e;
            } else {
                ++i;
            }
        }
        if (i >= s.size()) return "an attribute value that never ends";
        ++i;
        return "";
    }
    std::string check() {
        if (!nn::utf8::is_valid(s)) return "invalid UTF-8";
        for (char c : s)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') return "a control character";
        if (starts("<?xml")) {
            i = s.find("?>");
            if (i == std::string_view::npos) return "an unterminated declaration";
            i += 2;
        }
        std::vector<std::string> open;
        bool root_done = false;
        while (i < s.size()) {
            if (starts("<!--")) {
                i = s.find("-->", i);
                if (i == std::string_view::npos) return "an unterminated comment";
                i += 3;
            } else if (starts("</")) {
                i += 2;
                const std::string n = name();
                skip_space();
                if (!starts(">")) return "a malformed end tag </" + n;
                ++i;
                if (open.empty() || open.back() != n) return "</" + n + "> does not close the open element";
                open.pop_back();
                root_done = open.empty();
            } else if (starts("<")) {
                if (root_done) return "a second root element";
                ++i;
                const std::string n = name();
                if (n.empty()) return "a '<' that starts no tag at " + std::to_string(i);
                std::vector<std::string> seen;
                while (true) {
                    const std::size_t before = i;
                    skip_space();
                    if (starts("/>")) {
                        i += 2;
                        root_done = open.empty();
                        break;
                    }
                    if (starts(">")) {
                        ++i;
                        open.push_back(n);
                        break;
                    }
                    if (i == before) return "attributes of <" + n + "> not separated by space";
                    const std::string a = name();
                    if (a.empty() || !starts("=")) return "a malformed attribute in <" + n + ">";
                    for (const std::string& b : seen)
                        if (a == b) return "a repeated attribute " + a;
                    seen.push_back(a);
                    ++i;
                    if (std::string e = attribute_value(); !e.empty()) return e;
                }
            } else if (s[i] == '&') {
                if (std::string e = entity(); !e.empty()) return e;
            } else {
                const bool space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';
                if (open.empty() && !space) return "text outside the root element";
                ++i;
            }
        }
        if (!open.empty()) return "<" + open.back() + "> is never closed";
        if (!root_done) return "no root element";
        return "";
    }
};

std::string xml_problem(std::string_view xml) { return XmlChecker{xml}.check(); }

std::size_t count(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string_view::npos; at = text.find(what, at + what.size())) ++n;
    return n;
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

Tensor matrix(std::int64_t rows, std::int64_t cols, const std::vector<double>& values) {
    Tensor t(Shape{rows, cols}, DType::Float32);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) t.set({r, c}, values[static_cast<std::size_t>(r * cols + c)]);
    return t;
}

// Relative luminance (WCAG): the sRGB channels linearised, then weighted 0.2126, 0.7152, 0.0722.
double luminance(Rgb c) {
    auto lin = [](int v) {
        const double s = v / 255.0;
        return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

// The d attribute of the k-th <path class="series".
std::string series_path(const std::string& svg, std::size_t k) {
    std::size_t at = 0;
    for (std::size_t n = 0; n <= k; ++n) at = svg.find("<path class=\"series\"", n ? at + 1 : 0);
    const std::size_t d = svg.find(" d=\"", at) + 4;
    return svg.substr(d, svg.find('"', d) - d);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    CHECK(start == text.size());  // every line ends with '\n'
    return lines;
}

}  // namespace

TEST_SUITE("lessons_common") {

// ---- the checker itself -------------------------------------------------------------------------

TEST_CASE("plot test XML checker accepts well-formed XML and rejects broken XML") {
    CHECK(xml_problem("<?xml version=\"1.0\"?>\n<a x=\"1\" y='2'><b/>t &amp; &#x41; &#65;<!-- c --></a>\n") == "");
    CHECK(xml_problem("<a><b></a></b>") != "");
    CHECK(xml_problem("<a>") != "");
    CHECK(xml_problem("<a x=1/>") != "");
    CHECK(xml_problem("<a x=\"<\"/>") != "");
    CHECK(xml_problem("<a>x & y</a>") != "");
    CHECK(xml_problem("<a>&nbsp;</a>") != "");
    CHECK(xml_problem("<a/><b/>") != "");
    CHECK(xml_problem("<a x=\"1\" x=\"2\"/>") != "");
    CHECK(xml_problem("<a>\x01</a>") != "");
    CHECK(xml_problem("<a>\xFF</a>") != "");
}

// ---- svg.hpp -------------------------------------------------------------------------------------

TEST_CASE("svg escape replaces the five XML special characters") {
    CHECK(svg::escape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;");
    CHECK(svg::escape("it's > 0") == "it&apos;s &gt; 0");
    CHECK(svg::escape("&amp;") == "&amp;amp;");  // escaped again: the label is shown as typed
    CHECK(svg::escape("") == "");
}

TEST_CASE("svg escape keeps Chinese and replaces invalid UTF-8 and control bytes with U+FFFD") {
    CHECK(svg::escape("我爱北京") == "我爱北京");
    CHECK(svg::escape("a\xFF" "b") == "a\uFFFD" "b");
    CHECK(svg::escape("\xE4\xBD") == "\uFFFD\uFFFD");  // 我 (E6 88 91) cut short: two stray bytes
    CHECK(svg::escape("x\x01y\tz") == "x\uFFFDy\tz");   // tab is allowed in XML, U+0001 is not
    CHECK(svg::escape("\xEF\xBF\xBF") == "\uFFFD");      // U+FFFF is not an XML character
}

TEST_CASE("svg number drops trailing zeros and never writes minus zero") {
    CHECK(svg::number(12.5) == "12.5");
    CHECK(svg::number(3.0) == "3");
    CHECK(svg::number(-2.25) == "-2.25");
    CHECK(svg::number(-0.001) == "0");
    CHECK(svg::number(0.123456, 3) == "0.123");
    CHECK(svg::number(1234567) == "1234567");
    CHECK(svg::fixed(0.5, 2) == "0.50");
    CHECK(svg::fixed(-0.001, 2) == "0.00");
    CHECK(svg::fixed(-1.5, 1) == "-1.5");
    CHECK_THROWS_WITH_AS(svg::number(NAN), doctest::Contains("cannot write nan"), Error);
}

TEST_CASE("svg nice_step picks 1, 2 or 5 times a power of ten") {
    CHECK(svg::nice_step(1.0, 5) == doctest::Approx(0.2));   // 1 / 5 = 0.2 exactly nice
    CHECK(svg::nice_step(730, 5) == doctest::Approx(200));   // 146 rounds up to 200
    CHECK(svg::nice_step(0.7, 5) == doctest::Approx(0.2));   // 0.14 -> 0.2
    CHECK(svg::nice_step(3, 5) == doctest::Approx(1));       // 0.6 -> 1
    CHECK(svg::nice_step(2.4, 5) == doctest::Approx(0.5));   // 0.48 -> 0.5
    CHECK(svg::nice_step(0.0005, 5) == doctest::Approx(1e-4));
    CHECK_THROWS_AS(svg::nice_step(0, 5), Error);

    const auto ticks = svg::ticks_between(0.013, 0.872, 0.2);
    REQUIRE(ticks.size() == 4);
    CHECK(ticks[0] == doctest::Approx(0.2));
    CHECK(ticks[3] == doctest::Approx(0.8));
    const auto around_zero = svg::ticks_between(-1, 1, 0.5);
    REQUIRE(around_zero.size() == 5);
    CHECK(around_zero[2] == 0.0);
    CHECK_FALSE(std::signbit(around_zero[2]));
    CHECK(svg::ticks_between(0, 1, 0.2).size() == 6);  // 1.0 / 0.2 is 5 up to rounding: the end counts

    CHECK(svg::decimals_for(0.2) == 1);
    CHECK(svg::decimals_for(0.05) == 2);
    CHECK(svg::decimals_for(1) == 0);
    CHECK(svg::decimals_for(50) == 0);
}

TEST_CASE("svg Document nests elements and refuses to finish with one open") {
    svg::Document doc(100, 50);
    doc.open("g", {{"class", "a&b"}});
    doc.leaf("rect", {{"x", 1.5}, {"width", 3}});
    doc.text("text", {{"x", 0}}, "1 < 2");
    CHECK_THROWS_WITH_AS(doc.finish(), doctest::Contains("<g> still open"), Error);
    doc.close();
    const std::string xml = doc.finish();
    CHECK(xml_problem(xml) == "");
    CHECK(contains(xml, "<g class=\"a&amp;b\">"));
    CHECK(contains(xml, "<rect x=\"1.5\" width=\"3\"/>"));
    CHECK(contains(xml, "<text x=\"0\">1 &lt; 2</text>"));
    CHECK_THROWS_AS(doc.close(), Error);
}

TEST_CASE("svg Document asks for a CJK font list before sans-serif only when its text holds Chinese") {
    const std::string cjk = "font-family=\"&apos;Noto Sans CJK SC&apos;, &apos;Source Han Sans SC&apos;, "
                            "&apos;PingFang SC&apos;, &apos;Microsoft YaHei&apos;, sans-serif\"";
    svg::Document latin(100, 50);
    latin.text("text", {{"x", 0}}, "cat \xC3\xA9t\xC3\xA9 \xE2\x86\x92");  // é and an arrow are not wide
    const std::string plain = latin.finish();
    CHECK(contains(plain, "font-family=\"sans-serif\""));
    CHECK_FALSE(contains(plain, "Noto Sans CJK"));

    svg::Document chinese(100, 50);
    chinese.text("text", {{"x", 0}}, "year");
    chinese.text("text", {{"x", 0}}, "2026年11月21日");
    const std::string xml = chinese.finish();
    CHECK(xml_problem(xml) == "");
    CHECK(contains(xml, cjk));
    CHECK(xml.find(cjk) < xml.find("<text"));  // on the root element, inherited by every label
    CHECK_FALSE(contains(xml, "font-family=\"sans-serif\""));
    CHECK(contains(xml, ">2026年11月21日</text>"));

    HeatmapOptions o;  // a heatmap with a Chinese token label gets the list too
    o.row_labels = {"猫", "b"};
    o.col_labels = {"x", "y"};
    CHECK(contains(heatmap_svg(matrix(2, 2, {1, 0, 0, 1}), o), cjk));
}

// ---- the colour scale ----------------------------------------------------------------------------

TEST_CASE("viridis runs from dark purple to yellow with monotonically rising luminance") {
    CHECK(hex(viridis(0)) == "#440154");
    CHECK(hex(viridis(0.5)) == "#21918c");
    CHECK(hex(viridis(1)) == "#fde725");
    CHECK(hex(viridis(-3)) == "#440154");  // clamped
    CHECK(hex(viridis(7)) == "#fde725");
    CHECK(hex(Rgb{255, 0, 16}) == "#ff0010");
    CHECK_THROWS_AS(viridis(NAN), Error);

    // Brighter must mean larger everywhere on the scale: strictly at 21 samples, and never darker
    // over 256 samples (the resolution of an 8-bit colour map). Much finer, rounding each channel
    // to 8 bits on its own can make one sample a hair darker than its neighbour.
    for (int k = 1; k <= 20; ++k) CHECK(luminance(viridis(k / 20.0)) > luminance(viridis((k - 1) / 20.0)));
    double previous = -1;
    for (int k = 0; k <= 255; ++k) {
        const double y = luminance(viridis(k / 255.0));
        CHECK(y >= previous);
        previous = y;
    }
}

TEST_CASE("ColourScale maps min to 0 and max to 1, clamps outside and keeps NaN") {
    const ColourScale s{2, 6};
    CHECK(s.fraction(2) == 0.0);
    CHECK(s.fraction(5) == 0.75);  // (5 - 2) / (6 - 2)
    CHECK(s.fraction(6) == 1.0);
    CHECK(s.fraction(-INFINITY) == 0.0);
    CHECK(s.fraction(100) == 1.0);
    CHECK(std::isnan(s.fraction(NAN)));
    CHECK(ColourScale{3, 3}.fraction(3) == 0.5);
}

TEST_CASE("fit_colour_scale takes the finite data range unless vmin or vmax are given") {
    const std::vector<double> data{0.2, NAN, 0.8, INFINITY, -INFINITY};
    const ColourScale s = fit_colour_scale(data, std::nullopt, std::nullopt, "test");
    CHECK(s.min == 0.2);
    CHECK(s.max == 0.8);
    const ColourScale fixed = fit_colour_scale(data, 0.0, 1.0, "test");
    CHECK(fixed.min == 0.0);
    CHECK(fixed.max == 1.0);
    const ColourScale above = fit_colour_scale(data, 5.0, std::nullopt, "test");  // all data below vmin
    CHECK(above.min == 5.0);
    CHECK(above.max == 5.0);
    const ColourScale none = fit_colour_scale({NAN}, std::nullopt, std::nullopt, "test");
    CHECK(none.min == 0.0);
    CHECK(none.max == 1.0);
    CHECK_THROWS_WITH_AS(fit_colour_scale(data, 1.0, 0.5, "test"), doctest::Contains("test: vmin 1 is greater than vmax 0.5"),
                         Error);
    CHECK_THROWS_WITH_AS(fit_colour_scale(data, NAN, std::nullopt, "test"), doctest::Contains("vmin must be finite"), Error);
}

// ---- heatmaps ------------------------------------------------------------------------------------

TEST_CASE("heatmap_svg draws one rect per cell and is well-formed XML") {
    const Tensor w = matrix(3, 4, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
    const std::string svg = heatmap_svg(w);
    CHECK(xml_problem(svg) == "");
    CHECK(count(svg, "<rect class=\"cell\"") == 12);
    CHECK(count(svg, "class=\"row-label\"") == 3);
    CHECK(count(svg, "class=\"col-label\"") == 4);
    CHECK(contains(svg, "class=\"colour-bar\""));
}

TEST_CASE("heatmap_svg escapes labels and keeps Chinese labels as UTF-8") {
    HeatmapOptions o;
    o.title = "attention <layer 0>";
    o.row_labels = {"a<b & \"c\"", "我", "爱"};
    o.col_labels = {"[CLS]", "北京", "it's"};
    o.x_label = "key";
    o.y_label = "query";
    const std::string svg = heatmap_svg(matrix(3, 3, {1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5}), o);
    CHECK(xml_problem(svg) == "");
    CHECK(contains(svg, ">a&lt;b &amp; &quot;c&quot;</text>"));
    CHECK_FALSE(contains(svg, "a<b"));
    CHECK(contains(svg, ">我</text>"));
    CHECK(contains(svg, ">北京</text>"));
    CHECK(contains(svg, ">it&apos;s</text>"));
    CHECK(contains(svg, ">attention &lt;layer 0&gt;</text>"));
    CHECK(contains(svg, ">key</text>"));
    CHECK(contains(svg, ">query</text>"));
    CHECK(contains(svg, "<title>我 \u2192 北京: 0.5</title>"));  // the hover text of cell (1, 1)
}

TEST_CASE("heatmap_svg colours cells by the viridis scale between vmin and vmax") {
    HeatmapOptions o;
    o.vmin = 0, o.vmax = 1;
    const std::string svg = heatmap_svg(matrix(1, 4, {0, 0.5, 1, 3}), o);
    // Cells are written row by row, left to right.
    const std::size_t c0 = svg.find("<rect class=\"cell\""), c1 = svg.find("<rect class=\"cell\"", c0 + 1),
                      c2 = svg.find("<rect class=\"cell\"", c1 + 1), c3 = svg.find("<rect class=\"cell\"", c2 + 1);
    CHECK(svg.find("fill=\"#440154\"", c0) < c1);
    CHECK(svg.find("fill=\"#21918c\"", c1) < c2);
    CHECK(svg.find("fill=\"#fde725\"", c2) < c3);
    CHECK(svg.find("fill=\"#fde725\"", c3) != std::string::npos);  // 3 is above vmax: clamped to the top
    // The colour bar is labelled 0.0, 0.2, ..., 1.0.
    for (const char* tick : {">0.0<", ">0.2<", ">0.4<", ">0.6<", ">0.8<", ">1.0<"}) CHECK(contains(svg, tick));
}

TEST_CASE("heatmap_svg draws NaN cells grey and notes how many there are") {
    const std::string svg = heatmap_svg(matrix(2, 2, {0.1, NAN, 0.3, 0.4}));
    CHECK(xml_problem(svg) == "");
    CHECK(hex(nan_colour) == "#aaaaaa");
    CHECK(count(svg, "fill=\"#aaaaaa\"") == 2);  // the NaN cell and the swatch of the note
    CHECK(contains(svg, ">NaN (1 cell)</text>"));
    CHECK_FALSE(contains(heatmap_svg(matrix(1, 1, {0.5})), "NaN ("));
}

TEST_CASE("heatmap_svg show_values writes each value in its cell when the cells are big enough") {
    HeatmapOptions o;
    o.show_values = true;
    o.vmin = 0, o.vmax = 1;
    const std::string svg = heatmap_svg(matrix(2, 3, {0.25, 0.75, 0.5, 1, 0.0001, 12.5}), o);
    CHECK(xml_problem(svg) == "");
    CHECK(contains(svg, ">0.25</text>"));
    CHECK(contains(svg, ">0.75</text>"));
    CHECK(contains(svg, ">0.50</text>"));  // two decimals below 10
    CHECK(contains(svg, ">1.00</text>"));
    CHECK(contains(svg, ">0.00</text>"));
    CHECK(contains(svg, ">12.5</text>"));  // one decimal from 10 on
    // Dark cells get white text, light ones black: 0.25 is dark blue, 1 is yellow.
    CHECK(contains(svg, "fill=\"#ffffff\">0.25</text>"));
    CHECK(contains(svg, "fill=\"#000000\">1.00</text>"));
    o.cell_size = 12;
    CHECK_FALSE(contains(heatmap_svg(matrix(2, 2, {0.25, 0.75, 0.125, 1}), o), ">0.25</text>"));
}

TEST_CASE("heatmap_svg turns column labels wider than a cell and keeps narrow ones level") {
    HeatmapOptions o;
    o.col_labels = {"我", "爱"};
    CHECK_FALSE(contains(heatmap_svg(matrix(1, 2, {0, 1}), o), "rotate(-45"));
    o.col_labels = {"internationalisation", "x"};
    const std::string svg = heatmap_svg(matrix(1, 2, {0, 1}), o);
    CHECK(count(svg, "rotate(-45") == 2);
    CHECK(xml_problem(svg) == "");
}

TEST_CASE("heatmap_svg label counts must match the tensor, and the message names both") {
    const Tensor w = matrix(3, 4, std::vector<double>(12, 0.5));
    HeatmapOptions o;
    o.row_labels = {"a", "b"};
    CHECK_THROWS_WITH_AS(heatmap_svg(w, o), doctest::Contains("heatmap_svg: 2 row labels for float32 (3, 4) weights: need 3"),
                         Error);
    o.row_labels = {};
    o.col_labels = {"a", "b", "c", "d", "e"};
    CHECK_THROWS_WITH_AS(heatmap_svg(w, o), doctest::Contains("5 column labels for float32 (3, 4) weights: need 4"), Error);
    CHECK_THROWS_WITH_AS(heatmap_svg(Tensor(Shape{2, 3, 4}, DType::Float32)),
                         doctest::Contains("must be 2-d (rows, columns), got float32 (2, 3, 4)"), Error);
    CHECK_THROWS_WITH_AS(heatmap_svg(Tensor(Shape{0, 3}, DType::Float32)), doctest::Contains("is empty"), Error);
    HeatmapOptions bad_cell;
    bad_cell.cell_size = 0;
    CHECK_THROWS_WITH_AS(heatmap_svg(w, bad_cell), doctest::Contains("cell_size"), Error);
}

TEST_CASE("write_heatmap_svg writes the SVG text to the file") {
    TempDir dir;
    const Tensor w = matrix(2, 2, {0, 1, 1, 0});
    write_heatmap_svg(dir.file("map.svg"), w);
    CHECK(read_file(dir.file("map.svg"), "test", 1 << 20) == heatmap_svg(w));
    CHECK(dir.entries() == std::vector<std::string>{"map.svg"});  // no temporary file left behind
    CHECK_THROWS_AS(write_heatmap_svg(dir.file("missing/x.svg"), w), Error);
}

TEST_CASE("heatmap grid draws one panel per layer and head on one shared colour scale") {
    std::vector<std::vector<Tensor>> grid(2);
    for (int layer = 0; layer < 2; ++layer)
        for (int head = 0; head < 3; ++head)
            grid[layer].push_back(matrix(4, 4, std::vector<double>(16, layer * 3 + head)));  // panel k is all k
    GridOptions o;
    o.title = "attention";
    o.row_labels = o.col_labels = {"[CLS]", "我", "爱", "[SEP]"};
    const std::string svg = heatmap_grid_svg(grid, o);
    CHECK(xml_problem(svg) == "");
    CHECK(count(svg, "class=\"panel\"") == 6);
    CHECK(count(svg, "<rect class=\"cell\"") == 6 * 16);
    for (const char* title : {">layer 0<", ">layer 1<", ">head 0<", ">head 2<"}) CHECK(contains(svg, title));
    // Token labels are drawn once per panel row / column: 4 rows left of layer 0 and layer 1,
    // 4 columns above heads 0, 1 and 2.
    CHECK(count(svg, "class=\"row-label\"") == 2 * 4);
    CHECK(count(svg, "class=\"col-label\"") == 3 * 4);
    // One scale for all: panel 0 (all 0) gets the bottom colour, panel 5 (all 5) the top one.
    CHECK(count(svg, "fill=\"#440154\"") == 16);
    CHECK(count(svg, "fill=\"#fde725\"") == 16);
}

TEST_CASE("heatmap grid rejects ragged grids, mixed panel shapes and wrong title counts") {
    const Tensor a = matrix(2, 2, {0, 1, 2, 3});
    CHECK_THROWS_WITH_AS(heatmap_grid_svg({}), doctest::Contains("no panels"), Error);
    CHECK_THROWS_WITH_AS(heatmap_grid_svg({{a, a}, {a}}), doctest::Contains("grid row 1 has 1 panels but row 0 has 2"),
                         Error);
    CHECK_THROWS_WITH_AS(heatmap_grid_svg({{a, matrix(2, 3, {0, 0, 0, 0, 0, 0})}}),
                         doctest::Contains("panel (0, 1) is float32 (2, 3) but panel (0, 0) is float32 (2, 2)"), Error);
    GridOptions o;
    o.col_titles = {"head 0"};
    CHECK_THROWS_WITH_AS(heatmap_grid_svg({{a, a}}, o), doctest::Contains("1 column titles for a grid of 1 x 2 panels: need 2"), Error);
    o = {};
    o.row_labels = {"x"};
    CHECK_THROWS_WITH_AS(heatmap_grid_svg({{a, a}}, o),
                         doctest::Contains("1 row labels for panels of shape float32 (2, 2): need 2"), Error);
}

// ---- line charts ---------------------------------------------------------------------------------

TEST_CASE("line chart draws one path per series in distinct colours and names each in the legend") {
    ChartOptions o;
    o.title = "training";
    o.x_label = "step";
    o.y_label = "loss";
    const std::string svg = line_chart_svg({{"train <loss>", {0, 1, 2, 3}, {2.0, 1.5, 1.2, 1.0}},
                                            {"valid & test", {0, 3}, {2.1, 1.3}},
                                            {"损失", {0, 1, 2}, {1.9, 1.4, 1.1}}},
                                           o);
    CHECK(xml_problem(svg) == "");
    CHECK(count(svg, "<path class=\"series\"") == 3);
    CHECK(contains(svg, ">train &lt;loss&gt;</text>"));
    CHECK(contains(svg, ">valid &amp; test</text>"));
    CHECK(contains(svg, ">损失</text>"));
    CHECK(contains(svg, ">training</text>"));
    const std::size_t p0 = svg.find("<path class=\"series\""), p1 = svg.find("<path class=\"series\"", p0 + 1),
                      p2 = svg.find("<path class=\"series\"", p1 + 1);
    auto stroke = [&](std::size_t at) {
        const std::size_t s = svg.find("stroke=\"", at) + 8;
        return svg.substr(s, 7);
    };
    CHECK(stroke(p0) != stroke(p1));
    CHECK(stroke(p1) != stroke(p2));
    CHECK(stroke(p0) != stroke(p2));
    // Few points: every point also gets a dot.
    CHECK(count(svg, "class=\"marker\"") == 4 + 2 + 3);
}

TEST_CASE("line chart axes have nice 1-2-5 ticks that cover the data") {
    std::vector<double> xs, ys;
    for (int i = 0; i <= 999; ++i) xs.push_back(i), ys.push_back(0.13 + 0.74 * i / 999.0);  // 0.13 .. 0.87
    const std::string svg = line_chart_svg({{"acc", xs, ys}});
    CHECK(xml_problem(svg) == "");
    // y: span 0.74 / 5 = 0.148 -> step 0.2, axis 0.0 .. 1.0; x: 999 / 5 -> step 200, axis 0 .. 1000.
    for (const char* tick : {">0.0<", ">0.2<", ">0.4<", ">0.6<", ">0.8<", ">1.0<", ">200<", ">1000<"})
        CHECK(contains(svg, tick));
    CHECK_FALSE(contains(svg, ">1.2<"));
    CHECK(count(svg, "class=\"marker\"") == 0);  // 1000 points: a plain line
}

TEST_CASE("line chart skips NaN and infinite points, leaving a gap in the line") {
    const std::string svg = line_chart_svg({{"loss", {0, 1, 2, 3, 4, 5}, {1, 2, NAN, 4, INFINITY, 5}}});
    CHECK(xml_problem(svg) == "");
    const std::string d = series_path(svg, 0);
    // Pieces: (0, 1) -> (1, 2), then (3, 4) alone, then (5, 5) alone.
    CHECK(count(d, "M") == 3);
    CHECK(count(d, "L") == 1);
    CHECK_FALSE(contains(svg, "nan"));
    CHECK_FALSE(contains(svg, "inf"));
}

TEST_CASE("line chart lists an empty series as no data and draws no path for it") {
    const std::string svg = line_chart_svg({{"train", {0, 1}, {1, 2}}, {"valid", {}, {}}});
    CHECK(xml_problem(svg) == "");
    CHECK(count(svg, "<path class=\"series\"") == 1);
    CHECK(contains(svg, ">valid (no data)</text>"));
    const std::string nothing = line_chart_svg({});
    CHECK(xml_problem(nothing) == "");
    CHECK(contains(nothing, ">no data</text>"));
}

TEST_CASE("log_ticks gives the powers of ten that cover the range") {
    auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
    };
    near(log_ticks(0.02, 3), {0.01, 0.1, 1, 10});
    near(log_ticks(1, 1000), {1, 10, 100, 1000});  // exact powers are not pushed a decade out
    near(log_ticks(5, 5), {1, 10});
    const auto wide = log_ticks(1e-10, 1e10);  // 21 powers: every third, ending at or above 1e10
    CHECK(wide.size() <= 9);
    CHECK(wide.front() == doctest::Approx(1e-10));
    CHECK(wide.back() >= 1e10);
    CHECK_THROWS_AS(log_ticks(0, 1), Error);
}

TEST_CASE("line chart with log_y labels powers of ten and skips non-positive values") {
    ChartOptions o;
    o.log_y = true;
    const std::string svg = line_chart_svg({{"loss", {0, 1, 2, 3, 4}, {3, 0.5, 0, 0.1, 0.02}}}, o);
    CHECK(xml_problem(svg) == "");
    for (const char* tick : {">0.01<", ">0.1<", ">1<", ">10<"}) CHECK(contains(svg, tick));
    CHECK(count(series_path(svg, 0), "M") == 2);  // the 0 at x = 2 cannot be drawn on a log axis
    o.y_min = 0;
    CHECK_THROWS_WITH_AS(line_chart_svg({}, o), doctest::Contains("log y axis needs positive y_min"), Error);
}

TEST_CASE("line chart honours a fixed y range") {
    ChartOptions o;
    o.y_min = 0, o.y_max = 1;
    const std::string svg = line_chart_svg({{"acc", {0, 10, 20}, {0.5, 0.7, 1.5}}}, o);
    CHECK(xml_problem(svg) == "");
    CHECK(contains(svg, ">1.0<"));
    CHECK_FALSE(contains(svg, ">1.5<"));  // the axis stops at y_max; the line is clipped
    CHECK(contains(svg, "clip-path=\"url(#plot-area)\""));
}

TEST_CASE("line chart checks its inputs") {
    CHECK_THROWS_WITH_AS(line_chart_svg({{"loss", {0, 1, 2}, {1, 2}}}),
                         doctest::Contains("line_chart_svg: series 'loss' has 3 xs and 2 ys"), Error);
    ChartOptions o;
    o.y_min = 1, o.y_max = 1;
    CHECK_THROWS_WITH_AS(line_chart_svg({}, o), doctest::Contains("y_min 1 is not below y_max 1"), Error);
    o = {};
    o.width = 10;
    CHECK_THROWS_WITH_AS(line_chart_svg({}, o), doctest::Contains("width and height"), Error);
}

TEST_CASE("write_line_chart_svg writes the SVG text to the file") {
    TempDir dir;
    const std::vector<Series> s{{"loss", {0, 1}, {1, 0.5}}};
    write_line_chart_svg(dir.file("loss.svg"), s);
    CHECK(read_file(dir.file("loss.svg"), "test", 1 << 20) == line_chart_svg(s));
}

// ---- the terminal heatmap ------------------------------------------------------------------------

TEST_CASE("display_width counts CJK and fullwidth characters as two columns") {
    CHECK(display_width("") == 0);
    CHECK(display_width("[CLS]") == 5);
    CHECK(display_width("我爱北京") == 8);
    CHECK(display_width("a我b") == 4);
    CHECK(display_width("。") == 2);           // U+3002 ideographic full stop
    CHECK(display_width("\uFF21") == 2);       // fullwidth A
    CHECK(display_width("\uFF71") == 1);       // halfwidth katakana
    CHECK(display_width("\uD55C") == 2);       // a Hangul syllable
    CHECK(display_width("\U0001F600") == 2);   // an emoji
    CHECK(display_width("e\u0301") == 1);      // e + combining acute accent
    CHECK(display_width("\xFF") == 1);         // an invalid byte shows as one replacement character
}

TEST_CASE("terminal heatmap prints a header, one line per row and a scale, aligned by display width") {
    TerminalHeatmapOptions o;
    o.vmin = 0, o.vmax = 1;
    const std::string text = terminal_heatmap(matrix(2, 3, {0, 0.5, 1, 1, NAN, 0.25}), {"我", "cat"},
                                              {"a", "北京", "x"}, o);
    // Worked out by hand: row labels take 3 columns ("我" is 2 wide), cells are 4 wide (the
    // widest column label, "北京"), one space between; shade index = floor(10 * value), 9 at most.
    const std::vector<std::string> expected{
        "    a    北京 x",
        "我       ++++ @@@@",
        "cat @@@@ ???? ::::",
        "scale \" .:-=+*#%@\" from 0 to 1, ? = NaN",
    };
    const auto lines = lines_of(text);
    REQUIRE(lines.size() == expected.size());
    for (std::size_t i = 0; i < lines.size(); ++i) CHECK(lines[i] == expected[i]);
}

TEST_CASE("terminal heatmap narrows cells to max_width and cuts long labels with an ellipsis") {
    TerminalHeatmapOptions o;
    const Tensor w = matrix(2, 3, {0, 1, 2, 3, 4, 5});
    const auto lines = lines_of(terminal_heatmap(w, {"我们的", "b"}, {"internationalisation", "bb", "c"}, o));
    REQUIRE(lines.size() == 4);
    CHECK(lines[0] == "       inter… bb     c");  // cells 6 wide at most: 5 columns + "…"
    // Row labels are padded to the same display width (6 here), so the cells start in the
    // same terminal column although "我们的" takes 9 bytes and "b" one.
    CHECK(lines[1].substr(0, std::string("我们的 ").size()) == "我们的 ");
    CHECK(lines[2].substr(0, 7) == "b      ");

    o.max_width = 16;  // label 6 + 3 cells: (16 - 6) / 3 - 1 = 2 columns per cell
    const auto narrow = lines_of(terminal_heatmap(w, {"我们的", "b"}, {"internationalisation", "bb", "c"}, o));
    REQUIRE(narrow.size() == 4);
    CHECK(narrow[0] == "       i… bb c");
    for (std::size_t i = 0; i < 3; ++i) CHECK(display_width(narrow[i]) <= 16);  // the scale line is exempt
    o.max_width = 20;
    CHECK_THROWS_WITH_AS(terminal_heatmap(matrix(1, 50, std::vector<double>(50, 0)), {}, {}, o),
                         doctest::Contains("50 columns do not fit in max_width 20"), Error);
}

TEST_CASE("terminal heatmap in colour paints ANSI 256-colour backgrounds from viridis") {
    TerminalHeatmapOptions o;
    o.use_colour = true;
    const std::string text = terminal_heatmap(matrix(1, 2, {0, 1}), {}, {}, o);
    // #440154 -> cube levels (1, 0, 1): 16 + 36 + 0 + 1 = 53; #fde725 -> (5, 4, 0): 16 + 180 + 24 = 220.
    CHECK(contains(text, "\x1b[48;5;53m  \x1b[0m"));
    CHECK(contains(text, "\x1b[48;5;220m  \x1b[0m"));
    CHECK(lines_of(text).size() == 3);
}

TEST_CASE("terminal heatmap label counts must match the tensor") {
    CHECK_THROWS_WITH_AS(terminal_heatmap(matrix(2, 2, {0, 0, 0, 0}), {"a"}, {}),
                         doctest::Contains("terminal_heatmap: 1 row labels for float32 (2, 2) weights: need 2"), Error);
    CHECK_THROWS_WITH_AS(terminal_heatmap(matrix(2, 2, {0, 0, 0, 0}), {}, {"a", "b", "c"}),
                         doctest::Contains("3 column labels for float32 (2, 2) weights: need 2"), Error);
}

}  // TEST_SUITE
