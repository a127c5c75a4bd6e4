// A heatmap printed as text, for a quick look at an attention map without leaving the console:
//
//   TerminalHeatmapOptions o;
//   o.vmin = 0, o.vmax = 1;
//   std::cout << terminal_heatmap(weights, tokens, tokens, o);   // weights (6, 6)
//
//         [CLS] 我    爱    北    京    [SEP]
//   [CLS] +++++ ..... ..... ..... ..... .....
//   我          ***** :::::
//   爱          ----- ===== .....
//   北                ..... ===== -----
//   京                      ===== =====
//   [SEP] =====                         -----
//   scale " .:-=+*#%@" from 0 to 1
//
// The first line holds the column labels, then one line per row, then the scale. Each cell is as
// wide as the widest column label (2 to 6 columns, less when max_width demands it), shaded with
// one of ten characters from " " (low) to "@" (high), or, with use_colour, an ANSI 256-colour
// background from the viridis scale of heatmap.hpp. NaN cells show "?".
//
// Alignment counts terminal columns, not bytes: a Chinese character takes two columns.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/core.hpp"

namespace qkv::lesson {

struct TerminalHeatmapOptions {
    bool use_colour = false;           // ANSI 256-colour backgrounds instead of shade characters
    int max_width = 100;               // terminal columns a line of the map may take (the scale line below may be longer)
    std::optional<double> vmin, vmax;  // scale ends; default: the data's min and max
};

// `weights` (R, C), any dtype; labels one per row / column, or empty for the indices 0, 1, ...
// Labels wider than their space are cut and end in "…". Throws if the columns cannot fit in
// max_width even one terminal column each.
std::string terminal_heatmap(const Tensor& weights, const std::vector<std::string>& row_labels = {},
                             const std::vector<std::string>& col_labels = {},
                             const TerminalHeatmapOptions& options = {});

// How many terminal columns `text` (UTF-8) takes: 2 for East Asian Wide and Fullwidth characters
// (CJK ideographs, kana, Hangul, fullwidth forms, CJK punctuation, common emoji), 0 for combining
// marks, zero-width characters, variation selectors and control characters, 1 for the rest. An
// invalid UTF-8 byte counts 1 (terminals show it as one replacement character). This covers the
// common blocks of Unicode's East Asian Width table, not every code point.
std::size_t display_width(std::string_view text);

}  // namespace qkv::lesson
