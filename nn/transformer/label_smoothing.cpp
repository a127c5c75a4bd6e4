#include "nn/transformer/label_smoothing.hpp"

#include <algorithm>
#include <cmath>

namespace qkv::nn {

Tensor smoothed_targets(const Tensor& targets, std::int64_t V, double eps, std::int64_t pad_id, DType dtype) {
    const char* op = "smoothed_targets";
    if (targets.dtype() != DType::Int64) fail(op, "targets must be int64, got ", describe(targets));
    if (V < 3) fail(op, "needs at least 3 classes (target, padding and one more), got ", V);
    if (!(eps >= 0 && eps < 1)) fail(op, "smoothing must be in [0, 1), got ", eps);
    if (pad_id < 0 || pad_id >= V) fail(op, "pad_id ", pad_id, " is outside [0, ", V, ")");
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    std::vector<double> q(t.size() * static_cast<std::size_t>(V), 0.0);
    const double off = eps / static_cast<double>(V - 2), on = 1 - eps;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] < 0 || t[i] >= V) fail(op, "target ", t[i], " at flat index ", i, " is outside [0, ", V, ")");
        if (t[i] == pad_id) continue;  // a padding position: no target at all
        double* row = q.data() + i * static_cast<std::size_t>(V);
        std::fill(row, row + V, off);
        row[pad_id] = 0.0;
        row[t[i]] = on;
    }
    Shape shape = targets.shape();
    shape.push_back(V);
    return from_vector(q, shape).to(dtype);
}

double smoothed_entropy(std::int64_t V, double eps) {
    if (V < 3) fail("smoothed_entropy", "needs at least 3 classes, got ", V);
    if (!(eps >= 0 && eps < 1)) fail("smoothed_entropy", "smoothing must be in [0, 1), got ", eps);
    const double on = 1 - eps;
    return -on * std::log(on) - (eps > 0 ? eps * std::log(eps / static_cast<double>(V - 2)) : 0.0);
}

Var label_smoothed_cross_entropy(const Var& logits, const Tensor& targets, double smoothing, std::int64_t pad_id) {
    if (logits.dim() < 1 || logits.dim() != targets.dim() + 1)
        fail("label_smoothed_cross_entropy", "logits (..., V) and targets (...) disagree: ", shape_str(logits.shape()),
             " and ", shape_str(targets.shape()));
    for (std::int64_t d = 0; d < targets.dim(); ++d)
        if (logits.size(d) != targets.size(d))
            fail("label_smoothed_cross_entropy", "logits ", shape_str(logits.shape()), " and targets ",
                 shape_str(targets.shape()), " disagree in dim ", d);
    const std::int64_t V = logits.size(-1);
    (void)smoothed_entropy(V, smoothing);  // checks V >= 3 and the smoothing
    if (pad_id < 0 || pad_id >= V) fail("label_smoothed_cross_entropy", "pad_id ", pad_id, " is outside [0, ", V, ")");
    if (targets.dtype() != DType::Int64)
        fail("label_smoothed_cross_entropy", "targets must be int64, got ", describe(targets));
    for (std::int64_t t : targets.to_vector<std::int64_t>())
        if (t < 0 || t >= V) fail("label_smoothed_cross_entropy", "target ", t, " is outside [0, ", V, ")");
    // -sum_c q_c log p_c without building q: with on = 1 - eps and off = eps / (V - 2),
    //   = -[ (on - off) log p_t + off (sum_c log p_c - log p_pad) ]
    // (every class gets off, the target gets on - off more, padding gets off less).
    const double on = 1 - smoothing, off = smoothing / static_cast<double>(V - 2);
    const Var logp = log_softmax(logits, -1);                                       // (..., V)
    const Var picked = gather(logp, -1, targets.unsqueeze(-1)).squeeze(-1);         // (...) log p_t
    const Var row_sum = sum(logp, {-1});                                            // (...)
    const Var row_loss = -((on - off) * picked + off * (row_sum - logp.select(-1, pad_id)));  // (...)
    const Tensor counted = ne(targets, scalar(static_cast<double>(pad_id), DType::Int64));    // (...) bool
    const double n = sum(counted.to(DType::Float64)).item();
    return sum(where(counted, row_loss, Var(zeros_like(row_loss.data())))) * (1.0 / std::max(n, 1.0));
}

}  // namespace qkv::nn
