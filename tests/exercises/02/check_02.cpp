// Checkers for lesson 02's exercises (lessons/02_autograd/EXERCISES.md): the student's op against
// its composed definition and the gradient checker, sum_to_shape and the engine's two halves
// against the library's, on graphs with shared subexpressions, broadcasting and constants.
#include <doctest/doctest.h>

#include <unordered_set>

#include "exercises/exercise_check.hpp"
#include "lessons/02_autograd/exercises/engine.hpp"
#include "lessons/02_autograd/exercises/ops.hpp"
#include "lessons/02_autograd/expression.hpp"
#include "lessons/02_autograd/fit.hpp"

using namespace qkv;
namespace ex = qkv::exercise;

namespace {

// A graph with everything the engine must handle, built from leaves the caller keeps:
// a Var used by several ops (h), broadcasting (b (4) added to (2, 4)), a constant input (x),
// and an op whose result is used twice (z + z).
struct TestGraph {
    Var W, b, c;  // leaves that require grad: W (3, 4), b (4), c 0-d
    Var x;        // a constant (2, 3): requires no grad
    Var h, z;     // intermediates
    Var loss;     // 0-d
};

TestGraph test_graph(std::uint64_t seed) {
    Generator gen(seed);
    TestGraph g;
    g.W = Var(randn({3, 4}, 0, 1, DType::Float64, gen), true);
    g.b = Var(randn({4}, 0, 1, DType::Float64, gen), true);
    g.c = Var(randn({}, 0, 1, DType::Float64, gen), true);
    g.x = Var(randn({2, 3}, 0, 1, DType::Float64, gen));
    g.h = matmul(g.x, g.W) + g.b;         // (2, 4), b broadcast over the rows
    g.z = tanh(g.h) * g.h;                // h used twice
    g.loss = sum(g.z + g.z) * g.c + mean(g.h * g.c);
    return g;
}

std::string name_of(const VarImpl* v, const TestGraph& g) {
    if (v == g.W.impl().get()) return "W";
    if (v == g.b.impl().get()) return "b";
    if (v == g.c.impl().get()) return "c";
    if (v == g.x.impl().get()) return "x (a constant)";
    if (v == g.h.impl().get()) return "h";
    if (v == g.z.impl().get()) return "z";
    if (v == g.loss.impl().get()) return "loss";
    return "an intermediate";
}

// Checks that `order` is a topological order of the graph behind root: the same Vars as the
// library's order, each once, every op's inputs (that require grad) before it, root last.
bool check_order(const std::string& what, const std::vector<std::shared_ptr<VarImpl>>& order, const Var& root,
                 const std::function<std::string(const VarImpl*)>& name) {
    const auto expected = qkv::topological_order(root);
    std::unordered_set<const VarImpl*> want;
    for (const auto& v : expected) want.insert(v.get());
    std::unordered_map<const VarImpl*, std::size_t> position;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const VarImpl* v = order[i].get();
        if (!ex::check_that(v != nullptr, what + ": entry " + std::to_string(i) + " is null")) return false;
        const auto [first, fresh] = position.emplace(v, i);
        if (!ex::check_that(fresh,
                            what + ": " + name(v) + " appears twice (positions " + std::to_string(first->second) + " and " +
                                std::to_string(i) + ")",
                            "remember which Vars you have visited (an unordered_set of VarImpl*): a Var used by two ops is reached twice"))
            return false;
        if (!ex::check_that(want.count(v) == 1, what + ": " + name(v) + " is in your order but not in the graph's",
                            "list only Vars that require grad: skip inputs with requires_grad false"))
            return false;
    }
    for (const auto& v : expected)
        if (!ex::check_that(position.count(v.get()) == 1,
                            what + ": " + name(v.get()) + " is missing (your order has " + std::to_string(order.size()) +
                                " Vars, the graph " + std::to_string(expected.size()) + ")",
                            "visit every input of every op (v->grad_fn->inputs), not only the first"))
            return false;
    for (std::size_t i = 0; i < order.size(); ++i) {
        const VarImpl* v = order[i].get();
        if (!v->grad_fn) continue;
        for (const Var& in : v->grad_fn->inputs) {
            if (!in.defined() || !in.requires_grad()) continue;
            if (!ex::check_that(position[in.impl().get()] < i,
                                what + ": " + name(in.impl().get()) + " (position " + std::to_string(position[in.impl().get()]) +
                                    ") comes after " + name(v) + " (position " + std::to_string(i) + "), which uses it",
                                "append a Var only after ALL the inputs of its op have been appended (post-order)"))
                return false;
        }
    }
    return ex::check_that(!order.empty() && order.back().get() == root.impl().get(), what + ": the root is not last");
}

}  // namespace

