// Heatmap layout, from the top of the picture down:
//
//   title
//   x label
//   column labels (turned when wider than a cell)
//   y label | row labels | cells ... | colour bar with ticks
//   note on NaN cells
//
// Sizes are estimated with svg::text_width, since SVG text is measured only when displayed.
#include "lessons/common/plot/heatmap.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

#include "lessons/common/plot/svg.hpp"
#include "tensor/atomic_file.hpp"

namespace qkv::lesson {

// ---- colour scale --------------------------------------------------------------------------------

namespace {

// viridis at t = 0, 1/8, 2/8, ..., 1.
constexpr Rgb viridis_anchors[9] = {
    {0x44, 0x01, 0x54}, {0x47, 0x2d, 0x7b}, {0x3b, 0x52, 0x8b}, {0x2c, 0x72, 0x8e}, {0x21, 0x91, 0x8c},
    {0x28, 0xae, 0x80}, {0x5e, 0xc9, 0x62}, {0xad, 0xdc, 0x30}, {0xfd, 0xe7, 0x25},
};

std::uint8_t mix(std::uint8_t a, std::uint8_t b, double f) {
    return static_cast<std::uint8_t>(std::lround(a + (b - a) * f));
}

}  // namespace

Rgb viridis(double t) {
    if (std::isnan(t)) fail("viridis", "t is NaN");
    const double pos = std::clamp(t, 0.0, 1.0) * 8;  // which anchor interval, and where in it
    const int i = std::min(static_cast<int>(pos), 7);
    const double f = pos - i;
    const Rgb a = viridis_anchors[i], b = viridis_anchors[i + 1];
    return {mix(a.r, b.r, f), mix(a.g, b.g, f), mix(a.b, b.b, f)};
}

std::string hex(Rgb c) {
    constexpr char digits[] = "0123456789abcdef";
    std::string out = "#";
    for (const std::uint8_t v : {c.r, c.g, c.b}) {
        out += digits[v >> 4];
        out += digits[v & 15];
    }
    return out;
}

double ColourScale::fraction(double v) const {
    if (std::isnan(v)) return v;
    if (max == min) return 0.5;
    return std::clamp((v - min) / (max - min), 0.0, 1.0);
}

ColourScale fit_colour_scale(const std::vector<double>& values, std::optional<double> vmin,
                             std::optional<double> vmax, const char* op) {
    if (vmin && !std::isfinite(*vmin)) fail(op, "vmin must be finite, got ", *vmin);
    if (vmax && !std::isfinite(*vmax)) fail(op, "vmax must be finite, got ", *vmax);
    if (vmin && vmax && *vmin > *vmax) fail(op, "vmin ", *vmin, " is greater than vmax ", *vmax);
    double lo = INFINITY, hi = -INFINITY;
    for (double v : values) {
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    if (lo > hi) lo = 0, hi = 1;  // no finite value at all
    ColourScale scale{vmin.value_or(lo), vmax.value_or(hi)};
    // One bound given and the data entirely on its wrong side: a one-value scale at that bound.
    if (scale.min > scale.max) {
        if (vmin) scale.max = *vmin;
        else scale.min = *vmax;
    }
    return scale;
}

namespace {

// ---- shared pieces -------------------------------------------------------------------------------

using svg::margin;
using svg::title_font;
constexpr double title_band = 28;   // height of the title line
constexpr double axis_band = 20;    // height (or width) of an x (or y) label line
constexpr double label_gap = 5;     // between a label and its cells
constexpr double bar_gap = 20;      // between the cells and the colour bar
constexpr double bar_width = 14;
constexpr double min_bar_height = 120;
constexpr double note_band = 22;

struct Matrix {
    std::int64_t rows = 0, cols = 0;
    std::vector<double> values;  // row-major
    double at(std::int64_t r, std::int64_t c) const { return values[static_cast<std::size_t>(r * cols + c)]; }
};

Matrix matrix_of(const Tensor& t, const char* op, const std::string& what) {
    t.check_defined(op);
    if (t.dim() != 2) fail(op, what, " must be 2-d (rows, columns), got ", describe(t));
    if (t.numel() == 0) fail(op, what, " is empty: ", describe(t));
    return {t.size(0), t.size(1), t.to_vector<double>()};
}

// The user's labels, checked against the matrix, or "0", "1", ... when none were given.
std::vector<std::string> labels_or_indices(const std::vector<std::string>& labels, std::int64_t n, const char* op,
                                           const char* dimension, const std::string& shape) {
    if (labels.empty()) {
        std::vector<std::string> indices;
        for (std::int64_t i = 0; i < n; ++i) indices.push_back(std::to_string(i));
        return indices;
    }
    if (static_cast<std::int64_t>(labels.size()) != n)
        fail(op, labels.size(), ' ', dimension, " labels for ", shape, ": need ", n, ", one per ", dimension);
    return labels;
}

void check_cell_size(double cell, const char* op) {
    if (!(cell >= 1 && cell <= 1000)) fail(op, "cell_size must be between 1 and 1000 pixels, got ", cell);
}

double widest(const std::vector<std::string>& texts, double font) {
    double w = 0;
    for (const std::string& t : texts) w = std::max(w, svg::text_width(t, font));
    return w;
}

// `digits` significant digits, shortest form: short_value(0.42137, 4) == "0.4214".
std::string short_value(double v, int digits) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buffer[32];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::general, digits);
    return {buffer, r.ptr};
}

// The text written in a cell: four or five characters, so that it fits. Two decimals below 10
// ("0.42", and "0.00" for a weight that is practically zero), fewer up to 1000, then "1.2e+03".
std::string cell_value(double v) {
    const double a = std::abs(v);
    if (a < 9.995) return svg::fixed(v, 2);
    if (a < 99.95) return svg::fixed(v, 1);
    if (a < 999.5) return svg::fixed(v, 0);
    return short_value(v, 2);
}

// Black text on light cells, white on dark: whichever contrasts more with the cell. Relative
// luminance Y weights the linearised sRGB channels; black and white contrast equally at
// Y = 0.179 (contrast ratio (Y + 0.05) / 0.05 against black, 1.05 / (Y + 0.05) against white).
const char* text_colour_on(Rgb c) {
    auto linear = [](std::uint8_t v) {
        const double s = v / 255.0;
        return s <= 0.04045 ? s / 12.92 : std::pow((s + 0.055) / 1.055, 2.4);
    };
    const double y = 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b);
    return y > 0.179 ? "#000000" : "#ffffff";
}

