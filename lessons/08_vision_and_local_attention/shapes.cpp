#include "lessons/08_vision_and_local_attention/shapes.hpp"

#include <algorithm>
#include <cmath>

namespace qkv::lesson08 {

const std::array<std::string, kShapeClasses>& shape_names() {
    static const std::array<std::string, kShapeClasses> names = {"horizontal bar", "vertical bar", "cross", "diagonal",
                                                                 "ring"};
    return names;
}

namespace {

constexpr std::int64_t S = kImageSide;

std::int64_t between(Generator& gen, std::int64_t lo, std::int64_t hi) {  // uniform in [lo, hi]
    return lo + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(hi - lo + 1)));
}

void draw(float* img, std::int64_t r, std::int64_t c, float v) {
    if (r >= 0 && r < S && c >= 0 && c < S) img[r * S + c] = std::max(img[r * S + c], v);
}

void draw_shape(float* img, std::int64_t label, Generator& gen) {
    const float v = static_cast<float>(0.7 + 0.3 * gen.uniform());
    switch (label) {
        case 0:
        case 1: {  // a bar, 6..12 long, 1..2 thick
            const std::int64_t len = between(gen, 6, 12), thick = between(gen, 1, 2);
            const std::int64_t a = between(gen, 0, S - len), b = between(gen, 0, S - thick);
            for (std::int64_t i = 0; i < len; ++i)
                for (std::int64_t t = 0; t < thick; ++t) label == 0 ? draw(img, b + t, a + i, v) : draw(img, a + i, b + t, v);
            break;
        }
        case 2: {  // a cross: arms of 2..5 around a centre
            const std::int64_t arm = between(gen, 2, 5);
            const std::int64_t r = between(gen, arm, S - 1 - arm), c = between(gen, arm, S - 1 - arm);
            for (std::int64_t i = -arm; i <= arm; ++i) draw(img, r + i, c, v), draw(img, r, c + i, v);
            break;
        }
        case 3: {  // a diagonal, 6..12 long, falling (\) or rising (/)
            const std::int64_t len = between(gen, 6, 12);
            const std::int64_t r = between(gen, 0, S - len), c = between(gen, 0, S - len);
            const bool rising = gen.below(2) == 1;
            for (std::int64_t i = 0; i < len; ++i) draw(img, r + i, rising ? c + len - 1 - i : c + i, v);
            break;
        }
        default: {  // a square ring (outline), side 5..10
            const std::int64_t side = between(gen, 5, 10);
            const std::int64_t r = between(gen, 0, S - side), c = between(gen, 0, S - side);
            for (std::int64_t i = 0; i < side; ++i) {
                draw(img, r, c + i, v), draw(img, r + side - 1, c + i, v);
                draw(img, r + i, c, v), draw(img, r + i, c + side - 1, v);
            }
        }
    }
}

}  // namespace

ShapeImages make_shape_images(std::int64_t count, std::uint64_t seed, double noise_std) {
    if (count < 1) fail("make_shape_images", "count must be >= 1, got ", count);
    Generator gen(seed);
    Tensor images = zeros({count, 1, S, S});  // (N, 1, S, S)
    Tensor labels = zeros({count}, DType::Int64);
    float* px = images.data<float>();
    std::int64_t* lb = labels.data<std::int64_t>();
    for (std::int64_t n = 0; n < count; ++n) {
        float* img = px + n * S * S;
        lb[n] = n % kShapeClasses;
        draw_shape(img, lb[n], gen);
        for (std::int64_t i = 0; i < S * S; ++i) img[i] += static_cast<float>(noise_std * gen.normal());
    }
    return {images, labels};
}

std::string image_to_text(const Tensor& image) {
    const std::vector<double> v = image.to_vector<double>();
    if (static_cast<std::int64_t>(v.size()) != S * S) fail("image_to_text", "expected a 16x16 image, got ", shape_str(image.shape()));
    const char* shades = " .:-=+*#%@";
    std::string out;
    for (std::int64_t r = 0; r < S; ++r) {
        out += "  ";
        for (std::int64_t c = 0; c < S; ++c) {
            const double t = std::clamp(v[static_cast<std::size_t>(r * S + c)], 0.0, 0.999);
            out += shades[static_cast<int>(t * 10)];
            out += shades[static_cast<int>(t * 10)];
        }
        out += "\n";
    }
    return out;
}

}  // namespace qkv::lesson08
