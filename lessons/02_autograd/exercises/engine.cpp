// Lesson 02's engine exercises. Each function body between the SOLUTION markers is what you write.
#include "lessons/02_autograd/exercises/engine.hpp"

#include <unordered_set>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

std::vector<std::shared_ptr<VarImpl>> topological_order(const Var& root) {
    // SOLUTION BEGIN 02.3
    // Depth-first search with an explicit stack: a Var is appended once all of its op's inputs
    // have been, which puts inputs before their users and root last.
    std::vector<std::shared_ptr<VarImpl>> order;
    std::unordered_set<const VarImpl*> visited{root.impl().get()};
    struct Frame {
        std::shared_ptr<VarImpl> var;
        std::size_t next_input;
    };
    std::vector<Frame> stack{{root.impl(), 0}};
    while (!stack.empty()) {
        Frame& top = stack.back();
        const Node* node = top.var->grad_fn.get();
        if (node && top.next_input < node->inputs.size()) {
            const std::shared_ptr<VarImpl>& in = node->inputs[top.next_input++].impl();
            if (in && in->requires_grad && visited.insert(in.get()).second) stack.push_back({in, 0});
            continue;  // `top` may dangle after push_back: look it up again
        }
        order.push_back(top.var);
        stack.pop_back();
    }
    return order;
    // SOLUTION END 02.3
}

std::unordered_map<const VarImpl*, Tensor> gradients(const Var& root) {
    // SOLUTION BEGIN 02.4
    std::unordered_map<const VarImpl*, Tensor> grad;
    grad[root.impl().get()] = ones(root.shape(), root.data().dtype());
    const auto order = qkv::topological_order(root);
    // Reverse order: every user of a Var runs before it, so its gradient is complete here.
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
        const VarImpl& v = **it;
        const auto found = grad.find(&v);
        if (found == grad.end() || !v.grad_fn) continue;  // nothing reached it, or a leaf
        const Node& node = *v.grad_fn;
        const Grads g = node.backward(found->second);
        for (std::size_t i = 0; i < node.inputs.size() && i < g.size(); ++i) {
            const Var& in = node.inputs[i];
            if (!in.defined() || !in.requires_grad() || !g[i].defined()) continue;
            const Tensor gi = qkv::sum_to_shape(g[i], in.shape());  // undo broadcasting
            Tensor& slot = grad[in.impl().get()];
            slot = slot.defined() ? add(slot, gi) : gi;  // a Var used twice gets both paths' sum
        }
    }
    return grad;
    // SOLUTION END 02.4
}

}  // namespace qkv::exercises
