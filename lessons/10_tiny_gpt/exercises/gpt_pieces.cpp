// Lesson 10's exercises. Each function body between the SOLUTION markers is what you write.
#include "lessons/10_tiny_gpt/exercises/gpt_pieces.hpp"

#include <algorithm>
#include <numeric>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Tensor causal_mask(std::int64_t T) {
    // SOLUTION BEGIN 10.1
    if (T < 0) fail("causal_mask", "T must be >= 0, got ", T);
    Tensor mask({T, T}, DType::Bool);  // zero-filled: every key visible so far
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t j = i + 1; j < T; ++j) m[i * T + j] = 1;  // key j lies in query i's future
    return mask;
    // SOLUTION END 10.1
}

LMExample next_token_example(const std::vector<std::int64_t>& window) {
    // SOLUTION BEGIN 10.1
    const auto n = static_cast<std::int64_t>(window.size());
    if (n < 2) fail("next_token_example", "a window needs at least 2 tokens (an input and its next token), got ", n);
    const std::vector<std::int64_t> inputs(window.begin(), window.end() - 1);  // tokens 0 .. n-2
    const std::vector<std::int64_t> targets(window.begin() + 1, window.end());  // tokens 1 .. n-1: each input's next
    return {from_vector(inputs, {1, n - 1}), from_vector(targets, {1, n - 1})};
    // SOLUTION END 10.1
}

std::vector<double> top_p_filter(const std::vector<double>& probs, double p) {
    // SOLUTION BEGIN 10.2
    std::vector<std::size_t> order(probs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    // Most likely first; stable_sort keeps equal probabilities in id order (ties to the smaller id).
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return probs[a] > probs[b]; });
    std::vector<double> kept(probs.size(), 0.0);
    double before = 0;  // the mass of the tokens ranked above this one
    for (std::size_t i : order) {
        if (before >= p) break;  // the nucleus already holds p
        kept[i] = probs[i];
        before += probs[i];
    }
    if (!(before > 0)) fail("top_p_filter", "the kept tokens have probability 0");
    for (double& x : kept) x /= before;
    return kept;
    // SOLUTION END 10.2
}

Var cached_attention_step(nn::MultiHeadAttention& attn, const Var& x, Tensor& keys, Tensor& values, std::int64_t t) {
    // SOLUTION BEGIN 10.3
    const std::int64_t H = attn.num_heads();
    const Var q = nn::split_heads(attn.q_proj(x), H);  // (R, H, 1, dh)
    const Var k = nn::split_heads(attn.k_proj(x), H);  // (R, H, 1, dh)
    const Var v = nn::split_heads(attn.v_proj(x), H);  // (R, H, 1, dh)
    copy_(keys.narrow(2, t, 1), k.data());             // position t's key and value, kept for later steps
    copy_(values.narrow(2, t, 1), v.data());
    // Positions 0..t only: later slots of the cache are empty (or stale), and no mask is needed
    // because nothing cached lies in the future of position t.
    const nn::AttentionOutput a =
        nn::scaled_dot_product_attention(q, Var(keys.narrow(2, 0, t + 1)), Var(values.narrow(2, 0, t + 1)));
    return attn.out_proj(nn::merge_heads(a.output));  // (R, 1, D)
    // SOLUTION END 10.3
}

}  // namespace qkv::exercises
