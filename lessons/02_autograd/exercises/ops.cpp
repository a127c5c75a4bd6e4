// Lesson 02's op exercises. Each function body between the SOLUTION markers is what you write.
#include "lessons/02_autograd/exercises/ops.hpp"

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var swish(const Var& x) {
    // SOLUTION BEGIN 02.1
    const Tensor s = sigmoid(x.data());  // sigmoid is computed without overflow for large |x|
    return record("swish", mul(x.data(), s), {x}, [x = x.data(), s](const Tensor& g) -> Grads {
        // d(x s)/dx = s + x s'(x), and s'(x) = s (1 - s)
        return {g * (s + x * s * (1.0 - s))};
    });
    // SOLUTION END 02.1
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
    // SOLUTION BEGIN 02.2
    const std::int64_t lead = grad.dim() - static_cast<std::int64_t>(shape.size());  // dims broadcasting added
    bool ok = lead >= 0;
    for (std::int64_t k = std::max<std::int64_t>(lead, 0); ok && k < grad.dim(); ++k)
        ok = shape[k - lead] == grad.shape()[k] || shape[k - lead] == 1;
    if (!ok) fail("sum_to_shape", "shape ", shape_str(shape), " does not broadcast to the gradient's shape ", shape_str(grad.shape()));
    Dims dims;  // the leading dims, and the dims where the input had size 1 and the output more
    for (std::int64_t k = 0; k < grad.dim(); ++k)
        if (k < lead || (shape[k - lead] == 1 && grad.shape()[k] != 1)) dims.push_back(k);
    if (dims.empty()) return grad.reshape(shape);
    return sum(grad, dims, true).reshape(shape);  // keepdim, then drop the leading dims
    // SOLUTION END 02.2
}

}  // namespace qkv::exercises
