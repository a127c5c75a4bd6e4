#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/grad_mode.hpp"

namespace qkv {
namespace {

// L(x) = sum(w * f(x)), computed without building a graph.
double weighted_output(const GradcheckFn& f, const std::vector<Var>& leaves, const Tensor& w) {
    NoGradGuard no_grad;
    return sum(mul(f(leaves).data(), w)).item();
}

// Storage offsets of a view's elements, in row-major order.
std::vector<std::int64_t> element_offsets(const Tensor& t) {
    std::vector<std::int64_t> offsets;
    for_each_offset<1>(t.shape(), {t.strides().data()}, {t.offset()},
                       [&](const std::int64_t* off) { offsets.push_back(off[0]); });
    return offsets;
}


}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
    std::vector<Var> leaves;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& x = inputs[i];
        if (x.dtype() != DType::Float64)
            fail("gradcheck", "input ", i, " is ", describe(x), "; the checker needs float64 (use .to(DType::Float64))");
        for (std::int64_t k = 0; k < x.dim(); ++k)
            if (x.stride(k) == 0 && x.size(k) > 1)
                fail("gradcheck", "input ", i, " ", describe(x), " repeats elements (stride 0 at dim ", k,
                     "); pass the un-expanded tensor and expand inside f");
        leaves.emplace_back(x, true);
    }

    const Var out = f(leaves);
    if (out.dtype() != DType::Float64) fail("gradcheck", "f returned ", describe(out.data()), ", expected float64");
    Generator gen(opt.seed);
    const Tensor w = randn(out.shape(), 0.0, 1.0, DType::Float64, gen);
    out.backward(w);

    GradcheckResult result;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
        const Tensor& x = inputs[i];
        const Tensor analytic = leaves[i].grad().defined() ? leaves[i].grad().contiguous() : zeros(x.shape(), DType::Float64);
        const double* a = analytic.data<double>();
        double* storage = reinterpret_cast<double*>(x.storage()->bytes());
        const std::vector<std::int64_t> offsets = element_offsets(x);
        for (std::size_t j = 0; j < offsets.size(); ++j) {
            double& xj = storage[offsets[j]];
            const double saved = xj;
            xj = saved + opt.eps;
            const double up = weighted_output(f, leaves, w);
            xj = saved - opt.eps;
            const double down = weighted_output(f, leaves, w);
            xj = saved;
            const double numeric = (up - down) / (2 * opt.eps);
            const double err = std::abs(a[j] - numeric);
            if (err <= opt.atol + opt.rtol * std::abs(numeric)) continue;  // NaN fails here too
            if (result.ok) {
                std::ostringstream msg;
                msg.precision(10);
                msg << "gradcheck: input " << i << " " << describe(x) << ", element "
                    << shape_str(unravel_index(static_cast<std::int64_t>(j), x.shape())) << ": analytic " << a[j] << " vs numeric "
                    << numeric << ", |error| " << err << " > " << opt.atol << " + " << opt.rtol << " * |numeric|";
                result.message = msg.str();
            }
            result.ok = false;
            ++result.failures;
        }
    }
    if (!result.ok) result.message += " (" + std::to_string(result.failures) + " element(s) failed)";
    return result;
}

}  // namespace qkv
