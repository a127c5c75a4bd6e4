// Positional information for attention, which by itself ignores the order of its inputs.
// Both modules add a vector that depends only on the position t to x (B, T, d) at each t.
//
// Sinusoidal ("Attention Is All You Need", section 3.5): a fixed table, for pos in [0, max_len)
// and feature pairs i in [0, d/2),
//   PE(pos, 2i)   = sin(pos * w_i)
//   PE(pos, 2i+1) = cos(pos * w_i),      w_i = 1 / 10000^(2i / d)
// Each pair is a point on a circle turning at its own frequency w_i, so PE(pos + k) is
// PE(pos) rotated by the angle k w_i in every pair: a fixed linear map for each offset k,
// which attention can learn to use. With an odd d the last column is a sin with no cos partner.
//
// Learned (BERT, GPT-2): a trained table of max_len vectors.
#pragma once

#include "nn/module.hpp"

namespace qkv::nn {

// The (max_len, d_model) sinusoidal table, for the module and for plotting.
Tensor sinusoidal_table(std::int64_t max_len, std::int64_t d_model, DType dtype = DType::Float32);

class SinusoidalPositionalEncoding : public UnaryModule {
public:
    SinusoidalPositionalEncoding(std::int64_t max_len, std::int64_t d_model);

    Tensor pe;  // (max_len, d_model), a buffer: saved with the model, never trained

    // x (..., T, d_model) -> x + pe[:T]; T must be <= max_len.
    Var forward(const Var& x) override;

    void visit(Visitor& v) override { v.buffer("pe", pe); }
    std::string type_name() const override { return "SinusoidalPositionalEncoding"; }
    std::string describe() const override { return cat("max_len=", max_len_, ", d_model=", d_model_); }

private:
    std::int64_t max_len_, d_model_;
};

class LearnedPositionalEmbedding : public UnaryModule {
public:
    // weight ~ N(0, 0.02^2): the initialisation BERT and GPT-2 give their position tables
    // (initializer_range = 0.02), not nn.Embedding's N(0, 1), which would swamp token
    // embeddings initialised the same small way.
    LearnedPositionalEmbedding(std::int64_t max_len, std::int64_t d_model, Generator& gen = default_generator());

    Var weight;  // (max_len, d_model): row t is position t's vector

    // x (..., T, d_model) -> x + weight[:T]; T must be <= max_len.
    Var forward(const Var& x) override;

    void visit(Visitor& v) override { v.param("weight", weight); }
    std::string type_name() const override { return "LearnedPositionalEmbedding"; }
    std::string describe() const override { return cat("max_len=", max_len_, ", d_model=", d_model_); }

private:
    std::int64_t max_len_, d_model_;
};

}  // namespace qkv::nn