Rgb cell_colour(const ColourScale& scale, double v) {
    return std::isnan(v) ? nan_colour : viridis(scale.fraction(v));
}

std::int64_t count_nan(const std::vector<double>& values) {
    return std::count_if(values.begin(), values.end(), [](double v) { return std::isnan(v); });
}

// The cells of `m` with their top-left corner at (x, y). Each cell carries a <title> (the browser
// shows it on hover): "<prefix>row -> column: value".
void draw_cells(svg::Document& doc, const Matrix& m, const ColourScale& scale, double x, double y, double cell,
                bool show_values, const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                const std::string& tooltip_prefix) {
    const bool values_fit = show_values && cell >= 20;
    doc.open("g", {{"shape-rendering", "crispEdges"}});  // no hairline seams between neighbours
    for (std::int64_t r = 0; r < m.rows; ++r) {
        for (std::int64_t c = 0; c < m.cols; ++c) {
            const double v = m.at(r, c);
            const Rgb fill = cell_colour(scale, v);
            const double cx = x + c * cell, cy = y + r * cell;
            doc.open("rect", {{"class", "cell"}, {"x", cx}, {"y", cy}, {"width", cell}, {"height", cell},
                              {"fill", hex(fill)}});
            doc.text("title", {}, cat(tooltip_prefix, rows[r], " \u2192 ", cols[c], ": ", short_value(v, 4)));
            doc.close();
            if (values_fit) {
                // About 0.6 em per character: shrink long values ("-12.5") to 90% of the cell.
                const std::string text = cell_value(v);
                const double font = std::min(0.36 * cell, 0.9 * cell / (0.6 * static_cast<double>(text.size())));
                doc.text("text", {{"x", cx + cell / 2}, {"y", cy + cell / 2 + 0.35 * font}, {"font-size", font},
                                  {"text-anchor", "middle"}, {"fill", text_colour_on(fill)}}, text);
            }
        }
    }
    doc.close();
}

