// Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay,
// exactly as torch.optim.SGD. For each parameter p with gradient grad, at its t-th update:
//
//   g   = grad + weight_decay * p                        (L2 penalty: weight_decay/2 * |p|^2)
//   buf = g                                  if t = 1    (momentum != 0 only)
//   buf = momentum * buf + (1 - dampening) * g  if t > 1
//   g   = nesterov ? g + momentum * buf : buf
//   p   = p - lr * g
//
// Momentum keeps a running sum of past gradients, so steps grow along directions the
// gradients agree on and cancel where they oscillate. Nesterov's variant looks one step ahead:
// it moves by the gradient plus the momentum it is about to apply.
//
// The momentum buffer lives in the parameter's dtype; each element's arithmetic runs in double
// and is rounded once when stored. State: "momentum_buffer.<param name>".
#pragma once

#include "nn/optim/optimizer.hpp"

namespace qkv::nn {

class SGD : public Optimizer {
public:
    // Nesterov needs momentum > 0 and dampening = 0 (as in PyTorch).
    SGD(const ParamList& params, double lr, double momentum = 0.0, double dampening = 0.0,
        double weight_decay = 0.0, bool nesterov = false);

    double momentum() const { return momentum_; }
    double dampening() const { return dampening_; }
    double weight_decay() const { return weight_decay_; }
    bool nesterov() const { return nesterov_; }

protected:
    void update(const std::string& name, const Tensor& param, const Tensor& grad) override;
    std::vector<StateKind> state_kinds() const override;

private:
    double momentum_, dampening_, weight_decay_;
    bool nesterov_;
};

}  // namespace qkv::nn
