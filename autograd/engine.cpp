// The whole of reverse-mode differentiation: record() builds the graph during the forward
// pass, topological_order() sorts it, and Var::backward() runs the backward rules.
#include "autograd/engine.hpp"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.hpp"

namespace qkv {
namespace {

// True if any element is NaN (or, with `inf_too`, infinite).
bool has_non_finite(const Tensor& t, bool inf_too) {
    if (!t.defined() || !is_floating(t.dtype())) return false;
    for (double v : t.to_vector<double>())
        if (std::isnan(v) || (inf_too && std::isinf(v))) return true;
    return false;
}

}  // namespace

// A chain of ops (x = f(x), a hundred thousand times) is a linked list of shared_ptrs. Left to
// the default destructors, freeing its end frees the op before it from inside its own
// destructor, and so on, one nest of stack frames per op, until the stack overflows. Instead,
// each node this Var owns alone has the nodes of its inputs (those it alone keeps alive)
// unhooked onto a worklist first, so every node is freed with nothing left to free recursively.
VarImpl::~VarImpl() {
    std::vector<std::shared_ptr<Node>> doomed;
    if (grad_fn.use_count() == 1) doomed.push_back(std::move(grad_fn));
    while (!doomed.empty()) {
        std::shared_ptr<Node> node = std::move(doomed.back());
        doomed.pop_back();
        for (const Var& in : node->inputs)
            if (in.impl().use_count() == 1 && in.impl()->grad_fn.use_count() == 1)
                doomed.push_back(std::move(in.impl()->grad_fn));
    }  // `node` is freed here; its inputs' nodes were moved out, so that goes one level deep
}

Var record(const char* op, Tensor output, std::vector<Var> inputs, BackwardFn backward) {
    // Forward outputs are checked for NaN only: -inf is a legitimate value there (masked
    // attention scores), while no gradient should ever be infinite.
    if (anomaly_enabled() && has_non_finite(output, false))
        fail("anomaly", "the forward of '", op, "' produced NaN (output ", describe(output), ")");
    bool needs_grad = false;
    if (grad_enabled())
        for (const Var& in : inputs) needs_grad = needs_grad || (in.defined() && in.requires_grad());
    Var out(std::move(output), false);
    if (!needs_grad) return out;
    out.impl()->requires_grad = true;
    out.impl()->grad_fn = std::make_shared<Node>(Node{op, std::move(inputs), std::move(backward)});
    return out;
}

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
    if (grad.shape() == shape) return grad;
    // Leading dims that broadcasting added, then dims where the input had size 1.
    const std::int64_t lead = grad.dim() - static_cast<std::int64_t>(shape.size());
    bool ok = lead >= 0;
    for (std::int64_t k = std::max<std::int64_t>(lead, 0); ok && k < grad.dim(); ++k)
        ok = shape[k - lead] == grad.shape()[k] || shape[k - lead] == 1;
    if (!ok) fail("sum_to_shape", "a gradient of shape ", shape_str(grad.shape()), " is not a broadcast of shape ", shape_str(shape));
    Dims dims;
    for (std::int64_t k = 0; k < grad.dim(); ++k)
        if (k < lead || (shape[k - lead] == 1 && grad.shape()[k] != 1)) dims.push_back(k);
    if (dims.empty()) return grad.reshape(shape);
    return sum(grad, dims, true).reshape(shape);
}

std::vector<std::shared_ptr<VarImpl>> topological_order(const Var& root) {
    // Depth-first search with an explicit stack instead of recursion, so a graph thousands of
    // ops deep (an unrolled RNN) cannot overflow the call stack. A Var is appended after all
    // the inputs of its op, which gives inputs-before-users order.
    std::vector<std::shared_ptr<VarImpl>> order;
    std::unordered_set<VarImpl*> visited;
    struct Frame {
        std::shared_ptr<VarImpl> var;
        std::size_t next_input;  // which input of var's op to visit next
    };
    std::vector<Frame> stack{{root.impl(), 0}};
    visited.insert(root.impl().get());
    while (!stack.empty()) {
        Frame& top = stack.back();
        const Node* node = top.var->grad_fn.get();
        if (node && top.next_input < node->inputs.size()) {
            const auto& in = node->inputs[top.next_input++].impl();
            if (in && in->requires_grad && visited.insert(in.get()).second) stack.push_back({in, 0});
            continue;
        }
        order.push_back(top.var);
        stack.pop_back();
    }
    return order;
}

void Var::backward(bool retain_graph) const {
    if (numel() != 1)
        fail("backward", "called without a gradient on a Var of shape ", shape_str(shape()),
             "; only a one-element result (a loss) has an implied gradient of 1. Pass the gradient "
             "of each element: backward(grad)");
    backward(ones(shape(), dtype()), retain_graph);
}

void Var::backward(const Tensor& seed, bool retain_graph) const {
    if (!defined()) fail("backward", "called on an undefined Var");
    if (!requires_grad())
        fail("backward", "this Var does not require grad: no input of the ops that made it requires grad");
    if (seed.shape() != shape())
        fail("backward", "gradient of shape ", shape_str(seed.shape()), " for a Var of shape ", shape_str(shape()));

    // The gradient flowing into each Var, summed over all of its uses. A Var's own entry is
    // complete once every op that used it has run, which reverse topological order guarantees.
    std::unordered_map<VarImpl*, Tensor> pending;
    pending[impl_.get()] = seed.to(dtype());
    const auto order = topological_order(*this);
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        VarImpl& v = **it;
        auto found = pending.find(&v);
        if (found == pending.end()) continue;  // nothing flowed here
        Tensor g = std::move(found->second);
        pending.erase(found);

        if (!v.grad_fn || v.retains_grad)  // leaves (and retain_grad()ed Vars) keep their gradient
            // Own copy: g may be shared, unless nothing else holds its storage.
            v.grad = v.grad.defined() ? add(v.grad, g)
                     : (g.storage().use_count() == 1 && g.is_contiguous()) ? g
                                                                           : g.clone();
        if (!v.grad_fn) continue;

        Node& node = *v.grad_fn;
        if (!node.backward)
            fail("backward", "the graph through '", node.op, "' was already freed by an earlier backward(); "
                 "pass retain_graph = true to the first backward() to backpropagate through it twice");
        const Grads grads = node.backward(g);
        if (!retain_graph) node.backward = nullptr;  // frees the tensors the rule saved

        for (std::size_t i = 0; i < node.inputs.size(); ++i) {
            const Var& in = node.inputs[i];
            if (!in.defined() || !in.requires_grad() || i >= grads.size() || !grads[i].defined()) continue;
            if (anomaly_enabled() && has_non_finite(grads[i], true))
                fail("anomaly", "the backward of '", node.op, "' produced NaN or Inf in the gradient of input ", i,
                     " (", describe(grads[i]), ")");
            Tensor gi;
            try {
                gi = sum_to_shape(grads[i], in.shape());
            } catch (const Error& e) {
                fail("backward", "the rule of '", node.op, "' returned a wrong gradient for input ", i, ": ", e.what());
            }
            Tensor& slot = pending[in.impl().get()];
            slot = slot.defined() ? add(slot, gi) : gi;
        }
    }
}

}  // namespace qkv
