#include "nn/transformer/transformer.hpp"

#include <cmath>

#include "nn/init.hpp"

namespace qkv::nn {

namespace {

const TransformerConfig& checked(const TransformerConfig& c) {
    if (c.src_vocab_size < 1 || c.tgt_vocab_size < 1)
        fail("Transformer", "vocabulary sizes must be >= 1, got src ", c.src_vocab_size, ", tgt ", c.tgt_vocab_size);
    if (c.d_model < 1 || c.num_heads < 1 || c.d_model % c.num_heads != 0)
        fail("Transformer", "d_model must be a positive multiple of num_heads, got d_model ", c.d_model, ", num_heads ",
             c.num_heads);
    if (c.num_encoder_layers < 1 || c.num_decoder_layers < 1 || c.d_ff < 1 || c.max_len < 1)
        fail("Transformer", "layers, d_ff and max_len must be >= 1, got ", c.num_encoder_layers, " encoder and ",
             c.num_decoder_layers, " decoder layers, d_ff ", c.d_ff, ", max_len ", c.max_len);
    if (c.dropout < 0 || c.dropout >= 1) fail("Transformer", "dropout must be in [0, 1), got ", c.dropout);
    if (c.pad_id < 0 || c.pad_id >= std::min(c.src_vocab_size, c.tgt_vocab_size))
        fail("Transformer", "pad_id ", c.pad_id, " is outside the vocabularies (src ", c.src_vocab_size, ", tgt ",
             c.tgt_vocab_size, ")");
    if (c.share_embeddings && c.src_vocab_size != c.tgt_vocab_size)
        fail("Transformer", "share_embeddings needs one vocabulary, got src ", c.src_vocab_size, " and tgt ",
             c.tgt_vocab_size);
    return c;
}

// torch.nn.Transformer's initialisation: Xavier-uniform for every matrix of the stacks (each
// (D, D) projection on its own; transformer.hpp says how torch's fused in_proj differs).
void xavier_matrices(Module& m, Generator& gen) {
    for (auto& [name, p] : m.named_parameters())
        if (p.dim() > 1) init::xavier_uniform_(p.data(), 1.0, gen);
}

// Entries ~ N(0, 1/D) so that embedding * sqrt(D) has unit variance; the padding row stays 0.
void scaled_normal(Embedding& e, std::int64_t d_model, Generator& gen) {
    init::normal_(e.weight.data(), 0.0, 1.0 / std::sqrt(static_cast<double>(d_model)), gen);
    if (e.padding_idx() >= 0) init::zeros_(e.weight.data().select(0, e.padding_idx()));
}

}  // namespace

// ---- the stacks ----------------------------------------------------------------------------

TransformerEncoder::TransformerEncoder(const LayerConfig& layer, std::int64_t num_layers, Generator& gen) {
    for (std::int64_t i = 0; i < num_layers; ++i) layers.emplace_back(layer, gen);
    if (layer.norm_first) norm.emplace(layer.d_model);
}

Var TransformerEncoder::forward(const Var& x, const Tensor& key_padding) {
    Var h = x;                                             // (B, Ts, D)
    for (TransformerEncoderLayer& layer : layers) h = layer.forward(h, key_padding);
    return norm ? norm->forward(h) : h;
}

void TransformerEncoder::visit(Visitor& v) {
    v.modules("layers", layers);
    if (norm) v.module("norm", *norm);
}

TransformerDecoder::TransformerDecoder(const LayerConfig& layer, std::int64_t num_layers, Generator& gen) {
    for (std::int64_t i = 0; i < num_layers; ++i) layers.emplace_back(layer, gen);
    if (layer.norm_first) norm.emplace(layer.d_model);
}

Var TransformerDecoder::forward(const Var& x, const Var& memory, const AttentionMasks& self_masks,
                                const Tensor& memory_key_padding) {
    Var h = x;                                             // (B, Tt, D)
    for (TransformerDecoderLayer& layer : layers) h = layer.forward(h, memory, self_masks, memory_key_padding);
    return norm ? norm->forward(h) : h;
}

void TransformerDecoder::visit(Visitor& v) {
    v.modules("layers", layers);
    if (norm) v.module("norm", *norm);
}

// ---- the model -----------------------------------------------------------------------------

Transformer::Transformer(const TransformerConfig& config, Generator& gen)
    : src_embed(checked(config).src_vocab_size, config.d_model, {.padding_idx = config.pad_id}, gen),
      tgt_embed(config.tgt_vocab_size, config.d_model, {.padding_idx = config.pad_id}, gen),
      positions(config.max_len, config.d_model),
      dropout(config.dropout, gen),
      encoder(config.layer(), config.num_encoder_layers, gen),
      decoder(config.layer(), config.num_decoder_layers, gen),
      generator(config.d_model, config.tgt_vocab_size, gen),
      config_(config) {
    xavier_matrices(encoder, gen);
    xavier_matrices(decoder, gen);
    scaled_normal(src_embed, config.d_model, gen);
    if (config.share_embeddings) {
        // The generator's weight (V, D) and the embedding tables (V, D) are one matrix, one
        // Var held by three modules: the logit of token v is the dot product of the hidden
        // state with v's embedding, and the gradients of all three uses add up in it.
        // named_parameters() lists it once, as src_embed.weight; Module::to() converts it in
        // place, so the tie survives.
        tgt_embed.weight = src_embed.weight;
        generator.weight = src_embed.weight;
        init::zeros_(generator.bias.data());
    } else {
        scaled_normal(tgt_embed, config.d_model, gen);
        init::xavier_uniform_(generator.weight.data(), 1.0, gen);
        init::zeros_(generator.bias.data());
    }
}

Var Transformer::embed(Embedding& table, const Tensor& ids, const char* which) {
    if (ids.dim() != 2) fail("Transformer", which, " ids must be (B, T), got ", shape_str(ids.shape()));
    if (ids.size(0) < 1 || ids.size(1) < 1)
        fail("Transformer", which, " ids must be (B, T) with B >= 1 and T >= 1 (an empty ", which,
             " has nothing to attend to), got ", shape_str(ids.shape()));
    if (ids.size(1) > config_.max_len)
        fail("Transformer", which, " length ", ids.size(1), " exceeds max_len ", config_.max_len);
    const double scale = std::sqrt(static_cast<double>(config_.d_model));
    return dropout(positions(table(ids) * scale));                          // (B, T, D)
}

Var Transformer::embed_source(const Tensor& src_ids) { return embed(src_embed, src_ids, "source"); }

Var Transformer::embed_target(const Tensor& tgt_ids) { return embed(tgt_embed, tgt_ids, "target"); }

Var Transformer::encode(const Tensor& src_ids, const Tensor& src_key_padding) {
    return encoder.forward(embed_source(src_ids), src_key_padding);  // (B, Ts, D)
}

Var Transformer::decode(const Tensor& tgt_in_ids, const Var& memory, const Tensor& memory_key_padding,
                        const Tensor& tgt_key_padding) {
    const Var x = embed_target(tgt_in_ids);                                 // (B, Tt, D)
    if (memory.dim() != 3 || memory.size(0) != x.size(0) || memory.size(2) != config_.d_model)
        fail("Transformer::decode", "memory must be (B, Ts, D) = (", x.size(0), ", Ts, ", config_.d_model, "), got ",
             shape_str(memory.shape()));
    AttentionMasks self_masks;
    self_masks.key_padding = tgt_key_padding;
    self_masks.causal = true;                                               // position i sees 0 .. i
    return decoder.forward(x, memory, self_masks, memory_key_padding);      // (B, Tt, D)
}

Var Transformer::project(const Var& hidden) { return generator(hidden); }  // (..., V)

Var Transformer::forward(const Tensor& src_ids, const Tensor& tgt_in_ids, const Tensor& src_key_padding,
                         const Tensor& tgt_key_padding) {
    if (src_ids.dim() != 2 || tgt_in_ids.dim() != 2 || src_ids.size(0) != tgt_in_ids.size(0))
        fail("Transformer", "src_ids (B, Ts) and tgt_in_ids (B, Tt) must share B, got ", shape_str(src_ids.shape()),
             " and ", shape_str(tgt_in_ids.shape()));
    const Var memory = encode(src_ids, src_key_padding);                    // (B, Ts, D)
    return project(decode(tgt_in_ids, memory, src_key_padding, tgt_key_padding));  // (B, Tt, V)
}

TransformerAttention Transformer::attention_weights() const {
    TransformerAttention a;
    for (const TransformerEncoderLayer& l : encoder.layers) a.encoder_self.push_back(l.self_attn_weights);
    for (const TransformerDecoderLayer& l : decoder.layers) {
        a.decoder_self.push_back(l.self_attn_weights);
        a.cross.push_back(l.cross_attn_weights);
    }
    return a;
}

void Transformer::visit(Visitor& v) {
    v.module("src_embed", src_embed);
    v.module("tgt_embed", tgt_embed);
    v.module("positions", positions);
    v.module("dropout", dropout);
    v.module("encoder", encoder);
    v.module("decoder", decoder);
    v.module("generator", generator);
}

std::string Transformer::describe() const {
    const TransformerConfig& c = config_;
    return cat("d_model=", c.d_model, ", heads=", c.num_heads, ", layers=", c.num_encoder_layers, "+",
               c.num_decoder_layers, ", d_ff=", c.d_ff, ", ", c.norm_first ? "pre-norm" : "post-norm",
               c.share_embeddings ? ", shared embeddings" : "");
}

}  // namespace qkv::nn
