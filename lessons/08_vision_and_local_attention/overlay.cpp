#include "lessons/08_vision_and_local_attention/overlay.hpp"

#include <algorithm>
#include <cmath>

#include "lessons/common/plot/svg.hpp"

namespace qkv::lesson08 {

namespace svg = lesson::svg;

namespace {

constexpr double kPixel = 6, kGap = 14, kLeft = 150, kTop = 54, kRowGap = 22;

// The image in grey: a black square, then each pixel brighter than the noise as a grey cell
// (four grey levels; the dim noise is left out, so the picture stays small).
void draw_image(svg::Document& doc, const std::vector<double>& px, std::int64_t S, double x0, double y0) {
    doc.leaf("rect", {{"x", x0}, {"y", y0}, {"width", S * kPixel}, {"height", S * kPixel}, {"fill", "#000"}});
    for (std::int64_t r = 0; r < S; ++r)
        for (std::int64_t c = 0; c < S; ++c) {
            const double v = std::clamp(px[static_cast<std::size_t>(r * S + c)], 0.0, 1.0);
            const int level = static_cast<int>(v * 4);  // 0..4
            if (level == 0) continue;
            const char* grey[] = {"#000", "#444", "#888", "#bbb", "#fff"};
            doc.leaf("rect", {{"x", x0 + c * kPixel}, {"y", y0 + r * kPixel}, {"width", kPixel}, {"height", kPixel},
                              {"fill", grey[level]}});
        }
}

}  // namespace

std::string attention_overlay_svg(const std::vector<OverlaySample>& samples, std::int64_t patch, const std::string& title) {
    if (samples.empty()) fail("attention_overlay_svg", "no samples");
    const std::int64_t S = samples[0].image.size(-1), H = samples[0].cls_attention.size(0);
    const std::int64_t g = S / patch;
    const double panel = static_cast<double>(S) * kPixel;
    const double width = std::max(kLeft + static_cast<double>(H + 1) * (panel + kGap) + 10, svg::text_width(title, 15) + 30);
    const double height = kTop + static_cast<double>(samples.size()) * (panel + kRowGap) + 10;
    svg::Document doc(width, height);
    doc.leaf("rect", {{"x", 0}, {"y", 0}, {"width", width}, {"height", height}, {"fill", "#fff"}});
    doc.text("text", {{"x", 10}, {"y", 20}, {"font-size", 15}, {"font-weight", "bold"}}, title);
    doc.text("text", {{"x", kLeft}, {"y", kTop - 8}, {"font-size", 12}}, "image");
    for (std::int64_t h = 0; h < H; ++h)
        doc.text("text", {{"x", kLeft + static_cast<double>(h + 1) * (panel + kGap)}, {"y", kTop - 8}, {"font-size", 12}},
                 "head " + std::to_string(h));
    for (std::size_t s = 0; s < samples.size(); ++s) {
        const double y0 = kTop + static_cast<double>(s) * (panel + kRowGap);
        doc.text("text", {{"x", 10}, {"y", y0 + panel / 2}, {"font-size", 12}}, samples[s].caption);
        const std::vector<double> px = samples[s].image.to_vector<double>();
        draw_image(doc, px, S, kLeft, y0);
        const std::vector<double> a = samples[s].cls_attention.to_vector<double>();  // (H, N)
        for (std::int64_t h = 0; h < H; ++h) {
            const double x0 = kLeft + static_cast<double>(h + 1) * (panel + kGap);
            draw_image(doc, px, S, x0, y0);
            double top = 0;
            for (std::int64_t n = 0; n < g * g; ++n) top = std::max(top, a[static_cast<std::size_t>(h * g * g + n)]);
            for (std::int64_t n = 0; n < g * g; ++n) {
                const double w = a[static_cast<std::size_t>(h * g * g + n)];
                const double x = x0 + static_cast<double>((n % g) * patch) * kPixel;
                const double y = y0 + static_cast<double>((n / g) * patch) * kPixel;
                doc.open("rect", {{"x", x}, {"y", y}, {"width", patch * kPixel}, {"height", patch * kPixel},
                                  {"fill", "#ff8c00"}, {"fill-opacity", top > 0 ? 0.75 * w / top : 0.0},
                                  {"stroke", "#666"}, {"stroke-width", 0.5}});
                doc.text("title", {}, "patch " + std::to_string(n) + ": weight " + svg::fixed(w, 3));
                doc.close();
            }
            doc.text("text", {{"x", x0}, {"y", y0 + panel + 13}, {"font-size", 10}},
                     "max weight " + svg::fixed(top, 2));
        }
    }
    return doc.finish();
}

}  // namespace qkv::lesson08
