// Where a function has a kink, the gradient is a convention; qkv follows PyTorch's.
#include <doctest/doctest.h>

#include "autograd/autograd.hpp"

using namespace qkv;

TEST_SUITE("autograd") {
TEST_CASE("maximum and minimum split the gradient in half between tied inputs") {
    // a = (1, 2, 3), b = (3, 2, 1): a wins at index 2 for maximum, they tie at index 1.
    for (bool is_max : {true, false}) {
        Var a(tensor({1, 2, 3}), true), b(tensor({3, 2, 1}), true);
        Var y = is_max ? maximum(a, b) : minimum(a, b);
        sum(y).backward();
        const std::vector<float> ga = a.grad().to_vector<float>(), gb = b.grad().to_vector<float>();
        const std::vector<float> a_expect = is_max ? std::vector<float>{0, 0.5f, 1} : std::vector<float>{1, 0.5f, 0};
        const std::vector<float> b_expect = is_max ? std::vector<float>{1, 0.5f, 0} : std::vector<float>{0, 0.5f, 1};
        CHECK(ga == a_expect);
        CHECK(gb == b_expect);
    }
}
}
