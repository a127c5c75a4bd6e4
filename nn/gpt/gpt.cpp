#include "nn/gpt/gpt.hpp"

#include "nn/init.hpp"

namespace qkv::nn {

namespace {

const GPTConfig& checked(const GPTConfig& c) {
    if (c.vocab_size < 1) fail("GPT", "vocab_size must be >= 1, got ", c.vocab_size);
    if (c.d_model < 1 || c.num_heads < 1 || c.d_model % c.num_heads != 0)
        fail("GPT", "d_model must be a positive multiple of num_heads, got d_model ", c.d_model, ", num_heads ",
             c.num_heads);
    if (c.num_layers < 1 || c.d_ff < 1 || c.max_len < 1)
        fail("GPT", "num_layers, d_ff and max_len must be >= 1, got ", c.num_layers, ", ", c.d_ff, ", ", c.max_len);
    if (!(c.dropout >= 0 && c.dropout < 1)) fail("GPT", "dropout must be in [0, 1), got ", c.dropout);
    if (!(c.init_std > 0)) fail("GPT", "init_std must be > 0, got ", c.init_std);
    return c;
}

}  // namespace

GPT::GPT(const GPTConfig& config, Generator& gen)
    : tokens(checked(config).vocab_size, config.d_model, gen),
      positions(config.max_len, config.d_model, gen),
      dropout(config.dropout, gen),
      final_norm(config.d_model),
      config_(config) {
    normal_(tokens.weight.data(), 0.0, config.init_std, gen);
    normal_(positions.weight.data(), 0.0, config.init_std, gen);
    layers.reserve(static_cast<std::size_t>(config.num_layers));
    for (std::int64_t i = 0; i < config.num_layers; ++i) layers.emplace_back(config.layer(), gen);
}

Var GPT::hidden(const Tensor& ids) {
    if (ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1)
        fail("GPT", "ids must be (B, T) with B, T >= 1, got ", shape_str(ids.shape()));
    const std::int64_t T = ids.size(1);
    if (T > config_.max_len) fail("GPT", "length ", T, " exceeds max_len ", config_.max_len);
    const Tensor where = arange(0, static_cast<double>(T), 1, DType::Int64).unsqueeze(0);  // (1, T)
    Var x = dropout(tokens(ids) + positions(where));  // (B, T, D)
    AttentionMasks future;
    future.causal = true;  // position t sees 0..t; said as a flag, so the tiled path skips hidden tiles
    for (TransformerEncoderLayer& layer : layers) x = layer.forward(x, future);
    return final_norm(x);  // (B, T, D)
}

Var GPT::project(const Var& hidden) { return matmul(hidden, tokens.weight.transpose(0, 1)); }  // (..., V)

Var GPT::forward(const Tensor& ids) { return project(hidden(ids)); }

std::vector<Tensor> GPT::attention_weights() const {
    std::vector<Tensor> out;
    for (const TransformerEncoderLayer& layer : layers) out.push_back(layer.self_attn_weights);
    return out;
}

void GPT::visit(Visitor& v) {
    v.module("tokens", tokens);
    v.module("positions", positions);
    v.module("dropout", dropout);
    for (std::size_t i = 0; i < layers.size(); ++i) v.module("layers." + std::to_string(i), layers[i]);
    v.module("final_norm", final_norm);
}

std::string GPT::describe() const {
    return cat("vocab=", config_.vocab_size, ", d_model=", config_.d_model, ", heads=", config_.num_heads,
               ", layers=", config_.num_layers, ", d_ff=", config_.d_ff, ", max_len=", config_.max_len,
               ", tied output projection");
}

}  // namespace qkv::nn
