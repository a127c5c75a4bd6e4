#include "autograd/matmul.hpp"

#include "autograd/elementwise.hpp"
#include "autograd/engine.hpp"
#include "autograd/reduce.hpp"

namespace qkv {

// C = A B  =>  dL/dA = dL/dC B^T,  dL/dB = A^T dL/dC  (per batch; batch dims that were
// broadcast are summed by the engine).
Var matmul(const Var& a, const Var& b) {
    // 1-d operands become matrices, then the added dim is removed again (numpy's rule).
    if (a.dim() == 1 && b.dim() == 1) {
        if (a.size(0) != b.size(0))
            fail("matmul", "shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()), ": inner sizes ",
                 a.size(0), " and ", b.size(0), " differ");
        return sum(mul(a, b));
    }
    if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
    if (b.dim() == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
    return record("matmul", matmul(a.data(), b.data()), {a, b}, [x = a.data(), y = b.data()](const Tensor& g) -> Grads {
        return {matmul(g, y.transpose(-1, -2)), matmul(x.transpose(-1, -2), g)};
    });
}

Var matmul(const Var& a, const Tensor& b) { return matmul(a, Var(b)); }
Var matmul(const Tensor& a, const Var& b) { return matmul(Var(a), b); }
Var Var::matmul(const Var& other) const { return qkv::matmul(*this, other); }

}  // namespace qkv