TEST_CASE("exercise 02.1: A new op with its backward rule") {
    ex::run("02.1", [&] {
        Generator gen(201);
        const Tensor x = randn({3, 5}, 0, 3, DType::Float32, gen);
        const std::vector<Tensor> inputs = {x, x.t(), tensor({-100.0, -30.0, -1.0, 0.0, 1.0, 30.0, 100.0})};
        for (const Tensor& in : inputs) {
            const Var y = qkv::exercises::swish(Var(in));
            if (!ex::check_close("swish forward for " + ex::brief("x", in), mul(in, sigmoid(in)), y.data(), 1e-5, 1e-6,
                                 "y = x * sigmoid(x); use qkv::sigmoid on the Tensor, which cannot overflow at x = -100"))
                return;
        }
        const Var leaf(randn({4}, 0, 1, DType::Float64, gen), true);
        const Var y = qkv::exercises::swish(leaf);
        const bool one_op = y.grad_fn() && y.grad_fn()->inputs.size() == 1 && y.grad_fn()->inputs[0].impl() == leaf.impl();
        if (!ex::check_that(one_op, "swish(x) should be ONE recorded op whose only input is x; got op '" + y.op_name() + "'",
                            "compute the forward on x.data() and call record(\"swish\", output, {x}, rule)"))
            return;
        const std::string hint = "the rule gets g = dL/dy and returns {g * (s + x * s * (1 - s))} with s = sigmoid(x)";
        for (const Tensor& in : {randn({4, 3}, 0, 2, DType::Float64, gen), randn({3, 4}, 0, 2, DType::Float64, gen).t()})
            if (!ex::check_gradient("swish on " + shape_str(in.shape()) + (in.is_contiguous() ? "" : " (transposed)"),
                                    [](const std::vector<Var>& v) { return qkv::exercises::swish(v[0]); }, {in}, hint))
                return;
        // At x = 0 the slope is sigmoid(0) = 0.5.
        const Var zero(zeros({1}, DType::Float64), true);
        qkv::exercises::swish(zero).backward(ones({1}, DType::Float64));
        ex::check_close("d swish / dx at x = 0", full({1}, 0.5, DType::Float64), zero.grad(), 1e-12, 1e-12, hint);
    });
}

TEST_CASE("exercise 02.2: Undoing broadcasting in the backward pass") {
    ex::run("02.2", [&] {
        Generator gen(202);
        const std::vector<std::pair<Shape, Shape>> cases = {
            {{2, 3, 4}, {3, 1}}, {{2, 3, 4}, {4}}, {{2, 3, 4}, {}}, {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {1, 3, 1}},
            {{5, 1, 4}, {1, 4}}, {{2, 3, 4}, {1, 1, 1, 1}}, {{0, 3}, {3}}, {{3, 0}, {1, 0}}, {{4, 2}, {1, 1}}};
        for (const auto& [from, to] : cases) {
            const Tensor grad = randn(from, 0, 1, DType::Float64, gen);
            const std::string what = "sum_to_shape(grad " + shape_str(from) + ", " + shape_str(to) + ")";
            if (to.size() > from.size()) {  // a shape with more dims than the gradient: not a broadcast
                bool threw = false;
                try {
                    (void)qkv::exercises::sum_to_shape(grad, to);
                } catch (const NotImplemented&) {
                    throw;  // an unsolved stub: run() reports "not done yet"
                } catch (const Error&) {
                    threw = true;
                }
                if (!ex::check_that(threw, what + " did not throw", "shape has more dims than the gradient: throw qkv::Error"))
                    return;
                continue;
            }
            if (!ex::check_close(what + " for " + ex::brief("grad", grad), qkv::sum_to_shape(grad, to),
                                 qkv::exercises::sum_to_shape(grad, to), 1e-12, 1e-12,
                                 "sum over the leading dims broadcasting added, and over every dim where shape has 1 and grad more"))
                return;
        }
        const Tensor transposed = randn({4, 3}, 0, 1, DType::Float64, gen).t();  // (3, 4), non-contiguous
        if (!ex::check_close("sum_to_shape of a transposed gradient (3, 4) to (3, 1)", qkv::sum_to_shape(transposed, {3, 1}),
                             qkv::exercises::sum_to_shape(transposed, {3, 1}), 1e-12, 1e-12))
            return;
        bool threw = false;
        try {
            (void)qkv::exercises::sum_to_shape(zeros({2, 3}, DType::Float64), {4});
        } catch (const NotImplemented&) {
            throw;
        } catch (const Error&) {
            threw = true;
        }
        ex::check_that(threw, "sum_to_shape(grad (2, 3), (4)) did not throw", "(4) does not broadcast to (2, 3): throw qkv::Error");
    });
}

