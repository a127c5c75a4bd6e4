// Var: a tensor that remembers how it was made, so gradients can flow back through it.
//
// A Var holds its value (a Tensor), its accumulated gradient, and, when an op produced it,
// the graph Node of that op (grad_fn). Vars you create yourself are leaves: parameters and
// inputs. Calling backward() on a result walks the graph from that result back to the leaves
// and adds d(result)/d(leaf) into every leaf that requires_grad.
//
// Like a Tensor, copying a Var makes another handle to the same variable.
#pragma once

#include <memory>
#include <string>

#include "tensor/tensor.hpp"

namespace qkv {

struct Node;

// The shared state behind a Var handle.
struct VarImpl {
    Tensor data;
    Tensor grad;                    // undefined until a backward reaches this Var
    bool requires_grad = false;
    bool retains_grad = false;      // keep the gradient of a non-leaf too (retain_grad())
    std::shared_ptr<Node> grad_fn;  // the op that produced this Var; null for a leaf
    ~VarImpl();  // frees the graph behind it without recursing once per op (engine.cpp)
};

class Var {
public:
    Var() = default;  // undefined
    // A leaf holding `data`. Parameters pass requires_grad = true.
    explicit Var(Tensor data, bool requires_grad = false);

    bool defined() const { return impl_ != nullptr; }
    // The value, as a Tensor: numbers without a graph. A Tensor-level op on it records nothing,
    // so softmax(x.data(), -1) has no gradient; call softmax(x, -1) for one (README,
    // "Conventions worth knowing"; the test var_data_ops checks nn/ and lessons/).
    const Tensor& data() const;
    // The accumulated gradient (same shape as data), or an undefined Tensor if none yet.
    const Tensor& grad() const;
    bool requires_grad() const;
    void set_requires_grad(bool on);
    bool is_leaf() const;
    // The op that produced this Var ("matmul", "add", ...), or "leaf".
    std::string op_name() const;
    const std::shared_ptr<Node>& grad_fn() const;

    // Backpropagates from this Var. Without an argument the Var must hold one element, and the
    // gradient starts at 1; otherwise `grad` (the Var's shape) weights its elements.
    // Gradients are ADDED into .grad: call zero_grad() (or the optimizer's) between steps.
    // The graph's saved tensors are freed as backward passes through them, unless
    // retain_graph is true (needed to call backward through the same graph again).
    void backward(bool retain_graph = false) const;
    void backward(const Tensor& grad, bool retain_graph = false) const;
    void zero_grad() const;      // drops the accumulated gradient
    // Sets the accumulated gradient outright, as PyTorch's `p.grad = g`: an optimizer test or a
    // hand-written update gives a known gradient without building a graph for it. `grad` must
    // have this Var's shape and dtype; it is copied (a later backward adds into the copy, never
    // into the caller's tensor). An undefined Tensor clears the gradient, as zero_grad().
    void set_grad(const Tensor& grad) const;
    // Replaces a leaf's value in place: every handle to this Var sees the new tensor, so what
    // holds the Var (an optimizer, a module sharing it as a tied weight) keeps holding the
    // parameter. Module::to() converts dtypes this way. A non-leaf refuses (the graph that made
    // it saved the old value); a gradient whose shape or dtype no longer matches is dropped.
    void set_data(Tensor data) const;
    void retain_grad() const;    // also keep .grad on this non-leaf after backward
    // The same data, cut from the graph: a leaf that does not require grad.
    Var detach() const;

    // Shape shortcuts.
    const Shape& shape() const { return data().shape(); }
    std::int64_t dim() const { return data().dim(); }
    std::int64_t size(std::int64_t d) const { return data().size(d); }
    std::int64_t numel() const { return data().numel(); }
    DType dtype() const { return data().dtype(); }
    double item() const { return data().item(); }

    // Differentiable views (defined in views.cpp), mirroring Tensor's.
    Var reshape(Shape shape) const;
    Var flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    Var transpose(std::int64_t d0, std::int64_t d1) const;
    Var permute(const std::vector<std::int64_t>& order) const;
    Var t() const;
    Var slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
    Var narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
    Var select(std::int64_t dim, std::int64_t index) const;
    Var expand(const Shape& shape) const;
    Var squeeze(std::int64_t dim) const;
    Var unsqueeze(std::int64_t dim) const;

    // Method forms of the common functions, as PyTorch users write them: x.sum() is sum(x),
    // x.matmul(w) is matmul(x, w), x.softmax(-1) is softmax(x, -1). Each is defined beside its
    // function and records the same op.
    Var sum(const Dims& dims = {}, bool keepdim = false) const;
    Var mean(const Dims& dims = {}, bool keepdim = false) const;
    Var matmul(const Var& other) const;
    Var softmax(std::int64_t dim) const;
    Var log_softmax(std::int64_t dim) const;

    const std::shared_ptr<VarImpl>& impl() const { return impl_; }
    explicit Var(std::shared_ptr<VarImpl> impl) : impl_(std::move(impl)) {}

private:
    std::shared_ptr<VarImpl> impl_;
};

}  // namespace qkv
