// Heatmaps as SVG: one matrix (an attention map: rows are queries, columns are keys), or a grid
// of them (rows = layers, columns = heads) sharing one colour scale, as small multiples.
//
//   HeatmapOptions o;
//   o.title = "layer 0, head 1";
//   o.row_labels = {"[CLS]", "我", "爱", "北", "京", "[SEP]"};   // UTF-8, any script
//   o.col_labels = o.row_labels;
//   o.vmin = 0, o.vmax = 1;        // attention weights are probabilities: fix the scale
//   write_heatmap_svg("attention.svg", weights, o);   // weights (6, 6)
//
// Colours follow viridis (van der Walt and Smith's colour map for matplotlib): dark purple for
// low values through blue and green to yellow for high ones. Its lightness rises steadily, so
// brighter always means larger, also in greyscale and for colour-blind readers; a rainbow
// scale has bright bands in the middle that look like structure where there is none.
// NaN cells are drawn grey (not a colour of the scale) and counted in a note under the picture.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tensor/core.hpp"

namespace qkv::lesson {

// ---- colour scale --------------------------------------------------------------------------------

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

// The viridis colour at t in [0, 1] (values outside are clamped), interpolated linearly between
// nine anchor colours taken from the original map at t = 0, 1/8, ..., 1. Throws on NaN.
Rgb viridis(double t);
// "#21918c"
std::string hex(Rgb c);
// The colour of NaN cells: a neutral grey that viridis never produces.
inline constexpr Rgb nan_colour{170, 170, 170};

// A linear map from data values to [0, 1].
struct ColourScale {
    double min = 0, max = 1;
    // 0 at min, 1 at max, clamped outside (so -inf maps to 0 and +inf to 1); 0.5 when min == max.
    // NaN stays NaN.
    double fraction(double v) const;
};

// The scale from vmin to vmax; a bound not given comes from the finite values (0 to 1 if there
// are none). Throws, naming `op`, if a given bound is not finite or min > max.
ColourScale fit_colour_scale(const std::vector<double>& values, std::optional<double> vmin,
                             std::optional<double> vmax, const char* op);

// ---- one heatmap ---------------------------------------------------------------------------------

struct HeatmapOptions {
    std::string title;
    std::vector<std::string> row_labels;  // one per row, or empty for the indices 0, 1, ...
    std::vector<std::string> col_labels;  // one per column, or empty for the indices
    std::string x_label;                  // names the columns ("key"), written above them
    std::string y_label;                  // names the rows ("query"), written left of them
    std::optional<double> vmin, vmax;     // colour scale ends; default: the data's min and max
    bool show_values = false;             // write each value in its cell (when cells are >= 20 px)
    double cell_size = 28;                // pixels
};

// The SVG text of a heatmap of `weights` (R, C), any dtype. Column labels wider than a cell are
// turned by -45 degrees; a colour bar with ticks sits on the right. Hovering a cell in a browser
// shows "row label -> column label: value".
std::string heatmap_svg(const Tensor& weights, const HeatmapOptions& options = {});
// The same, written atomically to `path`.
void write_heatmap_svg(const std::string& path, const Tensor& weights, const HeatmapOptions& options = {});

// ---- a grid of heatmaps --------------------------------------------------------------------------

struct GridOptions {
    std::string title;
    std::vector<std::string> row_titles;  // one per grid row, or empty for "layer 0", "layer 1", ...
    std::vector<std::string> col_titles;  // one per grid column, or empty for "head 0", "head 1", ...
    std::vector<std::string> row_labels;  // token labels of every panel's rows (drawn once, on the left), or empty
    std::vector<std::string> col_labels;  // token labels of every panel's columns (drawn once, on top), or empty
    std::optional<double> vmin, vmax;     // one scale for all panels; default: min and max over all of them
    double cell_size = 12;
};

// grid[layer][head] is one (R, C) matrix; every panel must have the same shape.
std::string heatmap_grid_svg(const std::vector<std::vector<Tensor>>& grid, const GridOptions& options = {});
void write_heatmap_grid_svg(const std::string& path, const std::vector<std::vector<Tensor>>& grid,
                            const GridOptions& options = {});

}  // namespace qkv::lesson
