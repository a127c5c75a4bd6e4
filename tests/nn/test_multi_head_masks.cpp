// The head dim of a 4-d attention mask must be 1 or the number of heads, and the error says
// so at the multi-head API rather than deep inside the scaled dot-product.
#include <doctest/doctest.h>

#include "nn/attention/multi_head.hpp"

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
}
