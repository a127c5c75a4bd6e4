#include "nn/attention/global_local.hpp"

#include <cmath>

#include "nn/attention/recording.hpp"

namespace qkv::nn {

GlobalLocalAttention::GlobalLocalAttention(std::int64_t d_model, std::int64_t num_heads,
                                           const GlobalLocalOptions& options, Generator& gen)
    : q_proj(d_model, d_model, gen),
      k_proj(d_model, d_model, gen),
      v_proj(d_model, d_model, gen),
      out_proj(d_model, d_model, gen),
      d_model_(d_model),
      num_heads_(num_heads),
      learn_gate_(options.learn_gate) {
    const double initial_weight = options.initial_weight;
    if (num_heads < 1 || d_model % num_heads != 0)
        fail("GlobalLocalAttention", "d_model ", d_model, " must be a positive multiple of num_heads ", num_heads);
    if (!(initial_weight > 0 && initial_weight < 1))
        fail("GlobalLocalAttention", "initial_weight must lie in (0, 1), got ", initial_weight);
    // gate = logit(lambda), so that sigmoid(gate) starts at initial_weight.
    gate = Var(full({1}, std::log(initial_weight / (1 - initial_weight))), learn_gate_);
}

GlobalLocalOutput GlobalLocalAttention::forward(const Var& x, const Tensor& local_mask) {
    if (x.dim() != 3 || x.size(2) != d_model_)
        fail("GlobalLocalAttention", "expected x (B, T, ", d_model_, "), got ", shape_str(x.shape()));
    const std::int64_t T = x.size(1);
    if (local_mask.dtype() != DType::Bool || local_mask.shape() != Shape{T, T})
        fail("GlobalLocalAttention", "local_mask must be (", T, ", ", T, ") bool, got ", shape_str(local_mask.shape()), " ",
             dtype_name(local_mask.dtype()));
    const Var q = q_proj(x), k = k_proj(x), v = v_proj(x);  // (B, T, D) each, shared by both attentions
    AttentionMasks band;
    band.attn = local_mask;
    const MultiHeadOutput global = multi_head_attention(q, k, v, num_heads_);        // (B, T, D)
    const MultiHeadOutput local = multi_head_attention(q, k, v, num_heads_, band);   // (B, T, D)
    const Var lambda = sigmoid(gate);                                                // (1)
    const Var mixed = lambda * global.output + (1.0 - lambda) * local.output;        // (B, T, D)
    return {out_proj(mixed), global.weights.data(), local.weights.data()};
}

double GlobalLocalAttention::global_weight() const { return 1.0 / (1.0 + std::exp(-gate.data().item())); }

void GlobalLocalAttention::visit(Visitor& v) {
    v.module("q_proj", q_proj);
    v.module("k_proj", k_proj);
    v.module("v_proj", v_proj);
    v.module("out_proj", out_proj);
    if (learn_gate_) v.param("gate", gate);
    else v.buffer("gate", gate.impl()->data);  // saved and converted with the model, never trained
}

std::string GlobalLocalAttention::describe() const {
    return cat("d_model=", d_model_, ", heads=", num_heads_, learn_gate_ ? ", learned" : ", fixed", " lambda=",
               global_weight());
}

GlobalLocalEncoderLayer::GlobalLocalEncoderLayer(std::int64_t d_model, std::int64_t num_heads, std::int64_t d_ff,
                                                 const GlobalLocalOptions& options, Generator& gen)
    : attn(d_model, num_heads, options, gen),
      feed_forward(d_model, d_ff, {.activation = options.activation}, gen),
      norm1(d_model),
      norm2(d_model) {}

Var GlobalLocalEncoderLayer::forward(const Var& x, const Tensor& local_mask) {
    GlobalLocalOutput a = attn.forward(norm1(x), local_mask);  // (B, T, D)
    global_weights = recording_attention() ? a.global_weights : Tensor();
    local_weights = recording_attention() ? a.local_weights : Tensor();
    const Var y = x + a.output;                    // the residual stream
    return y + feed_forward(norm2(y));             // (B, T, D)
}

void GlobalLocalEncoderLayer::visit(Visitor& v) {
    v.module("attn", attn);
    v.module("feed_forward", feed_forward);
    v.module("norm1", norm1);
    v.module("norm2", norm2);
}

}  // namespace qkv::nn
