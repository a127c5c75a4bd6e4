#include "lessons/05_multi_head_attention/exercises/multi_head.hpp"

#include "lessons/05_multi_head_attention/exercises/heads.hpp"
#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

nn::MultiHeadOutput multi_head_attention(const Var& q, const Var& k, const Var& v, std::int64_t num_heads,
                                         const nn::AttentionMasks& masks) {
    // SOLUTION BEGIN 05.3
    const std::int64_t B = q.size(0);
    // Line both masks up with the scores (B, H, Tq, Tk), then OR them.
    Tensor mask;
    if (masks.key_padding.defined())
        mask = masks.key_padding.reshape({B, 1, 1, masks.key_padding.size(1)});  // (B, 1, 1, Tk): B against B, not H
    if (masks.attn.defined()) {
        const Tensor attn = masks.attn.dim() == 3 ? masks.attn.unsqueeze(1)  // (B, Tq, Tk) -> (B, 1, Tq, Tk)
                                                  : masks.attn;              // (Tq, Tk) or (B, H, Tq, Tk)
        mask = mask.defined() ? where(mask, mask, attn) : attn;              // either one masks
    }
    const Var qh = split_heads(q, num_heads);  // (B, H, Tq, dh)
    const Var kh = split_heads(k, num_heads);  // (B, H, Tk, dh)
    const Var vh = split_heads(v, num_heads);  // (B, H, Tk, dh)
    const nn::AttentionOutput heads = nn::scaled_dot_product_attention(qh, kh, vh, mask);  // all B*H heads at once
    return {merge_heads(heads.output), heads.weights};  // (B, Tq, D), (B, H, Tq, Tk)
    // SOLUTION END 05.3
}

nn::MultiHeadOutput attention_forward_mine(nn::MultiHeadAttention& m, const Var& x, const nn::AttentionMasks& masks) {
    nn::MultiHeadOutput heads =
        exercises::multi_head_attention(m.q_proj(x), m.k_proj(x), m.v_proj(x), m.num_heads(), masks);
    heads.output = m.out_proj(heads.output);  // (B, T, D)
    return heads;
}

}  // namespace qkv::exercises

namespace qkv::exercises {

void probe_mine() {
    const Var x(zeros({1, 2, 4}));
    merge_heads(split_heads(x, 2));         // 05.1
    exercises::multi_head_attention(x, x, x, 2, {});  // 05.3
}

}  // namespace qkv::exercises
