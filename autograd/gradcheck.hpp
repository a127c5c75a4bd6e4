// The gradient checker: does an op's backward rule agree with its forward?
//
// For a function f of tensors, the checker draws a random weighting w of f's output and
// compares, for every element x_j of every input,
//   analytic: dL/dx_j from backward(), where L = sum(w * f(x)),
//   numeric:  (L(x + eps e_j) - L(x - eps e_j)) / (2 eps)   (central differences).
// A random w exercises the whole vector-Jacobian product at once, not one output's row.
// Everything runs in float64: in float32, rounding error swamps the finite difference.
//
//   auto result = gradcheck([](const std::vector<Var>& x) { return my_op(x[0], x[1]); },
//                           {randn({3, 4}, 0, 1, DType::Float64), randn({4}, 0, 1, DType::Float64)});
//   if (!result) std::cout << result.message;   // names the input, element, both values
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/var.hpp"

namespace qkv {

struct GradcheckOptions {
    double eps = 1e-6;   // finite-difference step
    double atol = 1e-5;  // pass when |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 1e-3;
    std::uint64_t seed = 0;  // for the output weighting w
};

struct GradcheckResult {
    bool ok = true;
    std::string message;    // empty when ok; else which input and element, both values, the error
    std::int64_t failures = 0;  // how many elements failed
    explicit operator bool() const { return ok; }
};

using GradcheckFn = std::function<Var(const std::vector<Var>&)>;

// `inputs` must be float64 and may be any strided views (transposed, sliced) without repeated
// elements: pass an un-expanded tensor and expand inside f. Each becomes a leaf Var requiring
// grad. f must be deterministic (give a dropout its own seeded Generator inside f).
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace qkv
