#include "lessons/03_dot_product_attention/examples.hpp"

#include "lessons/03_dot_product_attention/attention_choice.hpp"

#include <cmath>

namespace qkv::lesson03 {

namespace {

constexpr DType f64 = DType::Float64;

double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(sub(a, b))).item(); }

}  // namespace

AttentionTrace trace_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask) {
    // The library works on (B, T, size); a 2-d example is a batch of one.
    const Tensor batch_mask = mask.defined() ? mask.unsqueeze(0) : Tensor();
    const nn::AttentionOutput out =
        attention(Var(q.unsqueeze(0)), Var(k.unsqueeze(0)), Var(v.unsqueeze(0)), batch_mask);
    AttentionTrace t;
    t.q = q, t.k = k, t.v = v;
    // The scores the library softmaxes (before masking), recomputed for printing.
    t.scores = matmul(q, k.t()) / std::sqrt(static_cast<double>(q.size(-1)));
    t.weights = out.weights.data().select(0, 0);
    t.output = out.output.data().select(0, 0);
    return t;
}

// ---- 1. the articles' worked examples -------------------------------------------------------

ArticleExample cat_likes_chasing_mice() {
    ArticleExample ex;
    ex.title = "\"喜欢\" attends to 猫, 追逐, 老鼠 (d_k = 2)";
    ex.query_labels = {"喜欢"};
    ex.key_labels = {"猫", "追逐", "老鼠"};
    const Tensor q = tensor({{1.0, 0.8}}, f64);                           // "喜欢"
    const Tensor k = tensor({{0.9, 0.1}, {0.8, 0.2}, {0.7, 0.9}}, f64);   // 猫, 追逐, 老鼠
    const Tensor v = tensor({{1.0, 0.1}, {0.9, 0.2}, {0.8, 0.3}}, f64);
    ex.computed = trace_attention(q, k, v);
    ex.printed_weights = {0.4761, 0.2678, 0.2561};
    ex.printed_output = {0.9529, 0.1797};
    return ex;
}

ArticleExample apple_orange_fruit() {
    ArticleExample ex;
    ex.title = "'fruit' attends to 'apple', 'orange' (d_k = 3)";
    ex.query_labels = {"fruit"};
    ex.key_labels = {"apple", "orange"};
    const Tensor q = tensor({{2.0, 3.0, 1.0}}, f64);
    const Tensor k = tensor({{1.0, 2.0, 1.0}, {1.0, 1.0, 2.0}}, f64);
    ex.computed = trace_attention(q, k, eye(2, -1, f64));
    ex.printed_weights = {0.6225, 0.3775};
    return ex;
}

ThreeTokens three_tokens() {
    ThreeTokens ex;
    // Small integers, so every score can be checked by hand.
    ex.x = tensor({{1, 0, 1}, {0, 2, 0}, {1, 1, 0}}, f64);
    ex.w_q = tensor({{1, 0, 1}, {1, 0, 0}, {0, 0, 1}}, f64);
    ex.w_k = tensor({{0, 0, 1}, {1, 1, 0}, {0, 1, 0}}, f64);
    ex.w_v = tensor({{0, 2, 0}, {0, 3, 0}, {1, 0, 3}}, f64);
    ex.trace = trace_attention(matmul(ex.x, ex.w_q), matmul(ex.x, ex.w_k), matmul(ex.x, ex.w_v));
    // "softmax([a11, a12, ..., a33])": one softmax over the flattened nine scores.
    ex.flat_softmax = softmax(ex.trace.scores.reshape({9}), 0).reshape({3, 3});
    return ex;
}

// ---- 2. the bugs in the articles' code ------------------------------------------------------

namespace {

// Multi-head attention without the projections (they do not matter to the bug): split
// (B, T, E) into heads with `split_shape`, attend, merge back to (B*T, E) row order.
Tensor split_attend_merge(const Tensor& x, const Shape& split_shape) {
    const Var heads(x.reshape(split_shape).transpose(1, 2));  // (N, H, T', hd)
    const Tensor out = attention(heads, heads, heads).output.data();
    return out.transpose(1, 2).reshape({-1, x.size(2)});  // (N*T', E): token rows in memory order
}

}  // namespace

