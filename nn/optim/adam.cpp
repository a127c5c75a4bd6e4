#include "nn/optim/adam.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/thread_pool.hpp"

namespace qkv::nn {

Adam::Adam(const ParamList& params, double lr, std::pair<double, double> betas, double eps, double weight_decay)
    : Adam("Adam", params, lr, betas, eps, weight_decay, false) {}

AdamW::AdamW(const ParamList& params, double lr, std::pair<double, double> betas, double eps, double weight_decay)
    : Adam("AdamW", params, lr, betas, eps, weight_decay, true) {}

Adam::Adam(std::string name, const ParamList& params, double lr, std::pair<double, double> betas, double eps,
           double weight_decay, bool decoupled)
    : Optimizer(std::move(name), params, lr),
      beta1_(betas.first),
      beta2_(betas.second),
      eps_(eps),
      weight_decay_(weight_decay),
      decoupled_(decoupled) {
    const double inf = std::numeric_limits<double>::infinity();
    check_range("beta1", beta1_, 0.0, 1.0, true);
    check_range("beta2", beta2_, 0.0, 1.0, true);
    check_range("eps", eps, 0.0, inf);
    check_range("weight_decay", weight_decay, 0.0, inf);
}

std::vector<Optimizer::StateKind> Adam::state_kinds() const {
    return {{"step", true}, {"exp_avg"}, {"exp_avg_sq"}};
}

namespace {

// How weight decay enters an update (none, Adam's L2 term, AdamW's decoupled shrink). A template
// argument rather than a test inside the loop: with no branch and no possible overlap between
// the four arrays (__restrict: p, its gradient, m and v are four different tensors), GCC turns
// the loop into vector code, a whole vector of elements per instruction, sqrt and divisions
// included (the sqrt only with -fno-math-errno, CMakeLists.txt). It was scalar, and the
// divisions and sqrt made Adam 3-4% of a training step.
// The fused multiply-adds are written out (mul_add), and this file is compiled with
// -ffp-contract=off (nn/CMakeLists.txt) so the compiler fuses nothing else: in the vector loop
// GCC had fused AdamW's p * (1 - lr wd) with the step subtracted after it, which it did not do
// in the scalar loop, and float64 results changed in the last bit. Each element now gets the
// same correctly rounded IEEE operations in a vector or not, with GCC or Clang: the bits the
// scalar loop gave before, on machines with FMA and without.
enum class Decay { none, l2, decoupled };

// a * b + c rounded once where the target has FMA instructions, which is what GCC's contraction
// made of the scalar loop, and rounded twice where it has none (the sanitizer build's baseline
// x86-64), as that loop was there. (std::fma on such a target would be an exact, slow library
// call, and would change that build's numbers, which lesson tests have recorded outcomes for.)
inline double mul_add(double a, double b, double c) {
#if defined(__FMA__)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
}

struct AdamScalars {
    double lr, b1, b2, wd, eps, bias1, bias2;
};

template <Decay decay, class T>
void adam_elements(std::int64_t begin, std::int64_t end, T* __restrict p, const T* __restrict dp, T* __restrict m,
                   T* __restrict v, const AdamScalars& s) {
    const double lr = s.lr, b1 = s.b1, b2 = s.b2, wd = s.wd, eps = s.eps, bias1 = s.bias1, bias2 = s.bias2;
    const double shrink = mul_add(-lr, wd, 1.0);  // 1 - lr * wd
    for (std::int64_t i = begin; i < end; ++i) {
        double g = dp[i];
        if constexpr (decay == Decay::decoupled) p[i] = static_cast<T>(p[i] * shrink);  // AdamW
        if constexpr (decay == Decay::l2) g = mul_add(wd, static_cast<double>(p[i]), g);  // Adam's L2: g + wd * p
        m[i] = static_cast<T>(mul_add(b1, static_cast<double>(m[i]), (1 - b1) * g));      // b1 m + (1 - b1) g
        v[i] = static_cast<T>(mul_add(b2, static_cast<double>(v[i]), (1 - b2) * g * g));  // b2 v + (1 - b2) g^2
        const double m_hat = m[i] / bias1, v_hat = v[i] / bias2;
        p[i] = static_cast<T>(p[i] - lr * m_hat / (std::sqrt(v_hat) + eps));
    }
}

}  // namespace

void Adam::update(const std::string& name, const Tensor& param, const Tensor& grad) {
    bool created = false;
    const Tensor m_t = state_like("exp_avg", name, param, created);
    const Tensor v_t = state_like("exp_avg_sq", name, param, created);
    const std::int64_t t = ++counter("step", name);
    const AdamScalars s{.lr = lr(),
                        .b1 = beta1_,
                        .b2 = beta2_,
                        .wd = weight_decay_,
                        .eps = eps_,
                        .bias1 = 1 - std::pow(beta1_, static_cast<double>(t)),   // 1 - beta1^t
                        .bias2 = 1 - std::pow(beta2_, static_cast<double>(t))};  // 1 - beta2^t
    const Decay decay = weight_decay_ == 0.0 ? Decay::none : decoupled_ ? Decay::decoupled : Decay::l2;
    dispatch_float(param.dtype(), type_name().c_str(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = param.data<T>();
        const T* dp = grad.data<T>();
        T* m = m_t.data<T>();
        T* v = v_t.data<T>();
        // Shared over the threads in blocks of 64 elements. Each element gets the same
        // operations in the vector loop and its scalar remainder (adam_elements), so the bits
        // do not depend on which elements a thread's range leaves to the remainder either.
        constexpr std::int64_t block = 64, min_elements_per_thread = 4096;
        const std::int64_t n = param.numel();
        parallel_for((n + block - 1) / block, min_elements_per_thread / block, [&](std::int64_t first, std::int64_t last) {
            const std::int64_t begin = first * block, end = std::min(n, last * block);
            switch (decay) {
                case Decay::none: adam_elements<Decay::none>(begin, end, p, dp, m, v, s); break;
                case Decay::l2: adam_elements<Decay::l2>(begin, end, p, dp, m, v, s); break;
                case Decay::decoupled: adam_elements<Decay::decoupled>(begin, end, p, dp, m, v, s); break;
            }
        });
    });
}

}  // namespace qkv::nn
