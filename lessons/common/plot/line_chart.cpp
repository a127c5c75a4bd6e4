// Line chart layout: the title on top, the legend on the right (outside the plot, so it never
// hides a curve), tick labels and axis labels left of and below the plot area.
#include "lessons/common/plot/line_chart.hpp"

#include <algorithm>
#include <cmath>

#include "lessons/common/plot/svg.hpp"
#include "tensor/atomic_file.hpp"
#include "tensor/error.hpp"

namespace qkv::lesson {

namespace {

using svg::margin;
using svg::title_font;

constexpr double font = 11;         // tick labels and legend
constexpr double axis_font = 13;
constexpr std::size_t max_markers = 30;

// Okabe and Ito's palette for colour-blind readers, most distinct first (its yellow is faint on
// white, so it comes last). After eight series the colours repeat with a dash pattern.
constexpr const char* palette[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                   "#e69f00", "#56b4e9", "#000000", "#f0e442"};
constexpr const char* dashes[] = {"", "6 3", "2 2", "8 3 2 3"};
constexpr std::size_t palette_size = std::size(palette);

// One axis: the data range it shows, its labelled ticks and, on a log axis, unlabelled ones.
struct Axis {
    double lo = 0, hi = 1;
    bool log = false;
    std::vector<double> ticks;
    std::vector<std::string> labels;
    std::vector<double> minor;

