// Part 1's data: 16x16 grayscale images of five shape classes, drawn from a seed (no downloads).
//
//   0 horizontal bar   1 vertical bar   2 cross (+)   3 diagonal (\ or /)   4 square ring
//
// Each image places its shape at a random position with a random size and brightness, on a
// background of Gaussian noise. The classes are told apart by how strokes are ARRANGED as much
// as by what they look like up close: a cross and a ring both have horizontal and vertical
// strokes, so a classifier that sees the patches only as a bag, without where each one sits,
// has less to go on than one that relates them.
//
// Shapes: N = images, S = image side (16).
#pragma once

#include <array>
#include <string>

#include "tensor/tensor.hpp"

namespace qkv::lesson08 {

inline constexpr std::int64_t kImageSide = 16;
inline constexpr std::int64_t kShapeClasses = 5;
const std::array<std::string, kShapeClasses>& shape_names();

struct ShapeImages {
    Tensor images;  // (N, 1, S, S) float32, pixel values about 0 (background) to 1 (stroke)
    Tensor labels;  // (N) int64 in [0, 5)
};

// `count` images, classes in turn (0, 1, 2, 3, 4, 0, ...) so every class is equally common.
// noise_std: the background's Gaussian noise.
ShapeImages make_shape_images(std::int64_t count, std::uint64_t seed, double noise_std = 0.15);

// One image as text, for the terminal: " .:-=+*#%@" by brightness.
std::string image_to_text(const Tensor& image);  // image (S, S) or (1, S, S)

}  // namespace qkv::lesson08