// Row labels right-aligned against the cells, whose left edge is at x.
void draw_row_labels(svg::Document& doc, const std::vector<std::string>& labels, double x, double y, double cell,
                     double font) {
    for (std::size_t r = 0; r < labels.size(); ++r)
        doc.text("text", {{"class", "row-label"}, {"x", x - label_gap}, {"y", y + (r + 0.5) * cell + 0.35 * font},
                          {"font-size", font}, {"text-anchor", "end"}}, labels[r]);
}

// How column labels are drawn: level, or turned by `angle` degrees (-45 or -90) when one of them
// is wider than a cell. `height` is how far they reach above the cells, `overhang` how far the
// last one reaches right of the last cell's centre.
struct ColumnLabels {
    double angle = 0, height = 0, overhang = 0;
};

ColumnLabels measure_column_labels(const std::vector<std::string>& labels, double cell, double font,
                                   double turned_angle) {
    const double w = widest(labels, font);
    if (w <= cell - 2) return {0, font, w / 2};
    // A label of width w turned by a (its text is `font` tall) spans w sin a + font cos a
    // vertically and w cos a horizontally.
    const double a = std::abs(turned_angle) * std::numbers::pi / 180;
    return {turned_angle, w * std::sin(a) + font * std::cos(a), w * std::cos(a) + font};
}

// Column labels above the cells, whose top-left corner is at (x, y).
void draw_column_labels(svg::Document& doc, const std::vector<std::string>& labels, const ColumnLabels& how,
                        double x, double y, double cell, double font) {
    for (std::size_t c = 0; c < labels.size(); ++c) {
        const double cx = x + (c + 0.5) * cell, base = y - label_gap;
        if (how.angle == 0) {
            doc.text("text", {{"class", "col-label"}, {"x", cx}, {"y", base}, {"font-size", font},
                              {"text-anchor", "middle"}}, labels[c]);
            continue;
        }
        // Turned text starts at the cell's centre. Its glyphs sit about 0.35 em above the
        // baseline, which after rotate(a) is 0.35 em along (sin a, -cos a): moving the start by
        // -0.35 em sin a in x puts the middle of the glyphs, not the baseline, on the column.
        const double a = how.angle * std::numbers::pi / 180;
        const double sx = cx - 0.35 * font * std::sin(a), sy = base;
        doc.text("text", {{"class", "col-label"}, {"x", sx}, {"y", sy}, {"font-size", font},
                          {"transform", cat("rotate(", svg::number(how.angle), ' ', svg::number(sx), ' ',
                                            svg::number(sy), ')')}}, labels[c]);
    }
}

// Tick values of the colour bar and their labels: nice steps inside [min, max].
std::vector<std::pair<double, std::string>> colour_bar_ticks(const ColourScale& scale) {
    if (scale.min == scale.max) return {{scale.min, short_value(scale.min, 4)}};
    const double step = svg::nice_step(scale.max - scale.min, 6);
    std::vector<std::pair<double, std::string>> ticks;
    for (double t : svg::ticks_between(scale.min, scale.max, step)) ticks.emplace_back(t, svg::fixed(t, svg::decimals_for(step)));
    return ticks;
}

double colour_bar_label_width(const ColourScale& scale, double font) {
    double w = 0;
    for (const auto& [value, label] : colour_bar_ticks(scale)) w = std::max(w, svg::text_width(label, font));
    return w;
}

