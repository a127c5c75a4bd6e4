// Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), exactly as torch.optim.Adam
// and torch.optim.AdamW. For each parameter p with gradient grad, at its t-th update
// (t = 1, 2, ...):
//
//   Adam:   g = grad + weight_decay * p          (L2 penalty, added to the gradient)
//   AdamW:  p = p - lr * weight_decay * p         (decoupled: shrinks p directly), g = grad
//   m = beta1 * m + (1 - beta1) * g               running mean of gradients      (exp_avg)
//   v = beta2 * v + (1 - beta2) * g^2             running mean of their squares  (exp_avg_sq)
//   m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)
//   p = p - lr * m_hat / (sqrt(v_hat) + eps)
//
// m and v start at 0, so early on they are biased toward 0; dividing by 1 - beta^t (the total
// weight the running mean has given to real gradients so far) removes that bias. Each element
// then moves by about lr, whatever the scale of its gradient: m_hat / sqrt(v_hat) is a
// signal-to-noise ratio.
//
// Why AdamW: with Adam's L2 term, the decay goes through m / sqrt(v), so parameters with large
// gradients are barely decayed. AdamW decays every weight by the same factor (1 - lr * wd).
//
// m and v live in the parameter's dtype; each element's arithmetic runs in double and is
// rounded once when stored. t counts the parameter's own updates, as in PyTorch (a parameter
// without a gradient in a step does not advance). State: "exp_avg.<name>", "exp_avg_sq.<name>",
// "step.<name>".
#pragma once

#include <utility>

#include "nn/optim/optimizer.hpp"

namespace qkv::nn {

class Adam : public Optimizer {
public:
    Adam(const ParamList& params, double lr = 1e-3, std::pair<double, double> betas = {0.9, 0.999},
         double eps = 1e-8, double weight_decay = 0.0);

    std::pair<double, double> betas() const { return {beta1_, beta2_}; }
    double eps() const { return eps_; }
    double weight_decay() const { return weight_decay_; }
    bool decoupled_weight_decay() const { return decoupled_; }

protected:
    Adam(std::string name, const ParamList& params, double lr, std::pair<double, double> betas, double eps,
         double weight_decay, bool decoupled);
    void update(const std::string& name, const Tensor& param, const Tensor& grad) override;
    std::vector<StateKind> state_kinds() const override;

private:
    double beta1_, beta2_, eps_, weight_decay_;
    bool decoupled_;
};

class AdamW : public Adam {
public:
    AdamW(const ParamList& params, double lr = 1e-3, std::pair<double, double> betas = {0.9, 0.999},
          double eps = 1e-8, double weight_decay = 1e-2);
};

}  // namespace qkv::nn
