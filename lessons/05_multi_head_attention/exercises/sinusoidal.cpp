#include "lessons/05_multi_head_attention/exercises/sinusoidal.hpp"

#include <cmath>
#include <vector>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Tensor sinusoidal_table(std::int64_t max_len, std::int64_t d_model, DType dtype) {
    // SOLUTION BEGIN 05.2
    if (max_len < 1 || d_model < 1)
        fail("sinusoidal_table", "max_len and d_model must be >= 1, got ", max_len, " and ", d_model);
    std::vector<double> table(static_cast<std::size_t>(max_len * d_model));  // in double, rounded once at the end
    for (std::int64_t pos = 0; pos < max_len; ++pos)
        for (std::int64_t j = 0; j < d_model; ++j) {
            const std::int64_t two_i = j - j % 2;  // the pair (2i, 2i+1) shares one frequency
            const double w = std::pow(10000.0, -static_cast<double>(two_i) / static_cast<double>(d_model));
            const double angle = static_cast<double>(pos) * w;
            table[static_cast<std::size_t>(pos * d_model + j)] = j % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    return from_vector(table, {max_len, d_model}).to(dtype);
    // SOLUTION END 05.2
}

}  // namespace qkv::exercises