// A vertical bar from the scale's min (bottom) to max (top), at (x, y), with ticks on its right.
// The gradient's stops are the viridis anchors, which SVG interpolates linearly in sRGB, as
// viridis() does.
void draw_colour_bar(svg::Document& doc, const ColourScale& scale, double x, double y, double height, double font) {
    doc.open("defs");
    doc.open("linearGradient", {{"id", "colour-scale"}, {"x1", 0}, {"y1", 1}, {"x2", 0}, {"y2", 0}});
    for (int i = 0; i <= 8; ++i) doc.leaf("stop", {{"offset", i / 8.0}, {"stop-color", hex(viridis_anchors[i])}});
    doc.close();
    doc.close();
    doc.leaf("rect", {{"class", "colour-bar"}, {"x", x}, {"y", y}, {"width", bar_width}, {"height", height},
                      {"fill", "url(#colour-scale)"}, {"stroke", "#555555"}, {"stroke-width", 0.5}});
    for (const auto& [value, label] : colour_bar_ticks(scale)) {
        const double ty = y + height * (1 - scale.fraction(value));
        doc.leaf("line", {{"x1", x + bar_width}, {"y1", ty}, {"x2", x + bar_width + 4}, {"y2", ty},
                          {"stroke", "#555555"}, {"stroke-width", 1}});
        doc.text("text", {{"class", "tick"}, {"x", x + bar_width + 6}, {"y", ty + 0.35 * font}, {"font-size", font}},
                 label);
    }
}

// "NaN (3 cells)" beside a grey swatch, with its top-left corner at (x, y).
void draw_nan_note(svg::Document& doc, std::int64_t nan_cells, double x, double y) {
    if (nan_cells == 0) return;
    doc.leaf("rect", {{"class", "nan-swatch"}, {"x", x}, {"y", y + 4}, {"width", 12}, {"height", 12},
                      {"fill", hex(nan_colour)}});
    doc.text("text", {{"class", "note"}, {"x", x + 18}, {"y", y + 14}, {"font-size", 12}},
             cat("NaN (", nan_cells, nan_cells == 1 ? " cell)" : " cells)"));
}

void draw_background(svg::Document& doc) {
    doc.leaf("rect", {{"class", "background"}, {"width", "100%"}, {"height", "100%"}, {"fill", "#ffffff"}});
}

void draw_title(svg::Document& doc, const std::string& title, double width) {
    if (title.empty()) return;
    doc.text("text", {{"class", "title"}, {"x", width / 2}, {"y", margin + title_font}, {"font-size", title_font},
                      {"font-weight", "bold"}, {"text-anchor", "middle"}}, title);
}

}  // namespace

// ---- one heatmap ---------------------------------------------------------------------------------

std::string heatmap_svg(const Tensor& weights, const HeatmapOptions& o) {
    const char* op = "heatmap_svg";
    const Matrix m = matrix_of(weights, op, "weights");
    check_cell_size(o.cell_size, op);
    const std::string shape = cat(describe(weights), " weights");
    const auto rows = labels_or_indices(o.row_labels, m.rows, op, "row", shape);
    const auto cols = labels_or_indices(o.col_labels, m.cols, op, "column", shape);
    const ColourScale scale = fit_colour_scale(m.values, o.vmin, o.vmax, op);
    const std::int64_t nan_cells = count_nan(m.values);

    const double cell = o.cell_size, font = std::clamp(cell * 0.8, 8.0, 12.0);
    const ColumnLabels col_how = measure_column_labels(cols, cell, font, -45);
    const double title_h = o.title.empty() ? 0 : title_band;
    const double x_label_h = o.x_label.empty() ? 0 : axis_band;
    const double y_label_w = o.y_label.empty() ? 0 : axis_band;
    const double grid_x = margin + y_label_w + widest(rows, font) + label_gap;
    const double grid_y = margin + title_h + x_label_h + col_how.height + label_gap;
    const double grid_w = m.cols * cell, grid_h = m.rows * cell;
    const double bar_x = grid_x + grid_w + bar_gap, bar_h = std::max(grid_h, min_bar_height);
    const double labels_right = grid_x + grid_w - cell / 2 + col_how.overhang;
    double width = std::max(bar_x + bar_width + 6 + colour_bar_label_width(scale, font), labels_right) + margin;
    width = std::max(width, svg::text_width(o.title, title_font) + 2 * margin);
    const double body_bottom = grid_y + std::max(grid_h, bar_h);
    const double height = body_bottom + (nan_cells ? note_band : 0) + margin;

    svg::Document doc(width, height);
    draw_background(doc);
    draw_title(doc, o.title, width);
    if (!o.x_label.empty())
        doc.text("text", {{"class", "axis-label"}, {"x", grid_x + grid_w / 2}, {"y", margin + title_h + 14},
                          {"font-size", 13}, {"text-anchor", "middle"}}, o.x_label);
    if (!o.y_label.empty()) {
        const double x = margin + 14, y = grid_y + grid_h / 2;
        doc.text("text", {{"class", "axis-label"}, {"x", x}, {"y", y}, {"font-size", 13}, {"text-anchor", "middle"},
                          {"transform", cat("rotate(-90 ", svg::number(x), ' ', svg::number(y), ')')}}, o.y_label);
    }
    draw_column_labels(doc, cols, col_how, grid_x, grid_y, cell, font);
    draw_row_labels(doc, rows, grid_x, grid_y, cell, font);
    draw_cells(doc, m, scale, grid_x, grid_y, cell, o.show_values, rows, cols, "");
    draw_colour_bar(doc, scale, bar_x, grid_y, bar_h, font);
    draw_nan_note(doc, nan_cells, grid_x, body_bottom);
    return doc.finish();
}

