#include "nn/bert/encoder.hpp"

#include "nn/attention/recording.hpp"

namespace qkv::nn {

BertLayer::BertLayer(const BertConfig& config, Generator& gen)
    : query(config.validated().hidden_size, config.hidden_size, gen),
      key(config.hidden_size, config.hidden_size, gen),
      value(config.hidden_size, config.hidden_size, gen),
      attention_output(config.hidden_size, config.hidden_size, gen),
      attention_norm(config.hidden_size, {.eps = config.layer_norm_eps}),
      intermediate(config.hidden_size, config.intermediate_size, gen),
      output(config.intermediate_size, config.hidden_size, gen),
      output_norm(config.hidden_size, {.eps = config.layer_norm_eps}),
      dropout(config.hidden_dropout_prob, gen),
      num_heads_(config.num_attention_heads),
      gelu_tanh_(config.hidden_act != "gelu"),
      attention_dropout_(config.attention_probs_dropout_prob),
      memory_efficient_(config.memory_efficient_attention) {}

Var BertLayer::forward(const Var& x, const Tensor& padding_mask) {
    const bool train = is_training();
    // Attention sub-layer. The projections stay (B, T, D); multi_head_attention cuts them into
    // H heads of D/H features, runs all B*H attentions as one batched matmul, and merges them.
    const Var q = query(x);  // (B, T, D)
    const Var k = key(x);    // (B, T, D)
    const Var v = value(x);  // (B, T, D)
    AttentionMasks masks;
    masks.key_padding = padding_mask;  // (B, T): no query may look at a [PAD] key
    const MultiHeadOutput heads =
        multi_head_attention(q, k, v, num_heads_, masks, attention_dropout_, train, &dropout.generator(), memory_efficient_);
    attention_weights = recorded(heads.weights);                                                  // (B, H, T, T)
    const Var attended = dropout(attention_output(heads.output));                                 // (B, T, D)
    const Var a = attention_norm(x + attended);                                                   // (B, T, D)

    // Feed-forward sub-layer: the same two-layer MLP on every position separately.
    const Var inner = intermediate(a);                                   // (B, T, F)
    const Var activated = gelu_tanh_ ? gelu_tanh(inner) : gelu(inner);   // (B, T, F)
    const Var ffn = dropout(output(activated));                          // (B, T, D)
    return output_norm(a + ffn);                                         // (B, T, D)
}

void BertLayer::visit(Visitor& v) {
    v.module("attention.self.query", query);
    v.module("attention.self.key", key);
    v.module("attention.self.value", value);
    v.module("attention.output.dense", attention_output);
    v.module("attention.output.LayerNorm", attention_norm);
    v.module("intermediate.dense", intermediate);
    v.module("output.dense", output);
    v.module("output.LayerNorm", output_norm);
    v.module("dropout", dropout);
}

std::string BertLayer::describe() const {
    return cat("heads=", num_heads_, ", act=", gelu_tanh_ ? "gelu_tanh" : "gelu");
}

BertEncoder::BertEncoder(const BertConfig& config, Generator& gen) {
    layer.reserve(static_cast<std::size_t>(config.num_hidden_layers));
    for (std::int64_t i = 0; i < config.num_hidden_layers; ++i) layer.emplace_back(config, gen);
}

Var BertEncoder::forward(const Var& x, const Tensor& padding_mask) {
    Var h = x;  // (B, T, D)
    for (BertLayer& l : layer) h = l.forward(h, padding_mask);
    return h;
}

std::vector<Tensor> BertEncoder::attention_weights() const {
    std::vector<Tensor> out;
    for (const BertLayer& l : layer) out.push_back(l.attention_weights);
    return out;
}

}  // namespace qkv::nn
