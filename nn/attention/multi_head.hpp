// Multi-head attention (多头注意力, Vaswani et al. 2017): h scaled dot-product attentions run
// side by side, each on its own learned projection of the inputs, their outputs concatenated
// and mixed by one more projection:
//
//   head_i = Attention(Q W_q^i, K W_k^i, V W_v^i)          W_q^i, W_k^i, W_v^i: (d_model, d_head)
//   MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_o   W_o: (h d_head, d_model)
//
// With d_head = d_model / h the h projections of one input are one (d_model, d_model) Linear
// whose output is cut into h slices: that is all "splitting into heads" is (split_heads below),
// so h heads cost about what one full-width head costs. Each head can learn its own kind of
// look (the previous token, a marked token, the subject of a verb), which one softmax cannot:
// it averages them all into one weighted mean.
//
// Shapes: B = batch, Tq = queries, Tk = keys/values, D = d_model, H = heads, dh = D / H.
// Self-attention passes the same sequence as query, key and value; cross-attention (the
// decoder looking at the encoder) passes the decoder states as query and the encoder states as
// key and value.
//
// MASKS: bool tensors where TRUE MEANS "MAY NOT ATTEND" (masked out), as everywhere in qkv
// (scaled_dot_product.hpp) and as PyTorch's bool attn_mask / key_padding_mask. Float masks are
// refused, since "1 = keep" and "1 = drop" conventions both exist and a silent mix-up trains
// on the wrong tokens.
#pragma once

#include "nn/attention/scaled_dot_product.hpp"
#include "nn/dropout.hpp"
#include "nn/linear.hpp"

namespace qkv::nn {

struct AttentionMasks {
    Tensor key_padding;  // (B, Tk) bool, true at padding keys; from nn/data/batch.hpp's key_padding_mask
    Tensor attn;         // bool, broadcasts to (B, H, Tq, Tk): (Tq, Tk) such as causal_mask(T),
                         // (B, Tq, Tk), or (B, H, Tq, Tk); true where query i may not see key j
    // Query i may not see keys j > i: causal_mask(Tq) or'ed with the others. Said as a flag
    // rather than a mask so the memory-efficient path can skip the hidden tiles and never build
    // a (Tq, Tk) tensor; the naive path builds causal_mask(Tq) from it. Needs Tq == Tk.
    bool causal = false;
};

// The two masks merged into one bool mask that broadcasts to the scores (B, H, Tq, Tk), or an
// undefined Tensor when both are absent. Checks dtypes and shapes, naming `op` in errors.
Tensor combine_masks(const AttentionMasks& masks, std::int64_t B, std::int64_t Tq, std::int64_t Tk,
                     const char* op = "multi_head_attention");

// (B, T, H*dh) -> (B, H, T, dh): head i gets features [i*dh, (i+1)*dh). A view plus a permute.
Var split_heads(const Var& x, std::int64_t num_heads);
// (B, H, T, dh) -> (B, T, H*dh): the inverse of split_heads (copies into contiguous memory).
Var merge_heads(const Var& x);

struct MultiHeadOutput {
    Var output;   // (B, Tq, D)
    Var weights;  // (B, H, Tq, Tk): every head's attention weights (before dropout), for plotting
};

// The heads on already-projected inputs: q (B, Tq, D), k (B, Tk, D), v (B, Tk, D) ->
// merged heads (B, Tq, D), before the output projection. `dropout_p` drops attention weights
// in training (as PyTorch and BERT do), drawing from `gen`.
// memory_efficient: run the heads through memory_efficient_attention (nn/attention/
// memory_efficient.hpp) instead: the same output up to rounding without storing (B, H, Tq, Tk)
// weights, so `weights` comes back undefined; its dropout draws from a seed taken from `gen`,
// so with dropout the dropped weights differ from the naive path's.
MultiHeadOutput multi_head_attention(const Var& q, const Var& k, const Var& v, std::int64_t num_heads,
                                     const AttentionMasks& masks = {}, double dropout_p = 0.0,
                                     bool training = false, Generator* gen = nullptr, bool memory_efficient = false);

struct MultiHeadAttentionOptions {
    double dropout = 0.0;  // on the attention weights, in training
    bool bias = true;      // the four projections' biases, as torch.nn.MultiheadAttention
};

class MultiHeadAttention : public Module {
public:
    // d_model must be divisible by num_heads. Projections as torch.nn.Linear.
    MultiHeadAttention(std::int64_t d_model, std::int64_t num_heads, Generator& gen = default_generator())
        : MultiHeadAttention(d_model, num_heads, MultiHeadAttentionOptions{}, gen) {}
    MultiHeadAttention(std::int64_t d_model, std::int64_t num_heads, const MultiHeadAttentionOptions& options,
                       Generator& gen = default_generator());

    // query (B, Tq, D), key (B, Tk, D), value (B, Tk, D) -> output (B, Tq, D), weights (B, H, Tq, Tk).
    MultiHeadOutput forward(const Var& query, const Var& key, const Var& value, const AttentionMasks& masks = {});
    MultiHeadOutput operator()(const Var& query, const Var& key, const Var& value, const AttentionMasks& masks = {}) {
        return forward(query, key, value, masks);
    }
    // Self-attention: x is query, key and value.
    MultiHeadOutput forward(const Var& x, const AttentionMasks& masks = {}) { return forward(x, x, x, masks); }
    MultiHeadOutput operator()(const Var& x, const AttentionMasks& masks = {}) { return forward(x, masks); }

    std::int64_t d_model() const { return d_model_; }
    std::int64_t num_heads() const { return num_heads_; }
    std::int64_t d_head() const { return d_model_ / num_heads_; }

    Linear q_proj, k_proj, v_proj, out_proj;
    bool memory_efficient = false;  // see multi_head_attention(); forward's weights are then undefined

    void visit(Visitor& v) override;
    std::string type_name() const override { return "MultiHeadAttention"; }
    std::string describe() const override;

private:
    std::int64_t d_model_, num_heads_;
    double dropout_p_;
    Generator dropout_gen_;
};

}  // namespace qkv::nn
