#include "nn/positional.hpp"

#include <cmath>
#include <vector>

#include "nn/init.hpp"

namespace qkv::nn {

namespace {

void check_sizes(const char* op, std::int64_t max_len, std::int64_t d_model) {
    if (max_len < 1 || d_model < 1) fail(op, "max_len and d_model must be >= 1, got ", max_len, " and ", d_model);
}

// x must be (..., T, d_model) with T <= max_len; returns T.
std::int64_t check_input(const std::string& op, const Var& x, std::int64_t max_len, std::int64_t d_model) {
    if (x.dim() < 2 || x.size(-1) != d_model)
        fail(op, "input ", shape_str(x.shape()), " must be (..., T, ", d_model, ")");
    const std::int64_t T = x.size(-2);
    if (T > max_len) fail(op, "sequence length ", T, " of input ", shape_str(x.shape()), " exceeds max_len ", max_len);
    return T;
}

}  // namespace

Tensor sinusoidal_table(std::int64_t max_len, std::int64_t d_model, DType dtype) {
    check_sizes("sinusoidal_table", max_len, d_model);
    std::vector<double> table(static_cast<std::size_t>(max_len * d_model));
    for (std::int64_t j = 0; j < d_model; ++j) {
        const std::int64_t two_i = j - j % 2;  // columns 2i and 2i+1 share frequency w_i
        const double w = std::pow(10000.0, -static_cast<double>(two_i) / static_cast<double>(d_model));
        for (std::int64_t pos = 0; pos < max_len; ++pos) {
            const double angle = static_cast<double>(pos) * w;
            table[static_cast<std::size_t>(pos * d_model + j)] = j % 2 == 0 ? std::sin(angle) : std::cos(angle);
        }
    }
    return from_vector(table, {max_len, d_model}).to(dtype);
}

SinusoidalPositionalEncoding::SinusoidalPositionalEncoding(std::int64_t max_len, std::int64_t d_model)
    : pe(sinusoidal_table(max_len, d_model)), max_len_(max_len), d_model_(d_model) {}

Var SinusoidalPositionalEncoding::forward(const Var& x) {
    const std::int64_t T = check_input("SinusoidalPositionalEncoding", x, max_len_, d_model_);
    return x + Var(pe.narrow(0, 0, T));  // (..., T, d) + (T, d): the same table for every batch row
}

LearnedPositionalEmbedding::LearnedPositionalEmbedding(std::int64_t max_len, std::int64_t d_model, Generator& gen)
    : max_len_(max_len), d_model_(d_model) {
    check_sizes("LearnedPositionalEmbedding", max_len, d_model);
    weight = parameter(zeros({max_len, d_model}));
    init::normal_(weight.data(), 0.0, 0.02, gen);
}

Var LearnedPositionalEmbedding::forward(const Var& x) {
    const std::int64_t T = check_input("LearnedPositionalEmbedding", x, max_len_, d_model_);
    return x + weight.narrow(0, 0, T);  // rows 0..T-1; only they receive gradient
}

}  // namespace qkv::nn
