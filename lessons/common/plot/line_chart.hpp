// Line charts as SVG, for loss and accuracy curves:
//
//   Series train{"train loss", steps, train_losses}, valid{"valid loss", epochs_end, valid_losses};
//   ChartOptions o;
//   o.title = "BERT pre-training";
//   o.x_label = "step";
//   o.y_label = "loss";
//   o.log_y = true;                       // losses fall over decades: a log axis shows the tail
//   write_line_chart_svg("loss.svg", {train, valid}, o);
//
// Axis ticks are "nice" numbers (1, 2 or 5 times a power of ten) and the axes are widened to
// the nearest ticks; a log axis has a labelled tick at each power of ten and small unlabelled
// ones at 2..9 times it. Points whose x or y is NaN or infinite (or, on a log axis, y <= 0)
// are skipped and leave a gap in the line. Each series gets its own colour (the Okabe-Ito
// palette, distinguishable with colour-blindness; after eight series the colours repeat with
// dashes) and a legend entry on the right; a series with no drawable point is listed there as
// "(no data)". Series with few points (30 or fewer) also get a dot per point.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace qkv::lesson {

struct Series {
    std::string name;
    std::vector<double> xs;
    std::vector<double> ys;  // ys[i] is the value at xs[i]
};

struct ChartOptions {
    std::string title;
    std::string x_label;
    std::string y_label;
    bool log_y = false;
    std::optional<double> y_min, y_max;  // the y axis range; default: from the data
    double width = 640, height = 400;    // pixels, the whole picture
};

std::string line_chart_svg(const std::vector<Series>& series, const ChartOptions& options = {});
// The same, written atomically to `path`.
void write_line_chart_svg(const std::string& path, const std::vector<Series>& series,
                          const ChartOptions& options = {});

// The labelled ticks of a log axis covering [lo, hi] (0 < lo <= hi): the powers of ten from
// the one at or below lo to the first at or above hi; every k-th power when there would be more
// than eight (then the last may lie a few decades above hi).
std::vector<double> log_ticks(double lo, double hi);

}  // namespace qkv::lesson
