#include "nn/optim/sgd.hpp"

#include <limits>

namespace qkv::nn {

SGD::SGD(const ParamList& params, double lr, double momentum, double dampening, double weight_decay, bool nesterov)
    : Optimizer("SGD", params, lr),
      momentum_(momentum),
      dampening_(dampening),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
    const double inf = std::numeric_limits<double>::infinity();
    check_range("momentum", momentum, 0.0, inf);
    check_range("dampening", dampening, -inf, inf);  // any finite number, as PyTorch
    check_range("weight_decay", weight_decay, 0.0, inf);
    if (nesterov && (momentum <= 0.0 || dampening != 0.0))
        fail("SGD", "Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ", momentum,
             " and dampening ", dampening);
}

std::vector<Optimizer::StateKind> SGD::state_kinds() const {
    if (momentum_ == 0.0) return {};
    return {{"momentum_buffer"}};
}

void SGD::update(const std::string& name, const Tensor& param, const Tensor& grad) {
    bool first = false;
    const Tensor buffer = momentum_ != 0.0 ? state_like("momentum_buffer", name, param, first) : Tensor();
    dispatch_float(param.dtype(), "SGD", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* p = param.data<T>();
        const T* dp = grad.data<T>();
        T* buf = buffer.defined() ? buffer.data<T>() : nullptr;
        const double lr = this->lr(), mu = momentum_, tau = dampening_, wd = weight_decay_;
        for (std::int64_t i = 0; i < param.numel(); ++i) {
            double g = dp[i];
            if (wd != 0.0) g += wd * p[i];
            if (buf) {
                buf[i] = static_cast<T>(first ? g : mu * buf[i] + (1 - tau) * g);
                g = nesterov_ ? g + mu * buf[i] : buf[i];
            }
            p[i] = static_cast<T>(p[i] - lr * g);
        }
    });
}

}  // namespace qkv::nn