TEST_CASE("exercise 02.3: The topological sort") {
    ex::run("02.3", [&] {
        const lesson02::Expression e = lesson02::build_expression(0.8, -1.5, 2.0);
        const std::map<const VarImpl*, std::string> names = {{e.a.impl().get(), "a"}, {e.b.impl().get(), "b"},
                                                             {e.c.impl().get(), "c"}, {e.ab.impl().get(), "ab"},
                                                             {e.d.impl().get(), "d"}, {e.t.impl().get(), "t"},
                                                             {e.e.impl().get(), "e"}};
        const auto expression_name = [&](const VarImpl* v) { return names.count(v) ? names.at(v) : std::string("?"); };
        if (!check_order("the lesson's expression e = (a*b + c) * tanh(a)", qkv::exercises::topological_order(e.e), e.e,
                         expression_name))
            return;
        const TestGraph g = test_graph(203);
        if (!check_order("loss = sum(z + z) * c + mean(h * c), z = tanh(h) * h, h = x @ W + b",
                         qkv::exercises::topological_order(g.loss), g.loss,
                         [&](const VarImpl* v) { return name_of(v, g); }))
            return;
        // A leaf alone is its own order.
        const Var leaf(ones({2}), true);
        const auto single = qkv::exercises::topological_order(leaf);
        if (!ex::check_that(single.size() == 1 && single[0] == leaf.impl(),
                            "the order behind a leaf should be the leaf alone, got " + std::to_string(single.size()) + " Vars"))
            return;
        // A chain 100000 ops deep: a recursive depth-first search overflows the call stack here
        // (the checker then crashes with a segmentation fault).
        INFO("exercise 02.3: now a chain 100000 ops deep; if this crashes, your search is recursive: use an explicit stack");
        const Var start(zeros({}, DType::Float64), true);
        Var v = start;
        for (int i = 0; i < 100000; ++i) v = v + 1.0;
        const auto chain = qkv::exercises::topological_order(v);
        ex::check_that(chain.size() == 100001 && chain.front() == start.impl() && chain.back() == v.impl(),
                       "a chain of 100000 additions: expected 100001 Vars from the start leaf to the root, got " +
                           std::to_string(chain.size()));
    });
}

TEST_CASE("exercise 02.4: The backward pass") {
    ex::run("02.4", [&] {
        for (std::uint64_t seed : {204u, 205u}) {
            TestGraph g = test_graph(seed);
            g.h.retain_grad();
            g.z.retain_grad();
            const auto mine = qkv::exercises::gradients(g.loss);
            if (!ex::check_that(!g.W.grad().defined() && !g.b.grad().defined(),
                                "after gradients(loss), W.grad() is set: gradients() must not touch .grad",
                                "keep the gradients in your own map, keyed by VarImpl*"))
                return;
            try {
                g.loss.backward();  // the library's pass, through the same graph
            } catch (const Error& e) {
                ex::check_that(false, std::string("the library's backward failed after your gradients(): ") + e.what(),
                               "do not free the graph; leave node.backward in place");
                return;
            }
            const auto find = [&](const Var& v) {
                const auto it = mine.find(v.impl().get());
                return it == mine.end() ? Tensor() : it->second;
            };
            const std::string hint =
                "walk the order in reverse; run each node's backward on the gradient summed so far; "
                "sum_to_shape each input's gradient; ADD into the input's entry (h is used by three ops)";
            const std::pair<const char*, Var> checks[] = {{"loss", g.loss}, {"z", g.z}, {"h", g.h},
                                                          {"W", g.W},       {"b", g.b}, {"c", g.c}};
            for (const auto& [name, var] : checks) {
                const Tensor expected = std::string(name) == "loss" ? ones({}, DType::Float64) : var.grad();
                if (!ex::check_close(std::string("d loss / d ") + name + " (graph seed " + std::to_string(seed) +
                                         "; loss = sum(z + z) * c + mean(h * c), z = tanh(h) * h, h = x @ W + b)",
                                     expected, find(var), 1e-10, 1e-12, hint))
                    return;
            }
            if (!ex::check_that(mine.count(g.x.impl().get()) == 0, "your map has an entry for x, which requires no grad"))
                return;
        }
    });
}

TEST_CASE("exercise 02.5: A narrower network") {
    ex::run("02.5", [&] {
        lesson02::FitConfig config;
        config.hidden = 4;  // the one change the exercise asks for
        const double held_out = lesson02::fit_sine(config).test_mse;
        ex::check_number("held-out MSE of the 1 -> 4 -> 1 network after 1500 steps at seed 0", held_out,
                         ex::answer("02.5"), 2e-3,
                         "change only hidden (FitConfig in lessons/02_autograd/fit.hpp) to 4, run lesson02, and copy the "
                         "'held-out MSE' line; then change it back");
    });
}
