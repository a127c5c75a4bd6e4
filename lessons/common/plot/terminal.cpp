#include "lessons/common/plot/terminal.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "lessons/common/plot/heatmap.hpp"
#include "nn/text/utf8.hpp"

namespace qkv::lesson {
namespace {

constexpr char32_t replacement = 0xFFFD;
constexpr std::string_view shades = " .:-=+*#%@";  // ten levels, from empty to full
constexpr std::size_t max_row_label_width = 16;
constexpr std::size_t min_cell_width = 2, max_cell_width = 6;

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// The code points of `text`, with U+FFFD for each byte that is not valid UTF-8.
std::u32string code_points(std::string_view text) {
    std::u32string out;
    while (!text.empty()) {
        const auto bad = nn::utf8::find_invalid(text);
        const std::size_t valid = bad.value_or(text.size());
        out += nn::utf8::decode(text.substr(0, valid));
        if (!bad) break;
        out += replacement;
        text.remove_prefix(valid + 1);
    }
    return out;
}

std::size_t width_of(char32_t c) {
    if (c < 0x20 || in(c, 0x7F, 0x9F)) return 0;  // controls
    if (in(c, 0x300, 0x36F) || in(c, 0x200B, 0x200F) || in(c, 0xFE00, 0xFE0F)) return 0;
    const bool wide = in(c, 0x1100, 0x115F) ||   // Hangul Jamo initial consonants
                      in(c, 0x2E80, 0x303E) ||   // CJK radicals, Kangxi, CJK symbols and punctuation
                      in(c, 0x3041, 0x33FF) ||   // kana, Bopomofo, Hangul compatibility Jamo, CJK compatibility
                      in(c, 0x3400, 0x4DBF) ||   // CJK extension A
                      in(c, 0x4E00, 0x9FFF) ||   // CJK unified ideographs
                      in(c, 0xA000, 0xA4CF) ||   // Yi
                      in(c, 0xAC00, 0xD7A3) ||   // Hangul syllables
                      in(c, 0xF900, 0xFAFF) ||   // CJK compatibility ideographs
                      in(c, 0xFE10, 0xFE19) ||   // vertical forms
                      in(c, 0xFE30, 0xFE6F) ||   // CJK compatibility forms, small form variants
                      in(c, 0xFF00, 0xFF60) ||   // fullwidth ASCII
                      in(c, 0xFFE0, 0xFFE6) ||   // fullwidth signs
                      in(c, 0x1F300, 0x1F64F) ||  // pictographs and emoticons
                      in(c, 0x1F900, 0x1F9FF) ||  // supplemental pictographs
                      in(c, 0x20000, 0x2FFFD) || in(c, 0x30000, 0x3FFFD);  // CJK extensions B and later
    return wide ? 2 : 1;
}

// `text` padded with spaces to exactly `width` columns, or cut to width - 1 columns plus "…".
std::string fit(std::string_view text, std::size_t width) {
    const std::size_t w = display_width(text);
    if (w <= width) return std::string(text) + std::string(width - w, ' ');
    std::string out;
    std::size_t used = 0;
    for (char32_t c : code_points(text)) {
        const std::size_t cw = width_of(c);
        if (used + cw + 1 > width) break;  // keep one column for the ellipsis
        out += nn::utf8::encode(c);
        used += cw;
    }
    if (width > 0) out += "\u2026", ++used;
    return out + std::string(width - used, ' ');
}

std::vector<std::string> labels_or_indices(const std::vector<std::string>& labels, std::int64_t n,
                                           const char* dimension, const Tensor& weights) {
    if (labels.empty()) {
        std::vector<std::string> out;
        for (std::int64_t i = 0; i < n; ++i) out.push_back(std::to_string(i));
        return out;
    }
    if (static_cast<std::int64_t>(labels.size()) != n)
        fail("terminal_heatmap", labels.size(), ' ', dimension, " labels for ", describe(weights), " weights: need ", n,
             ", one per ", dimension);
    return labels;
}

std::size_t widest(const std::vector<std::string>& labels) {
    std::size_t w = 0;
    for (const std::string& l : labels) w = std::max(w, display_width(l));
    return w;
}

// The nearest colour of the xterm 256-colour cube: indices 16 + 36 r + 6 g + b, where each
// channel level 0..5 stands for the intensity 0, 95, 135, 175, 215 or 255.
int xterm_index(Rgb c) {
    auto level = [](std::uint8_t v) { return v < 48 ? 0 : v < 115 ? 1 : (v - 35) / 40; };
    return 16 + 36 * level(c.r) + 6 * level(c.g) + level(c.b);
}

std::string cell_text(double fraction, std::size_t width, bool colour) {
    if (std::isnan(fraction)) return std::string(width, '?');
    if (colour)
        return cat("\x1b[48;5;", xterm_index(viridis(fraction)), 'm', std::string(width, ' '), "\x1b[0m");
    const auto level = std::min<std::size_t>(shades.size() - 1, static_cast<std::size_t>(fraction * shades.size()));
    return std::string(width, shades[level]);
}

std::string short_value(double v) {
    char buffer[32];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::general, 4);
    return {buffer, r.ptr};
}

void trim_right(std::string& line) {
    const auto end = line.find_last_not_of(' ');
    line.erase(end == std::string::npos ? 0 : end + 1);
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t w = 0;
    for (char32_t c : code_points(text)) w += width_of(c);
    return w;
}

std::string terminal_heatmap(const Tensor& weights, const std::vector<std::string>& row_labels,
                             const std::vector<std::string>& col_labels, const TerminalHeatmapOptions& o) {
    const char* op = "terminal_heatmap";
    weights.check_defined(op);
    if (weights.dim() != 2) fail(op, "weights must be 2-d (rows, columns), got ", describe(weights));
    if (weights.numel() == 0) fail(op, "weights are empty: ", describe(weights));
    if (o.max_width < 1) fail(op, "max_width must be positive, got ", o.max_width);
    const std::int64_t n_rows = weights.size(0), n_cols = weights.size(1);
    const auto rows = labels_or_indices(row_labels, n_rows, "row", weights);
    const auto cols = labels_or_indices(col_labels, n_cols, "column", weights);
    const std::vector<double> values = weights.to_vector<double>();
    const ColourScale scale = fit_colour_scale(values, o.vmin, o.vmax, op);

    // A line is: row label (L columns), a space, then per column a cell of cw columns and a space.
    const std::size_t label_w = std::min(widest(rows), max_row_label_width);
    const auto room = static_cast<std::int64_t>(o.max_width) - static_cast<std::int64_t>(label_w);
    const std::int64_t cw_fit = room / n_cols - 1;
    if (cw_fit < 1)
        fail(op, n_cols, " columns do not fit in max_width ", o.max_width, ": they need at least ",
             label_w + 2 * n_cols, " terminal columns");
    const std::size_t cell_w =
        std::min<std::size_t>(std::clamp(widest(cols), min_cell_width, max_cell_width), cw_fit);

    std::string out;
    std::string line = std::string(label_w, ' ') + ' ';
    for (const std::string& c : cols) line += fit(c, cell_w) + ' ';
    trim_right(line);
    out += line + '\n';
    bool any_nan = false;
    for (std::int64_t r = 0; r < n_rows; ++r) {
        line = fit(rows[r], label_w) + ' ';
        for (std::int64_t c = 0; c < n_cols; ++c) {
            const double f = scale.fraction(values[static_cast<std::size_t>(r * n_cols + c)]);
            any_nan = any_nan || std::isnan(f);
            line += cell_text(f, cell_w, o.use_colour) + ' ';
        }
        trim_right(line);
        out += line + '\n';
    }
    std::string ramp;
    for (std::size_t i = 0; i < shades.size(); ++i) ramp += cell_text((i + 0.5) / shades.size(), 1, o.use_colour);
    out += cat("scale \"", ramp, "\" from ", short_value(scale.min), " to ", short_value(scale.max),
               any_nan ? ", ? = NaN" : "", '\n');
    return out;
}

}  // namespace qkv::lesson
