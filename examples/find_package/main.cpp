// qkv from a project of your own: a 2-layer MLP trained for a few steps, then multi-head
// self-attention over a padded batch. Built against the installed package (CMakeLists.txt).
#include <cstdio>

#include "nn/nn.hpp"

using namespace qkv;

int main() {
    manual_seed(0);

    // Learn y = x1 + x2 + x3 + x4 with Linear -> ReLU -> Linear and Adam.
    nn::Sequential mlp(nn::Linear(4, 32), nn::ReLU(), nn::Linear(32, 1));
    nn::Adam optimizer(mlp.named_parameters(), 0.01);
    const Var x(randn({64, 4}));                // (64, 4)
    const Var y = sum(x, {1}, true);            // (64, 1)
    for (int step = 1; step <= 100; ++step) {
        optimizer.zero_grad();
        const Var loss = nn::mse_loss(mlp(x), y);
        loss.backward();
        optimizer.step();
        if (step == 1 || step % 25 == 0) std::printf("step %3d  loss %.4f\n", step, loss.item());
    }

    // Two sequences of 5 and 3 tokens padded to T = 5; the mask is true at padding keys.
    nn::MultiHeadAttention attention(16, 4);  // d_model 16, 4 heads
    const Var tokens(randn({2, 5, 16}));      // (B, T, D)
    const Tensor padding = nn::key_padding_mask(tensor({5, 3}, DType::Int64), 5);  // (B, T)
    const auto [out, weights] = attention(tokens, {.key_padding = padding});      // (B, T, D), (B, H, T, T)
    std::printf("output %s, weights %s\n", describe(out.data()).c_str(), describe(weights.data()).c_str());
    std::printf("sequence 1, head 0, query 0: weight %g on key 3 (padding)\n", weights.data().at({1, 0, 0, 3}));
}