void write_heatmap_svg(const std::string& path, const Tensor& weights, const HeatmapOptions& options) {
    write_file_atomically(path, heatmap_svg(weights, options));
}

// ---- a grid of heatmaps --------------------------------------------------------------------------

namespace {

// Checks that the grid is rectangular and every panel has the first one's shape.
std::vector<std::vector<Matrix>> grid_matrices(const std::vector<std::vector<Tensor>>& grid, const char* op) {
    if (grid.empty() || grid[0].empty()) fail(op, "the grid has no panels");
    std::vector<std::vector<Matrix>> out;
    for (std::size_t i = 0; i < grid.size(); ++i) {
        if (grid[i].size() != grid[0].size())
            fail(op, "grid row ", i, " has ", grid[i].size(), " panels but row 0 has ", grid[0].size());
        out.emplace_back();
        for (std::size_t j = 0; j < grid[i].size(); ++j) {
            out[i].push_back(matrix_of(grid[i][j], op, cat("panel (", i, ", ", j, ")")));
            if (grid[i][j].shape() != grid[0][0].shape())
                fail(op, "panel (", i, ", ", j, ") is ", describe(grid[i][j]), " but panel (0, 0) is ",
                     describe(grid[0][0]), ": every panel must have the same shape");
        }
    }
    return out;
}

// The user's titles, or "<word> 0", "<word> 1", ...; `n` of them for a grid of `grid` panels.
std::vector<std::string> titles_or_default(const std::vector<std::string>& titles, std::size_t n, const char* op,
                                           const char* what, const char* word, const std::string& grid) {
    if (titles.empty()) {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(cat(word, ' ', i));
        return out;
    }
    if (titles.size() != n) fail(op, titles.size(), ' ', what, " for a grid of ", grid, " panels: need ", n);
    return titles;
}

}  // namespace

