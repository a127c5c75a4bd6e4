#include "autograd/var.hpp"

#include "autograd/engine.hpp"

namespace qkv {

Var::Var(Tensor data, bool requires_grad) : impl_(std::make_shared<VarImpl>()) {
    data.check_defined("Var");
    if (requires_grad && !is_floating(data.dtype()))
        fail("Var", "only floating-point tensors can require grad, got ", describe(data));
    impl_->data = std::move(data);
    impl_->requires_grad = requires_grad;
}

namespace {
const VarImpl& checked(const std::shared_ptr<VarImpl>& impl, const char* op) {
    if (!impl) fail(op, "the Var is undefined (default-constructed)");
    return *impl;
}
}  // namespace

const Tensor& Var::data() const { return checked(impl_, "data").data; }
const Tensor& Var::grad() const { return checked(impl_, "grad").grad; }
bool Var::requires_grad() const { return checked(impl_, "requires_grad").requires_grad; }
bool Var::is_leaf() const { return checked(impl_, "is_leaf").grad_fn == nullptr; }
const std::shared_ptr<Node>& Var::grad_fn() const { return checked(impl_, "grad_fn").grad_fn; }
std::string Var::op_name() const { return is_leaf() ? "leaf" : grad_fn()->op; }

void Var::set_requires_grad(bool on) {
    checked(impl_, "set_requires_grad");
    if (!is_leaf()) fail("set_requires_grad", "only leaves can change requires_grad; use detach() to cut a graph");
    if (on && !is_floating(data().dtype()))
        fail("set_requires_grad", "only floating-point tensors can require grad, got ", describe(data()));
    impl_->requires_grad = on;
}

void Var::zero_grad() const { checked(impl_, "zero_grad"), impl_->grad = Tensor(); }
void Var::set_grad(const Tensor& grad) const {
    const VarImpl& v = checked(impl_, "set_grad");
    if (!grad.defined()) return zero_grad();
    if (grad.shape() != v.data.shape() || grad.dtype() != v.data.dtype())
        fail("set_grad", "the gradient must match the Var: got ", describe(grad), " for ", describe(v.data));
    impl_->grad = grad.clone();
}

void Var::set_data(Tensor data) const {
    const VarImpl& v = checked(impl_, "set_data");
    data.check_defined("set_data");
    if (v.grad_fn) fail("set_data", "only a leaf's value can be replaced; this Var was made by '", v.grad_fn->op, "'");
    if (v.requires_grad && !is_floating(data.dtype()))
        fail("set_data", "a Var that requires grad needs a floating-point value, got ", describe(data));
    if (v.grad.defined() && (v.grad.shape() != data.shape() || v.grad.dtype() != data.dtype())) impl_->grad = Tensor();
    impl_->data = std::move(data);
}

void Var::retain_grad() const { checked(impl_, "retain_grad"), impl_->retains_grad = true; }
Var Var::detach() const { return Var(data(), false); }

}  // namespace qkv
