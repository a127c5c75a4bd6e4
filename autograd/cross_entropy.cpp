// One fused op: with p = softmax(z) and target distribution q (sum_c q_c = 1),
//   loss = -sum_c q_c log p_c   and   dloss/dz_c = p_c - q_c,
// so the backward needs only the saved log-probabilities.
#include "autograd/cross_entropy.hpp"

#include <cmath>

#include "autograd/engine.hpp"
#include "tensor/row_kernels.hpp"

namespace qkv {

Var cross_entropy(const Var& logits, const Tensor& targets, const CrossEntropyOptions& opt) {
    const char* op = "cross_entropy";
    if (logits.dim() < 1) fail(op, "logits must have a class dim, got shape ", shape_str(logits.shape()));
    if (targets.dtype() != DType::Int64) fail(op, "targets must be int64 class indices, got ", describe(targets));
    Shape expect(logits.shape().begin(), logits.shape().end() - 1);
    if (targets.shape() != expect)
        fail(op, "logits ", shape_str(logits.shape()), " need targets of shape ", shape_str(expect), ", got ",
             shape_str(targets.shape()));
    if (!(opt.label_smoothing >= 0.0 && opt.label_smoothing <= 1.0))
        fail(op, "label_smoothing must be in [0, 1], got ", opt.label_smoothing);

    const Shape in = logits.shape();
    const std::int64_t C = logits.size(-1), N = targets.numel();
    const Tensor logp = log_softmax(logits.data(), -1).reshape({N, C}).contiguous();  // (N, C)
    const std::vector<std::int64_t> t = targets.to_vector<std::int64_t>();
    const double eps = opt.label_smoothing;
    std::int64_t counted = 0;
    for (std::int64_t i = 0; i < N; ++i) {
        if (t[i] == opt.ignore_index) continue;
        if (t[i] < 0 || t[i] >= C) fail(op, "target ", t[i], " at position ", i, " is out of range for ", C, " classes");
        ++counted;
    }

    Tensor losses({N}, logits.dtype());  // per position
    dispatch_float(logits.dtype(), op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        const T* lp = logp.data<T>();
        T* out = losses.data<T>();
        for (std::int64_t i = 0; i < N; ++i) {
            if (t[i] == opt.ignore_index) continue;
            double all = 0;  // sum_c log p_c, for the smoothing term
            if (eps > 0)
                for (std::int64_t c = 0; c < C; ++c) all += lp[i * C + c];
            out[i] = static_cast<T>(-(1 - eps) * lp[i * C + t[i]] - eps / static_cast<double>(C) * all);
        }
    });

    // Mean over zero counted positions is 0 / 0 = NaN, as in PyTorch.
    const double scale = opt.reduction == Reduction::Mean ? 1.0 / static_cast<double>(counted) : 1.0;
    Tensor out = opt.reduction == Reduction::None ? losses.reshape(targets.shape()) : sum(losses) * scale;

    return record(op, out, {logits}, [=](const Tensor& g) -> Grads {
        // Per position weight: the upstream gradient (per position for None, else one scalar).
        const Tensor gw = opt.reduction == Reduction::None ? g.reshape({N}).contiguous() : g.reshape({1});
        Tensor dz({N, C}, logp.dtype());
        dispatch_float(logp.dtype(), "cross_entropy_backward", [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* lp = logp.data<T>();
            const T* gv = gw.data<T>();
            T* d = dz.data<T>();
            const T smooth = static_cast<T>(eps / static_cast<double>(C));  // q_c off the target
            rows::for_rows(N, C, [&](std::int64_t first, std::int64_t last) {
                for (std::int64_t i = first; i < last; ++i) {
                    if (t[i] == opt.ignore_index) continue;  // row stays zero
                    const T w = static_cast<T>((opt.reduction == Reduction::None ? gv[i] : gv[0]) * scale);
                    const T* lpi = lp + i * C;
                    T* di = d + i * C;
                    for (std::int64_t c = 0; c < C; ++c) di[c] = w * (fast::exp(lpi[c]) - smooth);
                    di[t[i]] -= w * static_cast<T>(1 - eps);  // q at the target: 1 - eps + eps / C
                }
            });
        });
        return {dz.reshape(in)};
    });
}

}  // namespace qkv