std::string heatmap_grid_svg(const std::vector<std::vector<Tensor>>& grid, const GridOptions& o) {
    const char* op = "heatmap_grid_svg";
    const auto panels = grid_matrices(grid, op);
    check_cell_size(o.cell_size, op);
    const std::size_t n_rows = panels.size(), n_cols = panels[0].size();
    const std::string grid_size = cat(n_rows, " x ", n_cols);
    const auto row_titles = titles_or_default(o.row_titles, n_rows, op, "row titles", "layer", grid_size);
    const auto col_titles = titles_or_default(o.col_titles, n_cols, op, "column titles", "head", grid_size);
    const Matrix& first = panels[0][0];
    const std::string shape = cat("panels of shape ", describe(grid[0][0]));
    const auto rows = labels_or_indices(o.row_labels, first.rows, op, "row", shape);
    const auto cols = labels_or_indices(o.col_labels, first.cols, op, "column", shape);

    std::vector<double> all;
    for (const auto& row : panels)
        for (const Matrix& m : row) all.insert(all.end(), m.values.begin(), m.values.end());
    const ColourScale scale = fit_colour_scale(all, o.vmin, o.vmax, op);
    const std::int64_t nan_cells = count_nan(all);

    // Token labels are drawn once: rows left of the first panel column, columns above the first
    // panel row, turned -90 degrees so that they never reach over the next panel.
    const double cell = o.cell_size, font = std::clamp(cell * 0.85, 7.0, 11.0), title_size = 12;
    const double panel_w = first.cols * cell, panel_h = first.rows * cell;
    const double row_label_w = o.row_labels.empty() ? 0 : widest(rows, font) + label_gap;
    const ColumnLabels col_how =
        o.col_labels.empty() ? ColumnLabels{} : measure_column_labels(cols, cell, font, -90);
    // Panels are spaced so that a panel title never runs into its neighbour's.
    const double gap_x = std::max(12.0, widest(col_titles, title_size) - panel_w + 8);
    const double gap_y = std::max(12.0, widest(row_titles, title_size) - panel_h + 8);

    const double title_h = o.title.empty() ? 0 : title_band;
    const double left = margin + axis_band + row_label_w;
    const double top = margin + title_h + axis_band + (o.col_labels.empty() ? 0 : col_how.height + label_gap);
    const double area_w = n_cols * panel_w + (n_cols - 1) * gap_x, area_h = n_rows * panel_h + (n_rows - 1) * gap_y;
    const double bar_x = left + area_w + bar_gap, bar_h = std::clamp(area_h, min_bar_height, 360.0);
    double width = bar_x + bar_width + 6 + colour_bar_label_width(scale, font) + margin;
    width = std::max(width, svg::text_width(o.title, title_font) + 2 * margin);
    const double body_bottom = top + std::max(area_h, bar_h);
    const double height = body_bottom + (nan_cells ? note_band : 0) + margin;

    svg::Document doc(width, height);
    draw_background(doc);
    draw_title(doc, o.title, width);
    for (std::size_t j = 0; j < n_cols; ++j)
        doc.text("text", {{"class", "panel-title"}, {"x", left + j * (panel_w + gap_x) + panel_w / 2},
                          {"y", margin + title_h + 14}, {"font-size", title_size}, {"text-anchor", "middle"}},
                 col_titles[j]);
    for (std::size_t i = 0; i < n_rows; ++i) {
        const double x = margin + 14, y = top + i * (panel_h + gap_y) + panel_h / 2;
        doc.text("text", {{"class", "panel-title"}, {"x", x}, {"y", y}, {"font-size", title_size},
                          {"text-anchor", "middle"},
                          {"transform", cat("rotate(-90 ", svg::number(x), ' ', svg::number(y), ')')}},
                 row_titles[i]);
    }
    for (std::size_t i = 0; i < n_rows; ++i) {
        for (std::size_t j = 0; j < n_cols; ++j) {
            const double x = left + j * (panel_w + gap_x), y = top + i * (panel_h + gap_y);
            if (j == 0 && !o.row_labels.empty()) draw_row_labels(doc, rows, x, y, cell, font);
            if (i == 0 && !o.col_labels.empty()) draw_column_labels(doc, cols, col_how, x, y, cell, font);
            doc.open("g", {{"class", "panel"}, {"transform", cat("translate(", svg::number(x), ' ', svg::number(y), ')')}});
            draw_cells(doc, panels[i][j], scale, 0, 0, cell, false, rows, cols,
                       cat(row_titles[i], ", ", col_titles[j], ": "));
            doc.close();
        }
    }
    draw_colour_bar(doc, scale, bar_x, top, bar_h, font);
    draw_nan_note(doc, nan_cells, left, body_bottom);
    return doc.finish();
}

void write_heatmap_grid_svg(const std::string& path, const std::vector<std::vector<Tensor>>& grid,
                            const GridOptions& options) {
    write_file_atomically(path, heatmap_grid_svg(grid, options));
}

}  // namespace qkv::lesson