BatchLeak batch_leak() {
    const std::int64_t B = 2, T = 3, E = 4, H = 2, hd = E / H;
    Generator gen(3);
    const Tensor x = randn({B, T, E}, 0, 1, f64, gen);
    Tensor changed = x.clone();
    copy_(changed.select(0, 1), randn({T, E}, 0, 1, f64, gen));  // a different sentence 1

    BatchLeak r;
    // Article: Q.view(-1, len(queries), num_heads, head_dim) with len(queries) = B.
    const Shape article{-1, B, H, hd};
    r.article_output_shape = split_attend_merge(x, article).reshape({-1, B, E}).shape();
    const auto sentence0 = [&](const Tensor& merged) { return merged.narrow(0, 0, T); };  // rows of sentence 0
    r.article_change = max_abs_diff(sentence0(split_attend_merge(x, article)),
                                    sentence0(split_attend_merge(changed, article)));
    const Shape right{B, T, H, hd};
    r.qkv_change = max_abs_diff(sentence0(split_attend_merge(x, right)), sentence0(split_attend_merge(changed, right)));
    return r;
}

MaskSign mask_sign() {
    const Tensor q = tensor({{1.0, 1.0}}, f64);
    const Tensor k = tensor({{2.0, 0.0}, {0.0, 1.0}, {1.0, 1.0}}, f64);  // a, b, [PAD]
    const Tensor keep = tensor({{1.0, 1.0, 0.0}}, f64);                 // 1 = real token
    MaskSign r;
    r.scores = matmul(q, k.t()) / std::sqrt(2.0);
    r.article_weights = softmax(r.scores + keep * -1e9, -1);
    const Tensor lengths = from_vector<std::int64_t>({2});
    const Tensor mask = nn::padding_mask(lengths, 3).select(0, 0);  // (1, 3): [PAD] is true
    r.qkv_weights = trace_attention(q, k, k, mask).weights;
    return r;
}

FullyMasked fully_masked() {
    const Tensor q = tensor({{1.0, 0.5}}, f64);
    const Tensor k = tensor({{0.3, -1.0}, {2.0, 0.1}, {-0.5, 0.7}}, f64);
    const Tensor v = tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, f64);
    const Tensor mask = ones({1, 1, 3}, DType::Bool);  // every key masked out
    FullyMasked r;
    const Tensor scores = matmul(q, k.t()) / std::sqrt(2.0);
    r.article_weights = softmax(masked_fill(scores, mask.select(0, 0), -1e10), -1);

    const Var qv(q.unsqueeze(0), true), kv(k.unsqueeze(0), true);
    const nn::AttentionOutput out = attention(qv, kv, Var(v.unsqueeze(0)), mask);
    sum(out.output).backward();
    r.qkv_weights = out.weights.data().select(0, 0);
    r.qkv_output = out.output.data().select(0, 0);
    r.q_grad = qv.grad().select(0, 0);
    r.k_grad = kv.grad().select(0, 0);
    return r;
}

// ---- 3. masked attention with padding, and causal --------------------------------------------

PaddedAttention padded_attention(std::uint64_t seed) {
    const std::int64_t B = 2, Tq = 2, Tk = 10, d = 4;
    const std::vector<std::int64_t> lengths = {2, 6};
    Generator gen(seed);
    const Tensor q = randn({B, Tq, d}, 0, 1, f64, gen);
    const Tensor k = randn({B, Tk, d}, 0, 1, f64, gen);
    const Tensor v = randn({B, Tk, d}, 0, 1, f64, gen);
    const Tensor mask = nn::padding_mask(from_vector(lengths), Tk);  // (B, 1, Tk)

    PaddedAttention r;
    const nn::AttentionOutput out = attention(Var(q), Var(k), Var(v), mask);
    r.weights = out.weights.data();
    r.output = out.output.data();

    // Overwrite what sits in the padding with large junk: a masked key must not matter.
    const Tensor k2 = k.clone(), v2 = v.clone();
    for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t len = lengths[static_cast<std::size_t>(b)], pad = Tk - len;
        copy_(k2.select(0, b).narrow(0, len, pad), full({pad, d}, 100.0, f64));
        copy_(v2.select(0, b).narrow(0, len, pad), full({pad, d}, -100.0, f64));
    }
    const Tensor out2 = attention(Var(q), Var(k2), Var(v2), mask).output.data();
    r.padding_change = max_abs_diff(r.output, out2);
    return r;
}

Tensor causal_weights(std::uint64_t seed) {
    Generator gen(seed);
    const Var x(randn({1, 6, 4}, 0, 1, f64, gen));  // (B, T, d): self-attention, q = k = v = x
    return attention(x, x, x, nn::causal_mask(6)).weights.data().select(0, 0);
}

std::vector<std::string> padded_row_labels() {
    return {"b0 q0 (len 2)", "b0 q1 (len 2)", "b1 q0 (len 6)", "b1 q1 (len 6)"};
}

}  // namespace qkv::lesson03
