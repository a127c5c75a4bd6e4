// A running mean over the last `w` values, so a noisy per-step loss reads as a curve in a picture.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace qkv::lesson {

inline std::vector<double> smooth(const std::vector<double>& xs, std::size_t w) {
    std::vector<double> out;
    out.reserve(xs.size());
    double total = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
        total += xs[i];
        if (i >= w) total -= xs[i - w];
        out.push_back(total / static_cast<double>(std::min(i + 1, w)));
    }
    return out;
}

}  // namespace qkv::lesson
