// Global and local attention combined by a weight, as 注意力机制在预训练中的应用 section 3.4
// describes (全局注意力和局部注意力的结合): "the outputs of a global and a local attention are
// summed with a weight, learned or fixed":
//
//   out = W_o ( lambda * MHA_global(q, k, v) + (1 - lambda) * MHA_local(q, k, v) ),
//   lambda = sigmoid(gate)
//
// Both attentions read the same projections q = x W_q, k = x W_k, v = x W_v and share the
// output projection W_o; they differ only in the mask: the global one sees every key, the local
// one only the band |i - j| <= w (nn/attention/masks.hpp). So the layer has exactly the
// parameters of one MultiHeadAttention plus the one number `gate`, and lambda tells how much
// the trained model relies on the long-range path. With learn_gate = false lambda stays fixed.
// It still pays for the full T x T global scores: it does not make attention cheaper.
//
// GlobalLocalEncoderLayer puts it in a pre-norm encoder layer (nn/transformer/encoder_layer.hpp):
//   x = x + GlobalLocal(LN(x));  x = x + FFN(LN(x))
//
// Shapes: B = batch, T = sequence, D = d_model, H = heads.
#pragma once

#include "nn/attention/multi_head.hpp"
#include "nn/layer_norm.hpp"
#include "nn/transformer/feed_forward.hpp"

namespace qkv::nn {

struct GlobalLocalOptions {
    double initial_weight = 0.5;  // lambda at the start, in (0, 1)
    bool learn_gate = true;       // false keeps lambda at initial_weight
    Activation activation = Activation::ReLU;  // the encoder layer's feed-forward
};

struct GlobalLocalOutput {
    Var output;            // (B, T, D)
    Tensor global_weights; // (B, H, T, T)
    Tensor local_weights;  // (B, H, T, T), zero outside the band
};

class GlobalLocalAttention : public Module {
public:
    GlobalLocalAttention(std::int64_t d_model, std::int64_t num_heads, Generator& gen = default_generator())
        : GlobalLocalAttention(d_model, num_heads, GlobalLocalOptions{}, gen) {}
    GlobalLocalAttention(std::int64_t d_model, std::int64_t num_heads, const GlobalLocalOptions& options,
                         Generator& gen = default_generator());

    Linear q_proj, k_proj, v_proj, out_proj;
    Var gate;  // (1): lambda = sigmoid(gate); a parameter only when learn_gate

    // x (B, T, D); local_mask (T, T) bool, true outside the band (band_mask(T, w)).
    GlobalLocalOutput forward(const Var& x, const Tensor& local_mask);
    GlobalLocalOutput operator()(const Var& x, const Tensor& local_mask) { return forward(x, local_mask); }

    double global_weight() const;  // lambda now

    void visit(Visitor& v) override;
    std::string type_name() const override { return "GlobalLocalAttention"; }
    std::string describe() const override;

private:
    std::int64_t d_model_, num_heads_;
    bool learn_gate_;
};

class GlobalLocalEncoderLayer : public Module {
public:
    GlobalLocalEncoderLayer(std::int64_t d_model, std::int64_t num_heads, std::int64_t d_ff,
                            Generator& gen = default_generator())
        : GlobalLocalEncoderLayer(d_model, num_heads, d_ff, GlobalLocalOptions{}, gen) {}
    GlobalLocalEncoderLayer(std::int64_t d_model, std::int64_t num_heads, std::int64_t d_ff,
                            const GlobalLocalOptions& options, Generator& gen = default_generator());

    GlobalLocalAttention attn;
    FeedForward feed_forward;
    LayerNorm norm1, norm2;

    // x (B, T, D) -> (B, T, D), pre-norm.
    Var forward(const Var& x, const Tensor& local_mask);
    Var operator()(const Var& x, const Tensor& local_mask) { return forward(x, local_mask); }

    // Of the last forward, (B, H, T, T), kept only while recording (nn/attention/recording.hpp).
    Tensor global_weights, local_weights;

    void visit(Visitor& v) override;
    std::string type_name() const override { return "GlobalLocalEncoderLayer"; }
};

}  // namespace qkv::nn
