#include "lessons/02_autograd/expression.hpp"

#include <cmath>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

namespace qkv::lesson02 {

Expression build_expression(double a, double b, double c) {
    Expression ex;
    ex.a = Var(scalar(a, DType::Float64), true);
    ex.b = Var(scalar(b, DType::Float64), true);
    ex.c = Var(scalar(c, DType::Float64), true);
    ex.ab = ex.a * ex.b;      // Node "mul", inputs {a, b}
    ex.d = ex.ab + ex.c;      // Node "add", inputs {ab, c}
    ex.t = tanh(ex.a);        // Node "tanh", input {a}: the second use of a
    ex.e = ex.d * ex.t;       // Node "mul", inputs {d, t}
    for (const Var* v : {&ex.ab, &ex.d, &ex.t, &ex.e}) v->retain_grad();
    return ex;
}

std::vector<GraphLine> graph_lines(const Expression& ex) {
    const std::map<const VarImpl*, std::string> names = {
        {ex.a.impl().get(), "a"},   {ex.b.impl().get(), "b"}, {ex.c.impl().get(), "c"},
        {ex.ab.impl().get(), "ab"}, {ex.d.impl().get(), "d"}, {ex.t.impl().get(), "t"},
        {ex.e.impl().get(), "e"}};
    auto name_of = [&](const VarImpl* v) {
        auto it = names.find(v);
        return it == names.end() ? std::string("?") : it->second;
    };
    std::vector<GraphLine> lines;
    for (const auto& impl : topological_order(ex.e)) {
        const Var v(impl);
        GraphLine line;
        line.name = name_of(impl.get());
        line.op = v.op_name();
        if (v.grad_fn())
            for (const Var& in : v.grad_fn()->inputs) line.inputs.push_back(name_of(in.impl().get()));
        line.value = v.item();
        line.grad = v.grad().defined() ? v.grad().item() : std::numeric_limits<double>::quiet_NaN();
        lines.push_back(line);
    }
    return lines;
}

std::string format_graph(const std::vector<GraphLine>& lines, bool with_grads) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(6);
    for (const GraphLine& l : lines) {
        std::string from;
        for (std::size_t i = 0; i < l.inputs.size(); ++i) from += (i ? ", " : "") + l.inputs[i];
        s << "  " << std::left << std::setw(3) << l.name << std::setw(5) << l.op << std::setw(9)
          << (from.empty() ? "" : "(" + from + ")") << std::right << " value " << std::setw(10) << l.value;
        if (with_grads) s << "   grad de/d" << std::left << std::setw(2) << l.name << std::right << " = " << std::setw(10) << l.grad;
        s << "\n";
    }
    return s.str();
}

NoGradDemo no_grad_demo(const Expression& ex) {
    NoGradDemo demo{};
    const Var with = ex.a * ex.b;
    demo.with_grad_requires_grad = with.requires_grad();
    demo.with_grad_op = with.op_name();
    {
        NoGradGuard no_grad;  // ops inside build no Node: evaluation and optimizer updates
        const Var without = ex.a * ex.b;
        demo.no_grad_requires_grad = without.requires_grad();
        demo.no_grad_op = without.op_name();
    }
    return demo;
}

}  // namespace qkv::lesson02
