#include "nn/attention/multi_head.hpp"

#include "nn/attention/memory_efficient.hpp"

namespace qkv::nn {

namespace {

// A mask must be bool: true = may not attend. A float 0/1 mask is refused rather than guessed.
void check_bool_mask(const char* op, const char* name, const Tensor& mask) {
    if (mask.dtype() != DType::Bool)
        fail(op, name, " mask must be bool (true = may not attend), got ", describe(mask));
}

// attn mask (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk), each size equal to the scores' or 1
// (broadcast), lifted to 4 dims so it lines up with the scores (B, H, Tq, Tk).
Tensor attn_mask_4d(const char* op, const Tensor& attn, std::int64_t B, std::int64_t Tq, std::int64_t Tk) {
    check_bool_mask(op, "attn", attn);
    const auto fits = [](std::int64_t size, std::int64_t want) { return size == want || size == 1; };
    const bool ok = attn.dim() >= 2 && attn.dim() <= 4 && fits(attn.size(-2), Tq) && fits(attn.size(-1), Tk) &&
                    (attn.dim() < 3 || fits(attn.size(0), B));
    if (!ok)
        fail(op, "attn mask ", shape_str(attn.shape()), " must be (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk) with B = ", B,
             ", Tq = ", Tq, ", Tk = ", Tk);
    if (attn.dim() == 2) return attn;                 // (Tq, Tk) broadcasts over B and H as it is
    if (attn.dim() == 3) return attn.unsqueeze(1);    // (B, 1, Tq, Tk): the same mask for every head
    return attn;                                      // (B, H, Tq, Tk)
}

// The key padding mask, if given, must be bool (B, Tk).
void check_key_padding(const char* op, const Tensor& key_padding, std::int64_t B, std::int64_t Tk) {
    if (!key_padding.defined()) return;
    check_bool_mask(op, "key_padding", key_padding);
    if (key_padding.dim() != 2 || key_padding.size(0) != B || key_padding.size(1) != Tk)
        fail(op, "key_padding mask ", shape_str(key_padding.shape()), " must be (B, Tk) = (", B, ", ", Tk, ")");
}

void check_causal(const char* op, const AttentionMasks& masks, std::int64_t Tq, std::int64_t Tk) {
    if (masks.causal && Tq != Tk)
        fail(op, "a causal mask needs as many queries as keys, got Tq = ", Tq, " and Tk = ", Tk);
}

}  // namespace

Tensor combine_masks(const AttentionMasks& masks, std::int64_t B, std::int64_t Tq, std::int64_t Tk, const char* op) {
    check_key_padding(op, masks.key_padding, B, Tk);
    check_causal(op, masks, Tq, Tk);
    // (B, 1, 1, Tk): the same padding for every head and every query.
    const Tensor key_padding = masks.key_padding.defined() ? masks.key_padding.reshape({B, 1, 1, Tk}) : Tensor();
    Tensor attn;
    if (masks.attn.defined()) attn = attn_mask_4d(op, masks.attn, B, Tq, Tk);
    if (masks.causal) attn = attn.defined() ? where(attn, attn, causal_mask(Tq)) : causal_mask(Tq);  // (.., Tq, Tk)
    if (!key_padding.defined()) return attn;
    if (!attn.defined()) return key_padding;
    // Masked if either mask says so: where(kp, true, attn) is the logical or, broadcast.
    return where(key_padding, key_padding, attn);  // (B, 1 or H, Tq or 1, Tk)
}

Var split_heads(const Var& x, std::int64_t num_heads) {
    if (x.dim() != 3) fail("split_heads", "x ", shape_str(x.shape()), " must be (B, T, D)");
    if (num_heads < 1 || x.size(2) % num_heads != 0)
        fail("split_heads", "x ", shape_str(x.shape()), ": D = ", x.size(2), " is not divisible by num_heads = ",
             num_heads);
    const std::int64_t B = x.size(0), T = x.size(1), dh = x.size(2) / num_heads;
    // The feature axis D is cut into H consecutive slices of dh (head i owns [i*dh, (i+1)*dh)),
    // then H moves in front of T so each head is a (T, dh) matrix for batched matmul. Reshaping
    // (B, T, D) straight to (B, H, T, dh) without the permute would instead mix positions of
    // different tokens into one head.
    return x.reshape({B, T, num_heads, dh})  // (B, T, H, dh)
        .permute({0, 2, 1, 3});              // (B, H, T, dh), a view
}

Var merge_heads(const Var& x) {
    if (x.dim() != 4) fail("merge_heads", "x ", shape_str(x.shape()), " must be (B, H, T, dh)");
    const std::int64_t B = x.size(0), H = x.size(1), T = x.size(2), dh = x.size(3);
    return x.permute({0, 2, 1, 3})   // (B, T, H, dh)
        .reshape({B, T, H * dh});    // (B, T, D): head outputs side by side (a copy: the permute is not contiguous)
}

MultiHeadOutput multi_head_attention(const Var& q, const Var& k, const Var& v, std::int64_t num_heads,
                                     const AttentionMasks& masks, double dropout_p, bool training, Generator* gen,
                                     bool memory_efficient) {
    const char* op = "multi_head_attention";
    if (q.dim() != 3 || k.dim() != 3 || v.dim() != 3 || q.size(0) != k.size(0) || k.size(0) != v.size(0) ||
        k.size(1) != v.size(1) || q.size(2) != k.size(2) || k.size(2) != v.size(2))
        fail(op, "q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()),
             " must be (B, Tq, D), (B, Tk, D) and (B, Tk, D)");
    if (training && dropout_p > 0.0 && gen == nullptr) fail(op, "attention dropout needs a Generator");
    const std::int64_t B = q.size(0), Tq = q.size(1), Tk = k.size(1);
    if (masks.attn.defined()) check_bool_mask(op, "attn", masks.attn);  // before its heads: "must be bool" first
    if (masks.attn.defined() && masks.attn.dim() == 4 && masks.attn.size(1) != 1 && masks.attn.size(1) != num_heads)
        fail(op, "attn mask ", shape_str(masks.attn.shape()), " has ", masks.attn.size(1), " heads, the attention ",
             num_heads);

    const Var qh = split_heads(q, num_heads);  // (B, H, Tq, dh)
    const Var kh = split_heads(k, num_heads);  // (B, H, Tk, dh)
    const Var vh = split_heads(v, num_heads);  // (B, H, Tk, dh)
    if (memory_efficient) {
        // The same attention, tiled: no (B, H, Tq, Tk) matrix is kept, and none is built for the
        // masks either. Key padding and causality go to the op as they are (it skips the tiles
        // causality hides); only a general attn mask is passed as a tensor, at the size given.
        check_causal(op, masks, Tq, Tk);
        check_key_padding(op, masks.key_padding, B, Tk);
        MemoryEfficientOptions o;
        o.key_padding = masks.key_padding;  // (B, Tk)
        o.causal = masks.causal;
        if (training && dropout_p > 0.0) o.dropout_p = dropout_p, o.dropout_seed = gen->next_u64();
        const Tensor attn = masks.attn.defined() ? attn_mask_4d(op, masks.attn, B, Tq, Tk) : Tensor();
        return {merge_heads(memory_efficient_attention(qh, kh, vh, attn, o)), Var()};  // (B, Tq, D)
    }
    const Tensor mask = combine_masks(masks, B, Tq, Tk, op);  // broadcasts to (B, H, Tq, Tk)
    // All B*H heads in one batched call: each head scales by sqrt(dh), its own key size.
    const AttentionOutput heads = training && dropout_p > 0.0
                                      ? scaled_dot_product_attention(qh, kh, vh, mask, dropout_p, *gen)
                                      : scaled_dot_product_attention(qh, kh, vh, mask);
    return {merge_heads(heads.output),  // (B, H, Tq, dh) -> (B, Tq, D)
            heads.weights};             // (B, H, Tq, Tk)
}

namespace {

std::int64_t checked_d_model(std::int64_t d_model, std::int64_t num_heads) {
    if (d_model < 1 || num_heads < 1 || d_model % num_heads != 0)
        fail("MultiHeadAttention", "d_model = ", d_model, " must be a positive multiple of num_heads = ", num_heads);
    return d_model;
}

}  // namespace

MultiHeadAttention::MultiHeadAttention(std::int64_t d_model, std::int64_t num_heads,
                                       const MultiHeadAttentionOptions& options, Generator& gen)
    : q_proj(checked_d_model(d_model, num_heads), d_model, {.bias = options.bias}, gen),
      k_proj(d_model, d_model, {.bias = options.bias}, gen),
      v_proj(d_model, d_model, {.bias = options.bias}, gen),
      out_proj(d_model, d_model, {.bias = options.bias}, gen),
      d_model_(d_model),
      num_heads_(num_heads),
      dropout_p_(options.dropout),
      dropout_gen_(gen.next_u64()) {
    if (!(dropout_p_ >= 0.0 && dropout_p_ < 1.0))
        fail("MultiHeadAttention", "dropout must lie in [0, 1), got ", dropout_p_);
}

MultiHeadOutput MultiHeadAttention::forward(const Var& query, const Var& key, const Var& value,
                                            const AttentionMasks& masks) {
    const auto check = [&](const char* name, const Var& x) {
        if (x.dim() != 3 || x.size(2) != d_model_)
            fail("MultiHeadAttention", name, " ", shape_str(x.shape()), " must be (B, T, d_model = ", d_model_, ")");
    };
    check("query", query), check("key", key), check("value", value);
    const Var q = q_proj(query);  // (B, Tq, D): all H heads' queries at once
    const Var k = k_proj(key);    // (B, Tk, D)
    const Var v = v_proj(value);  // (B, Tk, D)
    MultiHeadOutput heads =
        multi_head_attention(q, k, v, num_heads_, masks, dropout_p_, is_training(), &dropout_gen_, memory_efficient);
    heads.output = out_proj(heads.output);  // (B, Tq, D): W_o mixes what the heads found
    return heads;
}

void MultiHeadAttention::visit(Visitor& v) {
    v.module("q_proj", q_proj);
    v.module("k_proj", k_proj);
    v.module("v_proj", v_proj);
    v.module("out_proj", out_proj);
    v.generator("dropout_generator", dropout_gen_);
}

std::string MultiHeadAttention::describe() const {
    return cat("d_model=", d_model_, ", heads=", num_heads_, ", dropout=", dropout_p_);
}

}  // namespace qkv::nn
