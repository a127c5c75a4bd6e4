// The head dim of a 4-d attention mask must be 1 or the number of heads, and the error says
// so at the multi-head API rather than deep inside the scaled dot-product. The causal flag is
// causal_mask(T) in both paths, and the memory-efficient path takes every mask kind unmerged.
#include <doctest/doctest.h>

#include "nn/attention/multi_head.hpp"
#include "nn/data/batch.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/reduce.hpp"

using namespace qkv;

TEST_SUITE("nn") {
TEST_CASE("multi_head_attention refuses a 4-d mask whose head dim is neither 1 nor H") {
    Generator gen(3);
    const Var x(randn({2, 3, 8}, 0.0, 1.0, DType::Float32, gen));  // (B, T, D), H = 2
    nn::AttentionMasks masks;
    masks.attn = zeros({2, 3, 3, 3}, DType::Bool);  // three heads' masks for two heads
    CHECK_THROWS_WITH_AS(nn::multi_head_attention(x, x, x, 2, masks),
                         doctest::Contains("attn mask (2, 3, 3, 3) has 3 heads, the attention 2"), Error);

    masks.attn = zeros({2, 1, 3, 3}, DType::Bool);  // one mask for every head: fine
    CHECK(nn::multi_head_attention(x, x, x, 2, masks).weights.shape() == Shape{2, 2, 3, 3});
    masks.attn = ones({2, 2, 3, 3}, DType::Bool);  // every key of every head masked: zero rows
    CHECK(sum(nn::multi_head_attention(x, x, x, 2, masks).weights.data()).item() == 0.0);
}

TEST_CASE("multi_head_attention: the causal flag is causal_mask(T), or'ed with the others, in both paths") {
    Generator gen(4);
    const Var x(randn({3, 6, 8}, 0.0, 1.0, DType::Float64, gen));  // (B, T, D), H = 2
    const Tensor padding = nn::key_padding_mask(tensor({6, 4, 2}, DType::Int64), 6);  // (B, T)
    Tensor extra = zeros({6, 6}, DType::Bool);  // query 5 may not see key 1 either
    extra.set({5, 1}, 1);
    const auto max_diff = [](const Var& a, const Var& b) { return max(abs(a.data() - b.data())).item(); };
    nn::AttentionMasks dense;  // the masks written out
    dense.key_padding = padding;
    dense.attn = where(extra, extra, nn::causal_mask(6));
    nn::AttentionMasks flag;  // the same, causality as the flag
    flag.key_padding = padding;
    flag.attn = extra;
    flag.causal = true;
    const nn::MultiHeadOutput want = nn::multi_head_attention(x, x, x, 2, dense);
    const nn::MultiHeadOutput naive = nn::multi_head_attention(x, x, x, 2, flag);
    CHECK(max_diff(naive.output, want.output) == 0.0);
    CHECK(max_diff(naive.weights, want.weights) == 0.0);
    CHECK(naive.weights.data().at({0, 1, 2, 3}) == 0.0);  // a future key
    const Var tiled = nn::multi_head_attention(x, x, x, 2, flag, 0.0, false, nullptr, true).output;
    CHECK(max_diff(tiled, want.output) < 1e-12);
    flag.attn = Tensor();  // the flag alone is not the flag with the extra mask
    CHECK(max_diff(nn::multi_head_attention(x, x, x, 2, flag, 0.0, false, nullptr, true).output, want.output) > 1e-3);

    const Var k(randn({3, 4, 8}, 0.0, 1.0, DType::Float64, gen));
    nn::AttentionMasks causal;
    causal.causal = true;
    for (bool tiled_path : {false, true})
        CHECK_THROWS_WITH_AS(nn::multi_head_attention(x, k, k, 2, causal, 0.0, false, nullptr, tiled_path),
                             doctest::Contains("causal mask needs as many queries as keys, got Tq = 6 and Tk = 4"),
                             Error);
}
}
