#include "lessons/08_vision_and_local_attention/long_range.hpp"

#include "nn/attention/masks.hpp"

namespace qkv::lesson08 {

const char* kind_name(AttentionKind kind) {
    switch (kind) {
        case AttentionKind::Global: return "global";
        case AttentionKind::Local: return "local";
        case AttentionKind::GlobalLocal: return "global+local";
        default: return "local+[CLS]";
    }
}

MarkedSequences make_marked_sequences(std::int64_t count, std::uint64_t seed, const LongRangeConfig& c) {
    if (count < 1) fail("make_marked_sequences", "count must be >= 1, got ", count);
    Generator gen(seed);
    const std::int64_t T = c.tokens(), K = c.symbols;
    Tensor ids = zeros({count, T}, DType::Int64);  // (N, T), [CLS] = 0 at position 0
    Tensor labels = zeros({count}, DType::Int64);
    Tensor mark_pos = zeros({count}, DType::Int64);
    std::int64_t* id = ids.data<std::int64_t>();
    for (std::int64_t n = 0; n < count; ++n) {
        for (std::int64_t t = 1; t < T; ++t) id[n * T + t] = 1 + static_cast<std::int64_t>(gen.below(K));
        const std::int64_t p = 1 + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(T - 1)));
        labels.data<std::int64_t>()[n] = id[n * T + p] - 1;
        id[n * T + p] += K;  // marked
        mark_pos.data<std::int64_t>()[n] = p;
    }
    return {ids, labels, mark_pos};
}

std::string token_label(std::int64_t id, std::int64_t symbols) {
    if (id == 0) return "[CLS]";
    const bool marked = id > symbols;
    const char c = static_cast<char>((marked ? 'A' : 'a') + (id - 1) % symbols);
    return marked ? std::string(1, c) + "*" : std::string(1, c);
}

LongRangeClassifier::LongRangeClassifier(AttentionKind kind, const LongRangeConfig& c, Generator& gen)
    : embed(1 + 2 * c.symbols, c.d_model, gen),
      pos(c.tokens(), c.d_model, gen),
      norm(c.d_model),
      head(c.d_model, c.symbols, gen),
      kind_(kind) {
    const std::int64_t T = c.tokens();
    if (kind == AttentionKind::GlobalLocal) {
        for (std::int64_t l = 0; l < c.num_layers; ++l)
            mixed_layers.emplace_back(c.d_model, c.num_heads, c.d_ff, gen);  // lambda from 0.5, learned; ReLU
    } else {
        nn::LayerConfig lc;
        lc.d_model = c.d_model, lc.num_heads = c.num_heads, lc.d_ff = c.d_ff;
        lc.dropout = 0.0, lc.norm_first = true, lc.activation = nn::Activation::ReLU;
        for (std::int64_t l = 0; l < c.num_layers; ++l) layers.emplace_back(lc, gen);
    }
    if (kind != AttentionKind::Global)
        mask_ = kind == AttentionKind::LocalGlobalTokens ? nn::attention::band_global_mask(T, c.window, {0})
                                                         : nn::attention::band_mask(T, c.window);  // (T, T)
}

Var LongRangeClassifier::forward(const Tensor& ids) {
    Var x = pos(embed(ids));  // (B, T, D)
    for (nn::TransformerEncoderLayer& layer : layers) x = layer.forward(x, {}, mask_);
    for (nn::GlobalLocalEncoderLayer& layer : mixed_layers) x = layer.forward(x, mask_);
    return head(norm(x.select(1, 0)));  // (B, K) from [CLS]
}

void LongRangeClassifier::set_mask(const Tensor& mask) {
    if (kind_ == AttentionKind::Global) fail("LongRangeClassifier::set_mask", "the global model takes no mask");
    if (mask.dtype() != DType::Bool || mask.shape() != mask_.shape())
        fail("LongRangeClassifier::set_mask", "expected a ", shape_str(mask_.shape()), " bool mask, got ",
             shape_str(mask.shape()), " ", dtype_name(mask.dtype()));
    mask_ = mask;
}

std::vector<Tensor> LongRangeClassifier::attention_weights() const {
    std::vector<Tensor> out;
    for (const nn::TransformerEncoderLayer& layer : layers) out.push_back(layer.self_attn_weights);
    for (const nn::GlobalLocalEncoderLayer& layer : mixed_layers) {
        const double lambda = layer.attn.global_weight();
        out.push_back(layer.global_weights * lambda + layer.local_weights * (1 - lambda));
    }
    return out;
}

std::vector<double> LongRangeClassifier::global_weights() const {
    std::vector<double> out;
    for (const nn::GlobalLocalEncoderLayer& layer : mixed_layers) out.push_back(layer.attn.global_weight());
    return out;
}

void LongRangeClassifier::visit(nn::Visitor& v) {
    v.module("embed", embed);
    v.module("pos", pos);
    v.modules("layers", layers);
    v.modules("mixed_layers", mixed_layers);
    v.module("norm", norm);
    v.module("head", head);
}

}  // namespace qkv::lesson08
