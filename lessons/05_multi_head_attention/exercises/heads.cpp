#include "lessons/05_multi_head_attention/exercises/heads.hpp"

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var split_heads(const Var& x, std::int64_t num_heads) {
    // SOLUTION BEGIN 05.1
    if (x.dim() != 3) fail("split_heads", "x ", shape_str(x.shape()), " must be (B, T, D)");
    if (num_heads < 1 || x.size(2) % num_heads != 0)
        fail("split_heads", "x ", shape_str(x.shape()), ": D = ", x.size(2), " is not divisible by num_heads = ",
             num_heads);
    const std::int64_t B = x.size(0), T = x.size(1), dh = x.size(2) / num_heads;
    // Cut D into H slices of dh, THEN move H in front of T. Reshaping straight to (B, H, T, dh)
    // has the right shape but fills each head's rows with features of several tokens.
    return x.reshape({B, T, num_heads, dh})  // (B, T, H, dh)
        .permute({0, 2, 1, 3});              // (B, H, T, dh)
    // SOLUTION END 05.1
}

Var merge_heads(const Var& x) {
    // SOLUTION BEGIN 05.1
    if (x.dim() != 4) fail("merge_heads", "x ", shape_str(x.shape()), " must be (B, H, T, dh)");
    const std::int64_t B = x.size(0), H = x.size(1), T = x.size(2), dh = x.size(3);
    return x.permute({0, 2, 1, 3})  // (B, T, H, dh)
        .reshape({B, T, H * dh});   // (B, T, D): the heads side by side (Concat)
    // SOLUTION END 05.1
}

}  // namespace qkv::exercises
