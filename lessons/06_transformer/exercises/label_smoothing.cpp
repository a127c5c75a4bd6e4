#include "lessons/06_transformer/exercises/label_smoothing.hpp"

#include <vector>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

Var label_smoothed_cross_entropy(const Var& logits, const Tensor& targets, double smoothing, std::int64_t pad_id) {
    // SOLUTION BEGIN 06.3
    const std::int64_t V = logits.size(-1);
    if (targets.dtype() != DType::Int64 || targets.numel() * V != logits.numel())
        fail("label_smoothed_cross_entropy", "targets ", describe(targets), " do not match logits ",
             shape_str(logits.shape()));
    // The target distributions q, one row per position, built in plain numbers (no gradient).
    const std::vector<std::int64_t> t = targets.contiguous().to_vector<std::int64_t>();
    std::vector<double> q(t.size() * static_cast<std::size_t>(V), 0.0);
    std::int64_t counted = 0;
    for (std::size_t n = 0; n < t.size(); ++n) {
        if (t[n] == pad_id) continue;  // a padding position: its row stays zero
        ++counted;
        for (std::int64_t c = 0; c < V; ++c)
            q[n * static_cast<std::size_t>(V) + static_cast<std::size_t>(c)] =
                c == t[n] ? 1.0 - smoothing : c == pad_id ? 0.0 : smoothing / static_cast<double>(V - 2);
    }
    const Var logp = log_softmax(logits.reshape({-1, V}), 1);                              // (N, V)
    const Var dist(from_vector(q, {static_cast<std::int64_t>(t.size()), V}).to(logits.dtype()));  // (N, V)
    const Var total = -sum(dist * logp);  // cross-entropy summed over the non-padding positions
    return counted ? total / static_cast<double>(counted) : total;  // all padding: 0 (q is all zero)
    // SOLUTION END 06.3
}

}  // namespace qkv::exercises