    // Where v falls along the axis: 0 at lo, 1 at hi (outside for values outside the range).
    double fraction(double v) const {
        return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    }
};

bool drawable(double x, double y, bool log_y) { return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0); }

// A range that is a single value gets room around it: +-10% of it (+-1 for 0), or a decade.
void widen_if_flat(double& lo, double& hi, bool log, bool lo_fixed, bool hi_fixed) {
    if (lo < hi) return;
    if (log) {
        if (!lo_fixed) lo = hi / 10;
        if (!hi_fixed) hi = lo_fixed ? lo * 10 : hi * 10;
        return;
    }
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    if (!lo_fixed) lo = hi - pad;
    if (!hi_fixed) hi = lo_fixed ? lo + pad : hi + pad;
}

// Ticks at 1-2-5 steps; an end not fixed by the user is moved out to the next tick.
Axis linear_axis(double lo, double hi, bool lo_fixed, bool hi_fixed) {
    widen_if_flat(lo, hi, false, lo_fixed, hi_fixed);
    const double step = svg::nice_step(hi - lo, 5);
    Axis a;
    a.lo = lo_fixed ? lo : std::floor(lo / step) * step;
    a.hi = hi_fixed ? hi : std::ceil(hi / step) * step;
    for (double t : svg::ticks_between(a.lo, a.hi, step)) {
        a.ticks.push_back(t);
        a.labels.push_back(svg::fixed(t, svg::decimals_for(step)));
    }
    return a;
}

// "0.001", "1", "1000" for 10^-4 .. 10^5; "1e-5", "1e6" beyond.
std::string power_of_ten_label(double tick) {
    const int e = static_cast<int>(std::lround(std::log10(tick)));
    if (e >= -4 && e <= 5) return svg::fixed(tick, std::max(0, -e));
    return cat("1e", e);
}

// Labelled ticks at powers of ten, unlabelled ones at 2..9 times them (when the axis spans at
// most six decades; more would crowd it); unfixed ends move out to a power of ten.
Axis log_axis(double lo, double hi, bool lo_fixed, bool hi_fixed) {
    widen_if_flat(lo, hi, true, lo_fixed, hi_fixed);
    Axis a;
    a.log = true;
    const std::vector<double> powers = log_ticks(lo, hi);
    a.lo = lo_fixed ? lo : powers.front();
    a.hi = hi_fixed ? hi : powers.back();
    const auto inside = [&](double v) { return v >= a.lo * (1 - 1e-9) && v <= a.hi * (1 + 1e-9); };
    for (double t : powers) {
        if (!inside(t)) continue;
        a.ticks.push_back(t);
        a.labels.push_back(power_of_ten_label(t));
    }
    const double first = std::floor(std::log10(a.lo)), last = std::ceil(std::log10(a.hi));
    if (last - first <= 6)
        for (double e = first; e < last; ++e)
            for (int m = 2; m <= 9; ++m)
                if (inside(m * std::pow(10.0, e))) a.minor.push_back(m * std::pow(10.0, e));
    return a;
}

void check_inputs(const std::vector<Series>& series, const ChartOptions& o, const char* op) {
    for (const Series& s : series)
        if (s.xs.size() != s.ys.size())
            fail(op, "series '", s.name, "' has ", s.xs.size(), " xs and ", s.ys.size(), " ys: need one y per x");
    if (!(o.width >= 100 && o.width <= 20000) || !(o.height >= 100 && o.height <= 20000))
        fail(op, "width and height must be between 100 and 20000 pixels, got ", o.width, " x ", o.height);
    if ((o.y_min && !std::isfinite(*o.y_min)) || (o.y_max && !std::isfinite(*o.y_max)))
        fail(op, "y_min and y_max must be finite");
    if (o.y_min && o.y_max && !(*o.y_min < *o.y_max)) fail(op, "y_min ", *o.y_min, " is not below y_max ", *o.y_max);
    if (o.log_y && ((o.y_min && *o.y_min <= 0) || (o.y_max && *o.y_max <= 0)))
        fail(op, "a log y axis needs positive y_min and y_max, got ", o.y_min.value_or(1), " and ", o.y_max.value_or(1));
}

// The x and y axes for every drawable point (0..1 when there is none).
std::pair<Axis, Axis> fit_axes(const std::vector<Series>& series, const ChartOptions& o) {
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (const Series& s : series)
        for (std::size_t i = 0; i < s.xs.size(); ++i) {
            if (!drawable(s.xs[i], s.ys[i], o.log_y)) continue;
            x_lo = std::min(x_lo, s.xs[i]), x_hi = std::max(x_hi, s.xs[i]);
            y_lo = std::min(y_lo, s.ys[i]), y_hi = std::max(y_hi, s.ys[i]);
        }
    if (x_lo > x_hi) x_lo = 0, x_hi = 1, y_lo = o.log_y ? 1 : 0, y_hi = o.log_y ? 10 : 1;  // no data
    y_lo = o.y_min.value_or(y_lo);
    y_hi = o.y_max.value_or(y_hi);
    // A single fixed end with all the data on its far side: the other end takes its value, and
    // widen_if_flat makes room.
    if (y_lo > y_hi) {
        if (o.y_min) y_hi = y_lo;
        else y_lo = y_hi;
    }
    const Axis x = linear_axis(x_lo, x_hi, false, false);
    const Axis y = o.log_y ? log_axis(y_lo, y_hi, o.y_min.has_value(), o.y_max.has_value())
                           : linear_axis(y_lo, y_hi, o.y_min.has_value(), o.y_max.has_value());
    return {x, y};
}

// The plot area in pixels.
struct Frame {
    double left, top, right, bottom;
    // Pixel coordinates of a data point. Points far outside (a huge loss on a fixed y range)
    // are pulled in to ten plot sizes away: the clip path hides them either way, and the SVG
    // keeps sensible numbers.
    double px(const Axis& a, double x) const { return pull_in(left + a.fraction(x) * (right - left), left, right); }
    double py(const Axis& a, double y) const { return pull_in(bottom - a.fraction(y) * (bottom - top), top, bottom); }
    static double pull_in(double v, double lo, double hi) {
        const double reach = 10 * (hi - lo);
        return std::clamp(v, lo - reach, hi + reach);
    }
};

std::string legend_name(const Series& s, bool has_points) { return has_points ? s.name : s.name + " (no data)"; }

bool has_points(const Series& s, bool log_y) {
    for (std::size_t i = 0; i < s.xs.size(); ++i)
        if (drawable(s.xs[i], s.ys[i], log_y)) return true;
    return false;
}

void draw_axes(svg::Document& doc, const Frame& f, const Axis& x, const Axis& y) {
    for (double t : y.minor) {
        const double py = f.py(y, t);
        doc.leaf("line", {{"x1", f.left}, {"y1", py}, {"x2", f.right}, {"y2", py}, {"stroke", "#f0f0f0"}});
    }
    for (std::size_t i = 0; i < y.ticks.size(); ++i) {
        const double py = f.py(y, y.ticks[i]);
        doc.leaf("line", {{"x1", f.left}, {"y1", py}, {"x2", f.right}, {"y2", py}, {"stroke", "#dddddd"}});
        doc.text("text", {{"class", "tick"}, {"x", f.left - 6}, {"y", py + 0.35 * font}, {"font-size", font},
                          {"text-anchor", "end"}}, y.labels[i]);
    }
    for (std::size_t i = 0; i < x.ticks.size(); ++i) {
        const double px = f.px(x, x.ticks[i]);
        doc.leaf("line", {{"x1", px}, {"y1", f.top}, {"x2", px}, {"y2", f.bottom}, {"stroke", "#dddddd"}});
        doc.text("text", {{"class", "tick"}, {"x", px}, {"y", f.bottom + 6 + font}, {"font-size", font},
                          {"text-anchor", "middle"}}, x.labels[i]);
    }
    doc.leaf("rect", {{"class", "frame"}, {"x", f.left}, {"y", f.top}, {"width", f.right - f.left},
                      {"height", f.bottom - f.top}, {"fill", "none"}, {"stroke", "#333333"}});
}

// One <path> per series: "M" starts a piece, "L" continues it; an undrawable point ends it.
void draw_series(svg::Document& doc, const Frame& f, const Axis& x, const Axis& y, const Series& s, std::size_t k,
                 bool log_y) {
    std::string d;
    std::vector<std::pair<double, double>> markers;
    std::size_t count = 0;
    std::vector<bool> ok(s.xs.size());
    for (std::size_t i = 0; i < s.xs.size(); ++i) {
        ok[i] = drawable(s.xs[i], s.ys[i], log_y);
        count += ok[i];
    }
    if (count == 0) return;
    for (std::size_t i = 0; i < s.xs.size(); ++i) {
        if (!ok[i]) continue;
        const double px = f.px(x, s.xs[i]), py = f.py(y, s.ys[i]);
        const bool joined = i > 0 && ok[i - 1];
        d += cat(d.empty() ? "" : " ", joined ? 'L' : 'M', svg::number(px), ' ', svg::number(py));
        // Few points get a dot each; a point with no drawable neighbour would be invisible otherwise.
        const bool isolated = !joined && !(i + 1 < s.xs.size() && ok[i + 1]);
        if (count <= max_markers || isolated) markers.emplace_back(px, py);
    }
    const char* colour = palette[k % palette_size];
    const char* dash = dashes[(k / palette_size) % std::size(dashes)];
    doc.leaf("path", {{"class", "series"}, {"d", d}, {"fill", "none"}, {"stroke", colour}, {"stroke-width", 1.8},
                      {"stroke-linejoin", "round"}, {"stroke-dasharray", *dash ? dash : "none"},
                      {"clip-path", "url(#plot-area)"}});
    for (const auto& [px, py] : markers)
        doc.leaf("circle", {{"class", "marker"}, {"cx", px}, {"cy", py}, {"r", 2.5}, {"fill", colour},
                            {"clip-path", "url(#plot-area)"}});
}

void draw_legend(svg::Document& doc, const std::vector<Series>& series, double x, double y, bool log_y) {
    for (std::size_t k = 0; k < series.size(); ++k) {
        const double row = y + 8 + 18 * k;
        const char* dash = dashes[(k / palette_size) % std::size(dashes)];
        const bool drawn = has_points(series[k], log_y);
        if (drawn)  // no line sample for a series that has no line
            doc.leaf("line", {{"x1", x}, {"y1", row}, {"x2", x + 22}, {"y2", row}, {"stroke", palette[k % palette_size]},
                          {"stroke-width", 2}, {"stroke-dasharray", *dash ? dash : "none"}});
        doc.text("text", {{"class", "legend"}, {"x", x + 28}, {"y", row + 0.35 * font}, {"font-size", font}},
                 legend_name(series[k], drawn));
    }
}

}  // namespace

