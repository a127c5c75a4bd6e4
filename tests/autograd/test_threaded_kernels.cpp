// The row kernels and elementwise loops that share work over the thread pool give the same
// bits for 1, 2 and 3 threads: forward values and every gradient, on tensors large enough to
// be split (rows of 257, an odd length, so the vector lanes' tails are exercised too).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "autograd/autograd.hpp"

using namespace qkv;

namespace {

// The results of one run: outputs and gradients, as float32 bit patterns in order.
using Bits = std::vector<std::vector<float>>;

void append(Bits& bits, const Tensor& t) { bits.push_back(t.contiguous().to_vector<float>()); }

// Index of the first tensor whose bits differ, -1 when all agree.
int first_difference(const Bits& a, const Bits& b) {
    if (a.size() != b.size()) return 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
            return static_cast<int>(i);
    return -1;
}

// Runs every threaded kernel on fixed inputs; the gradient seeds are fixed too.
Bits run_all() {
    Generator gen(7);
    const std::int64_t rows = 300, n = 257;
    const Tensor x = randn({rows, n}, 0, 2, DType::Float32, gen);    // (rows, n)
    const Tensor g = randn({rows, n}, 0, 1, DType::Float32, gen);    // upstream gradient
    const Tensor w = randn({n}, 1, 0.2, DType::Float32, gen);        // (n)
    const Tensor b = randn({n}, 0, 0.2, DType::Float32, gen);        // (n)
    const Tensor targets = randint(0, n, {rows}, gen);               // (rows)
    Bits bits;
    {
        Var v(x, true);
        const Var y = softmax(v, -1);
        y.backward(g);
        append(bits, y.data());
        append(bits, v.grad());
    }
    {
        Var v(x, true);
        const Var y = log_softmax(v, -1);
        y.backward(g);
        append(bits, y.data());
        append(bits, v.grad());
    }
    {
        Var v(x, true);
        CrossEntropyOptions options;
        options.label_smoothing = 0.1;
        const Var loss = cross_entropy(v, targets, options);
        loss.backward();
        append(bits, loss.data());
        append(bits, v.grad());
    }
    {
        Var v(x, true), vw(w, true), vb(b, true);
        const Var y = layer_norm(v, vw, vb);
        y.backward(g);
        append(bits, y.data());
        append(bits, v.grad());
        append(bits, vw.grad());
        append(bits, vb.grad());
    }
    {
        Var v(x, true);
        const Var y = gelu(v);
        y.backward(g);
        append(bits, y.data());
        append(bits, v.grad());
    }
    append(bits, sum(x, {0}));         // bias-gradient style: over the leading dim
    append(bits, sum(x, {1}, true));   // over the trailing dim
    append(bits, exp(x) * 0.5 + tanh(x));
    return bits;
}

}  // namespace

TEST_SUITE("autograd") {

TEST_CASE("threaded row kernels and elementwise ops are bit-identical for 1, 2 and 3 threads") {
    Bits one;
    {
        const ThreadCountGuard count(1);
        one = run_all();
    }
    for (int threads : {2, 3}) {
        INFO(threads, " threads");
        const ThreadCountGuard count(threads);
        CHECK(first_difference(run_all(), one) == -1);
    }
}

}  // TEST_SUITE
