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

void Adam::update(const std::string& name, const Tensor& param, const Tensor& grad) {
    bool created = false;
    const Tensor m_t = state_like("exp_avg", name, param, created);
    const Tensor v_t = state_like("exp_avg_sq", name, param, created);
    const std::int64_t t = ++counter("step", name);
    const double lr = this->lr(), b1 = beta1_, b2 = beta2_, wd = weight_decay_;
    const double bias1 = 1 - std::pow(b1, static_cast<double>(t));  // 1 - beta1^t
    const double bias2 = 1 - std::pow(b2, static_cast<double>(t));  // 1 - beta2^t
    dispatch_float(param.dtype(), type_name().c_str(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = param.data<T>();
        const T* dp = grad.data<T>();
        T* m = m_t.data<T>();
        T* v = v_t.data<T>();
        const double eps = eps_;
        const bool decoupled = decoupled_;
        // Each element on its own, shared over the threads in blocks of 64: if the compiler
        // vectorises this loop (GCC 12 does not), its scalar remainder, which it may contract
        // into FMAs differently from the vector body, is the same last few elements for any
        // thread count.
        constexpr std::int64_t block = 64, min_elements_per_thread = 4096;
        const std::int64_t n = param.numel();
        parallel_for((n + block - 1) / block, min_elements_per_thread / block, [&](std::int64_t first, std::int64_t last) {
            const std::int64_t end = std::min(n, last * block);
            for (std::int64_t i = first * block; i < end; ++i) {
                double g = dp[i];
                if (wd != 0.0 && decoupled) p[i] = static_cast<T>(p[i] * (1 - lr * wd));  // AdamW
                if (wd != 0.0 && !decoupled) g += wd * p[i];                             // Adam's L2
                m[i] = static_cast<T>(b1 * m[i] + (1 - b1) * g);
                v[i] = static_cast<T>(b2 * v[i] + (1 - b2) * g * g);
                const double m_hat = m[i] / bias1, v_hat = v[i] / bias2;
                p[i] = static_cast<T>(p[i] - lr * m_hat / (std::sqrt(v_hat) + eps));
            }
        });
    });
}

}  // namespace qkv::nn
