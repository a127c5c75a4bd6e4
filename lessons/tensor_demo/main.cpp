// A first look at qkv's tensors: views that share memory, broadcasting, a batched matmul in the
// shape attention uses, and softmax. Lesson 01 will take this further.
#include <cmath>
#include <iostream>

#include "tensor/tensor.hpp"

using namespace qkv;

int main() {
    Tensor x = arange(0.0, 6.0).reshape({2, 3});  // (2, 3)
    std::cout << "x = arange(6).reshape(2, 3)\n" << x << "\n\n";

    Tensor xt = x.t();  // (3, 2): a view, no copy
    std::cout << "x.t() shares x's storage: " << std::boolalpha << xt.shares_storage_with(x)
              << ", strides " << shape_str(xt.strides()) << " (x's are " << shape_str(x.strides()) << ")\n\n";

    Tensor row = tensor({10, 20, 30});  // (3,) broadcasts against (2, 3)
    std::cout << "x + [10, 20, 30] (broadcast)\n" << x + row << "\n\n";

    manual_seed(0);
    Tensor q = randn({2, 4, 5, 8});                   // (B, H, T, d)
    Tensor k = randn({2, 4, 5, 8});                   // (B, H, T, d)
    Tensor scores = matmul(q, k.transpose(-2, -1));  // (B, H, T, d) @ (B, H, d, T) -> (B, H, T, T)
    std::cout << "scores = q @ k^T: shape " << shape_str(scores.shape()) << "\n";

    Tensor weights = softmax(scores / std::sqrt(8.0), -1);  // (B, H, T, T), rows sum to 1
    std::cout << "softmax(scores / sqrt(8))[0, 0]\n" << weights.select(0, 0).select(0, 0) << "\n";
    std::cout << "row sums " << sum(weights.select(0, 0).select(0, 0), {-1}) << "\n";
    return 0;
}