std::vector<double> log_ticks(double lo, double hi) {
    if (!(lo > 0) || !(lo <= hi) || !std::isfinite(hi))
        fail("log_ticks", "need 0 < lo <= hi, finite, got lo ", lo, " and hi ", hi);
    // The slack keeps exact powers of ten (log10(1000) = 3) from being pushed a decade out.
    const double first = std::floor(std::log10(lo) + 1e-9), last = std::ceil(std::log10(hi) - 1e-9);
    const double every = std::max(1.0, std::ceil((last - first + 1) / 8));
    std::vector<double> ticks;
    // Stepping `every` decades may pass `last`: the final tick is then above hi, still covering it.
    for (double e = first;; e += every) {
        ticks.push_back(std::pow(10.0, e));
        if (e >= last) break;
    }
    if (ticks.size() == 1) ticks.push_back(std::pow(10.0, first + 1));  // lo = hi = a power of ten
    return ticks;
}

std::string line_chart_svg(const std::vector<Series>& series, const ChartOptions& o) {
    const char* op = "line_chart_svg";
    check_inputs(series, o, op);
    const auto [x, y] = fit_axes(series, o);

    double legend_w = 0;
    for (const Series& s : series)
        legend_w = std::max(legend_w, 28 + svg::text_width(legend_name(s, has_points(s, o.log_y)), font));
    double y_tick_w = 0;
    for (const std::string& l : y.labels) y_tick_w = std::max(y_tick_w, svg::text_width(l, font));
    Frame f{};
    f.left = margin + (o.y_label.empty() ? 0 : 20) + y_tick_w + 8;
    f.top = margin + (o.title.empty() ? 4 : 28);
    f.right = o.width - margin - (legend_w > 0 ? legend_w + 12 : 0);
    f.bottom = o.height - margin - (o.x_label.empty() ? 0 : 20) - font - 8;
    if (f.right - f.left < 60 || f.bottom - f.top < 60)
        fail(op, "a ", o.width, " x ", o.height, " picture leaves no room for the plot beside its labels and legend");

    svg::Document doc(o.width, o.height);
    doc.leaf("rect", {{"class", "background"}, {"width", "100%"}, {"height", "100%"}, {"fill", "#ffffff"}});
    doc.open("defs");
    doc.open("clipPath", {{"id", "plot-area"}});
    doc.leaf("rect", {{"x", f.left}, {"y", f.top}, {"width", f.right - f.left}, {"height", f.bottom - f.top}});
    doc.close();
    doc.close();
    if (!o.title.empty())
        doc.text("text", {{"class", "title"}, {"x", (f.left + f.right) / 2}, {"y", margin + title_font},
                          {"font-size", title_font}, {"font-weight", "bold"}, {"text-anchor", "middle"}}, o.title);
    if (!o.x_label.empty())
        doc.text("text", {{"class", "axis-label"}, {"x", (f.left + f.right) / 2}, {"y", o.height - margin},
                          {"font-size", axis_font}, {"text-anchor", "middle"}}, o.x_label);
    if (!o.y_label.empty()) {
        const double lx = margin + axis_font, ly = (f.top + f.bottom) / 2;
        doc.text("text", {{"class", "axis-label"}, {"x", lx}, {"y", ly}, {"font-size", axis_font},
                          {"text-anchor", "middle"},
                          {"transform", cat("rotate(-90 ", svg::number(lx), ' ', svg::number(ly), ')')}}, o.y_label);
    }
    draw_axes(doc, f, x, y);
    bool any = false;
    for (std::size_t k = 0; k < series.size(); ++k) {
        draw_series(doc, f, x, y, series[k], k, o.log_y);
        any = any || has_points(series[k], o.log_y);
    }
    if (!any)
        doc.text("text", {{"class", "note"}, {"x", (f.left + f.right) / 2}, {"y", (f.top + f.bottom) / 2},
                          {"font-size", axis_font}, {"text-anchor", "middle"}, {"fill", "#777777"}}, "no data");
    draw_legend(doc, series, f.right + 12, f.top, o.log_y);
    return doc.finish();
}

void write_line_chart_svg(const std::string& path, const std::vector<Series>& series, const ChartOptions& options) {
    write_file_atomically(path, line_chart_svg(series, options));
}

}  // namespace qkv::lesson
