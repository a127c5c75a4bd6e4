// The Transformer (Vaswani et al. 2017, "Attention Is All You Need"): an encoder (编码器) that
// reads the whole source at once and a decoder (解码器) that writes the target one token at a
// time, looking at the encoder's output through cross-attention.
//
//   src ids (B, Ts) -> Embedding * sqrt(D) + positions -> Dropout -> N encoder layers -> memory (B, Ts, D)
//   tgt ids (B, Tt) -> Embedding * sqrt(D) + positions -> Dropout -> N decoder layers (each
//                      attending to memory) -> generator Linear -> logits (B, Tt, V)
//
// Training feeds the whole target at once, shifted right ("teacher forcing"):
//   tgt_in  = [BOS] y1 y2 ... yn        tgt_out = y1 y2 ... yn [EOS]
// and the decoder's causal mask makes the logits at position t depend on tgt_in[0..t] only.
// Inference calls encode() once, then decode() on a growing prefix (nn/transformer/decoding.hpp).
//
// Embedding scale: the paper multiplies the embeddings by sqrt(d_model) (section 3.4). We draw
// them from N(0, 1/d_model), as fairseq does, so the scaled embeddings have unit-variance
// entries: the same scale as the sinusoidal positions (entries in [-1, 1]), and a tied
// generator (share_embeddings) starts with logits of unit variance.
// Every other matrix (attention, feed-forward, and here the generator too) gets Xavier-uniform
// initialisation, as torch.nn.Transformer gives the matrices of its stacks, with one
// difference: torch draws its fused (3D, D) in_proj_weight as one matrix, bound
// sqrt(6 / (D + 3D)) = sqrt(3 / (2D)), while we draw q_proj, k_proj and v_proj as separate
// (D, D) matrices, bound sqrt(6 / (D + D)) = sqrt(3 / D): sqrt(2) wider.
//
// Shapes: B = batch, Ts = source length, Tt = target length, D = d_model, H = heads,
// V = target vocabulary.
#pragma once

#include <optional>
#include <vector>

#include "nn/embedding.hpp"
#include "nn/positional.hpp"
#include "nn/transformer/decoder_layer.hpp"

namespace qkv::nn {

struct TransformerConfig {
    std::int64_t src_vocab_size = 1000;
    std::int64_t tgt_vocab_size = 1000;
    std::int64_t d_model = 512;
    std::int64_t num_heads = 8;
    std::int64_t num_encoder_layers = 6;
    std::int64_t num_decoder_layers = 6;
    std::int64_t d_ff = 2048;
    double dropout = 0.1;
    std::int64_t max_len = 512;      // longest source or target the positional table covers
    bool norm_first = false;         // false: post-norm, as the paper; true: pre-norm
    bool share_embeddings = false;   // one matrix for source embedding, target embedding and
                                     // generator (section 3.4); needs src_vocab_size == tgt_vocab_size
    Activation activation = Activation::ReLU;
    std::int64_t pad_id = 0;         // the embedding row kept at zero
    // Every attention through memory_efficient_attention (nn/attention/memory_efficient.hpp):
    // the same maths without the (T, T) weights, so attention_weights() is then empty. Off by
    // default: lessons plot the weights, and its attention dropout draws other numbers.
    bool memory_efficient_attention = false;

    LayerConfig layer() const {
        return {d_model, num_heads, d_ff, dropout, norm_first, activation, memory_efficient_attention};
    }
};

// N encoder layers; for pre-norm, a final LayerNorm on top (the residual stream is never
// normalised otherwise). x (B, Ts, D) -> (B, Ts, D).
class TransformerEncoder : public Module {
public:
    TransformerEncoder(const LayerConfig& layer, std::int64_t num_layers, Generator& gen = default_generator());

    std::vector<TransformerEncoderLayer> layers;
    std::optional<LayerNorm> norm;  // pre-norm only

    Var forward(const Var& x, const Tensor& key_padding = {});
    Var operator()(const Var& x, const Tensor& key_padding = {}) { return forward(x, key_padding); }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "TransformerEncoder"; }
};

// N decoder layers (+ the final LayerNorm for pre-norm). x (B, Tt, D), memory (B, Ts, D) -> (B, Tt, D).
class TransformerDecoder : public Module {
public:
    TransformerDecoder(const LayerConfig& layer, std::int64_t num_layers, Generator& gen = default_generator());

    std::vector<TransformerDecoderLayer> layers;
    std::optional<LayerNorm> norm;

    Var forward(const Var& x, const Var& memory, const AttentionMasks& self_masks, const Tensor& memory_key_padding = {});
    Var operator()(const Var& x, const Var& memory, const AttentionMasks& self_masks,
                   const Tensor& memory_key_padding = {}) {
        return forward(x, memory, self_masks, memory_key_padding);
    }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "TransformerDecoder"; }
};

// Every layer's attention weights from the last forward (or encode/decode), for plotting: kept
// only while recording (nn/attention/recording.hpp), undefined tensors otherwise.
struct TransformerAttention {
    std::vector<Tensor> encoder_self;  // per encoder layer (B, H, Ts, Ts)
    std::vector<Tensor> decoder_self;  // per decoder layer (B, H, Tt, Tt), zero above the diagonal
    std::vector<Tensor> cross;         // per decoder layer (B, H, Tt, Ts)
};

class Transformer : public Module {
public:
    explicit Transformer(const TransformerConfig& config, Generator& gen = default_generator());

    Embedding src_embed;
    Embedding tgt_embed;  // with share_embeddings its weight is src_embed.weight (the same Var)
    SinusoidalPositionalEncoding positions;
    Dropout dropout;      // on embeddings + positions
    TransformerEncoder encoder;
    TransformerDecoder decoder;
    Linear generator;     // D -> V; with share_embeddings its weight is src_embed.weight (the same Var)

    // Teacher-forced logits: src_ids (B, Ts), tgt_in_ids (B, Tt) int64 -> (B, Tt, V).
    // src_key_padding (B, Ts) / tgt_key_padding (B, Tt) bool, true at padding, or undefined
    // for none. The decoder's causal mask is added here.
    Var forward(const Tensor& src_ids, const Tensor& tgt_in_ids, const Tensor& src_key_padding = {},
                const Tensor& tgt_key_padding = {});
    Var operator()(const Tensor& src_ids, const Tensor& tgt_in_ids, const Tensor& src_key_padding = {},
                   const Tensor& tgt_key_padding = {}) {
        return forward(src_ids, tgt_in_ids, src_key_padding, tgt_key_padding);
    }

    // memory (B, Ts, D).
    Var encode(const Tensor& src_ids, const Tensor& src_key_padding = {});
    // The decoder's last hidden states (B, Tt, D) for tgt_in_ids (B, Tt), with the causal mask.
    Var decode(const Tensor& tgt_in_ids, const Var& memory, const Tensor& memory_key_padding = {},
               const Tensor& tgt_key_padding = {});
    // hidden (..., D) -> logits (..., V).
    Var project(const Var& hidden);

    // ids (B, T) -> embedding * sqrt(D) + positions, then dropout: (B, T, D), what the first
    // encoder / decoder layer reads. Throws for T = 0 or T > max_len.
    Var embed_source(const Tensor& src_ids);
    Var embed_target(const Tensor& tgt_ids);

    TransformerAttention attention_weights() const;

    const TransformerConfig& config() const { return config_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "Transformer"; }
    std::string describe() const override;

private:
    Var embed(Embedding& table, const Tensor& ids, const char* which);

    TransformerConfig config_;
};

}  // namespace qkv::nn
