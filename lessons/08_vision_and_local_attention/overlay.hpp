// The picture of part 1: sample images with the [CLS] token's attention over the patches drawn
// on top, one panel per head, so you see which patches each head read to classify the image.
//
// Shapes: n = samples, S = image side, H = heads, g = patches per side (N = g^2).
#pragma once

#include <string>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::lesson08 {

struct OverlaySample {
    Tensor image;            // (S, S)
    Tensor cls_attention;    // (H, N): the [CLS] row of the last layer, over the patches only
    std::string caption;     // "ring (predicted ring)"
};

// Rows: samples; columns: the image, then each head's weights as an orange veil over the
// patches (opacity proportional to the weight, the largest of the panel fully orange at 0.75).
std::string attention_overlay_svg(const std::vector<OverlaySample>& samples, std::int64_t patch, const std::string& title);

}  // namespace qkv::lesson08
