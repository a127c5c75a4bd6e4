// Lesson 03's worked examples: the articles' numbers recomputed by qkv, the bugs in their code
// shown on small inputs, and the masked-attention conventions. main.cpp prints them and
// tests/lessons/03 checks the same values against hand arithmetic.
//
// Shape legend: B = batch, Tq = queries, Tk = keys, d = query/key size, dv = value size.
// Everything here is float64, so the printed digits are the maths, not float32 rounding.
#pragma once

#include <string>
#include <vector>

#include "nn/attention/scaled_dot_product.hpp"

namespace qkv::lesson03 {

// One attention, every stage kept for printing.
struct AttentionTrace {
    Tensor q, k, v;   // (Tq, d), (Tk, d), (Tk, dv)
    Tensor scores;    // (Tq, Tk): q k^T / sqrt(d)
    Tensor weights;   // (Tq, Tk): softmax of the scores over the keys
    Tensor output;    // (Tq, dv): weights @ v
};
// Runs nn::scaled_dot_product_attention on 2-d q, k, v (a batch of one). `mask` (Tq, Tk) bool,
// true = masked out, optional.
AttentionTrace trace_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask = Tensor());

// ---- 1. the articles' worked examples -------------------------------------------------------
struct ArticleExample {
    std::string title;
    std::vector<std::string> query_labels, key_labels;
    AttentionTrace computed;
    std::vector<double> printed_weights;  // what the article says its code printed
    std::vector<double> printed_output;   // empty when the article prints none
};
// 解码注意力Attention机制, 二 "举例说明": the query "喜欢" over the keys 猫, 追逐, 老鼠.
ArticleExample cat_likes_chasing_mice();
// The same article, 三 "举例解析": the query 'fruit' over the keys 'apple', 'orange' (d = 3).
// The article computes weights only; v is the 2 x 2 identity, so output = weights.
ArticleExample apple_orange_fruit();

// The 3-token walk-through of Transformer大模型实战 自注意力机制 (section 4) and of
// 注意力机制：提升深度学习模型性能 (section 4), which give symbols only: here with numbers.
struct ThreeTokens {
    Tensor x;                 // (3, 3): the embeddings x1, x2, x3 as rows
    Tensor w_q, w_k, w_v;     // (3, 3) each
    AttentionTrace trace;     // q = x W_q, k = x W_k, v = x W_v
    Tensor flat_softmax;      // (3, 3): ONE softmax over all nine scores, as the second article writes it
};
ThreeTokens three_tokens();

// ---- 2. the bugs in the articles' code ------------------------------------------------------
// 注意力机制：提升深度学习模型性能, section 5's MultiheadAttention views (B, T, E) inputs as
// (-1, len(queries), H, E/H): len() of a batch-first tensor is B, not T. Run on B = 2 sentences
// of T = 3 tokens, change only sentence 1 and measure how much sentence 0's output moves.
struct BatchLeak {
    Shape article_output_shape;  // what the article's final view(-1, len(queries), E) returns
    double article_change = 0;   // max |change| of sentence 0's output, article's reshape
    double qkv_change = 0;       // the same with (B, T, H, E/H): exactly 0
};
BatchLeak batch_leak();

// The same code adds mask * -1e9 to the scores and never says what the mask holds: right if
// 1 means "hide". With the opposite convention, 1 = real token (what a tokenizer returns, and
// what Transformer大模型实战's masked_fill(mask == 0, ...) expects), it pushes the REAL tokens
// to -1e9. One query, keys (a, b, [PAD]), the mask in that second convention.
struct MaskSign {
    Tensor scores;           // (1, 3) before masking
    Tensor article_weights;  // scores + keep * -1e9, softmax: all weight on [PAD]
    Tensor qkv_weights;      // nn::padding_mask(length 2): [PAD] gets 0
};
MaskSign mask_sign();

// A query whose keys are all padding: masked_fill(mask == 0, -1e10) as in
// Transformer大模型实战 gives every key the same score, so a uniform average over padding;
// qkv gives a zero weight row and a zero output, with finite (zero) gradients.
struct FullyMasked {
    Tensor article_weights;  // (1, 3)
    Tensor qkv_weights;      // (1, 3)
    Tensor qkv_output;       // (1, 2)
    Tensor q_grad, k_grad;   // of sum(output), through the masked row
};
FullyMasked fully_masked();

// ---- 3. masked attention with padding, and causal --------------------------------------------
// B = 2 sequences, 2 queries each, 10 keys, valid lengths 2 and 6; d = dv = 4, random (seed).
struct PaddedAttention {
    Tensor weights;          // (2, 2, 10)
    Tensor output;           // (2, 2, 4)
    double padding_change;   // max |output change| after overwriting every padded key and value
};
PaddedAttention padded_attention(std::uint64_t seed);

// Causal self-attention over T = 6 random tokens: weights (6, 6), zero above the diagonal.
Tensor causal_weights(std::uint64_t seed);

// "b0 q0 (len 2)"-style labels for the (4, 10) picture of PaddedAttention::weights.
std::vector<std::string> padded_row_labels();

}  // namespace qkv::lesson03
