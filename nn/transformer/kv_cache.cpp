#include "nn/transformer/kv_cache.hpp"

#include <cmath>

namespace qkv::nn {

namespace {

// Cross-attention of the new position over the memory's cached keys and values.
Var cached_cross_attention(MultiHeadAttention& attn, const Var& x, const LayerKVCache& c, const Tensor& padding) {
    const Var q = split_heads(attn.q_proj(x), attn.num_heads());  // (R, H, 1, dh)
    const Tensor mask = padding.defined() ? padding.unsqueeze(1).unsqueeze(1) : Tensor();  // (R, 1, 1, Ts)
    const AttentionOutput a = scaled_dot_product_attention(q, Var(c.cross_k), Var(c.cross_v), mask);  // (R, H, 1, dh)
    return attn.out_proj(merge_heads(a.output));  // (R, 1, D)
}

// One decoder layer on the new position, the same sublayers in the same order as
// TransformerDecoderLayer::forward (post-norm or pre-norm; dropout is off in eval mode).
Var layer_step(TransformerDecoderLayer& layer, const Var& x, LayerKVCache& c, const Tensor& padding, std::int64_t t) {
    if (layer.norm_first()) {
        const Var y1 = x + cached_self_attention(layer.self_attn, layer.norm1(x), c.self_k, c.self_v, t);
        const Var y2 = y1 + cached_cross_attention(layer.cross_attn, layer.norm2(y1), c, padding);
        return y2 + layer.feed_forward(layer.norm3(y2));
    }
    const Var y1 = layer.norm1(x + cached_self_attention(layer.self_attn, x, c.self_k, c.self_v, t));
    const Var y2 = layer.norm2(y1 + cached_cross_attention(layer.cross_attn, y1, c, padding));
    return layer.norm3(y2 + layer.feed_forward(y2));  // (R, 1, D)
}

}  // namespace

Var cached_self_attention(MultiHeadAttention& attn, const Var& x, Tensor& keys, Tensor& values, std::int64_t t,
                          Tensor* weights) {
    const std::int64_t H = attn.num_heads();
    const Var q = split_heads(attn.q_proj(x), H);  // (R, H, 1, dh)
    const Var k = split_heads(attn.k_proj(x), H);  // (R, H, 1, dh)
    const Var v = split_heads(attn.v_proj(x), H);  // (R, H, 1, dh)
    copy_(keys.narrow(2, t, 1), k.data());         // position t's key and value, kept for later steps
    copy_(values.narrow(2, t, 1), v.data());
    const AttentionOutput a =
        scaled_dot_product_attention(q, Var(keys.narrow(2, 0, t + 1)), Var(values.narrow(2, 0, t + 1)));  // (R, H, 1, dh)
    if (weights) *weights = a.weights.data();  // (R, H, 1, t + 1)
    return attn.out_proj(merge_heads(a.output));  // (R, 1, D)
}

void KVCache::select_rows(const Tensor& rows) {
    for (LayerKVCache& c : layers) {
        c.self_k = index_select(c.self_k, 0, rows), c.self_v = index_select(c.self_v, 0, rows);
        c.cross_k = index_select(c.cross_k, 0, rows), c.cross_v = index_select(c.cross_v, 0, rows);
    }
    if (memory_key_padding.defined()) memory_key_padding = index_select(memory_key_padding, 0, rows);
}

KVCache start_kv_cache(Transformer& model, const Var& memory, const Tensor& memory_key_padding,
                       std::int64_t max_positions) {
    const TransformerConfig& cfg = model.config();
    if (memory.dim() != 3 || memory.size(2) != cfg.d_model)
        fail("start_kv_cache", "memory must be (R, Ts, D = ", cfg.d_model, "), got ", shape_str(memory.shape()));
    if (max_positions < 1 || max_positions > cfg.max_len)
        fail("start_kv_cache", "max_positions ", max_positions, " must be in [1, ", cfg.max_len, "]");
    KVCache cache;
    cache.memory_key_padding = memory_key_padding;
    const std::int64_t R = memory.size(0), H = cfg.num_heads, dh = cfg.d_model / cfg.num_heads;
    for (TransformerDecoderLayer& layer : model.decoder.layers) {
        LayerKVCache c;
        c.self_k = zeros({R, H, max_positions, dh}, memory.dtype());
        c.self_v = zeros({R, H, max_positions, dh}, memory.dtype());
        c.cross_k = split_heads(layer.cross_attn.k_proj(memory), H).data().contiguous();  // (R, H, Ts, dh)
        c.cross_v = split_heads(layer.cross_attn.v_proj(memory), H).data().contiguous();  // (R, H, Ts, dh)
        cache.layers.push_back(std::move(c));
    }
    return cache;
}

Var decode_next(Transformer& model, const Tensor& tokens, KVCache& cache) {
    const TransformerConfig& cfg = model.config();
    const std::int64_t t = cache.length;
    if (tokens.dim() != 1 || cache.layers.empty() || tokens.size(0) != cache.layers[0].self_k.size(0))
        fail("decode_next", "tokens must be (R) with R = the cache's rows, got ", shape_str(tokens.shape()));
    if (t >= cache.layers[0].self_k.size(2))
        fail("decode_next", "the cache is full: ", t, " positions (start_kv_cache's max_positions)");
    // The target embedding of one position, as Transformer::embed_target makes it for position t.
    const Var embedded = model.tgt_embed(tokens.unsqueeze(1)) * std::sqrt(static_cast<double>(cfg.d_model));  // (R, 1, D)
    Var x = embedded + Var(model.positions.pe.narrow(0, t, 1));                                         // (R, 1, D)
    for (std::size_t i = 0; i < cache.layers.size(); ++i)
        x = layer_step(model.decoder.layers[i], x, cache.layers[i], cache.memory_key_padding, t);
    if (model.decoder.norm) x = (*model.decoder.norm)(x);
    ++cache.length;
    return x.select(1, 0);  // (R, D)
}

}  // namespace qkv::nn
