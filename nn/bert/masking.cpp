#include "nn/bert/masking.hpp"

#include <cmath>

namespace qkv::nn {

MaskedTokens mask_tokens(const Tensor& ids, const Vocab& vocab, Generator& gen, const MaskingOptions& options) {
    if (ids.dim() != 2 || ids.dtype() != DType::Int64)
        fail("mask_tokens", "ids must be int64 (B, T), got ", qkv::describe(ids));
    const double keep_fraction = 1.0 - options.mask_fraction - options.random_fraction;
    // Written so that a NaN, which fails every comparison, is refused too.
    if (!(options.mlm_probability > 0 && options.mlm_probability <= 1) ||
        !(options.mask_fraction >= 0 && options.mask_fraction <= 1) ||
        !(options.random_fraction >= 0 && options.random_fraction <= 1) || !(keep_fraction >= -1e-12))
        fail("mask_tokens", "need 0 < mlm_probability <= 1 and mask_fraction + random_fraction <= 1, got ",
             options.mlm_probability, ", ", options.mask_fraction, ", ", options.random_fraction);

    std::vector<std::int64_t> ordinary;  // what a random replacement may be
    for (std::int64_t id = 0; id < vocab.size(); ++id)
        if (!vocab.is_special(id)) ordinary.push_back(id);
    if (ordinary.empty()) fail("mask_tokens", "the vocabulary has no ordinary tokens");
    const std::int64_t mask_id = vocab.mask_id();

    const std::int64_t B = ids.size(0), T = ids.size(1);
    std::vector<std::int64_t> original = ids.to_vector<std::int64_t>();  // (B*T), row-major
    std::vector<std::int64_t> input = original;
    std::vector<std::int64_t> labels(original.size(), -100);
    std::vector<bool> chosen(original.size(), false);

    for (std::int64_t b = 0; b < B; ++b) {
        std::vector<std::int64_t> candidates;  // positions of ordinary tokens in row b
        for (std::int64_t t = 0; t < T; ++t) {
            const std::int64_t id = original[static_cast<std::size_t>(b * T + t)];
            if (id < 0 || id >= vocab.size())
                fail("mask_tokens", "id ", id, " at (", b, ", ", t, ") is outside the vocabulary of ", vocab.size());
            if (!vocab.is_special(id)) candidates.push_back(b * T + t);
        }
        if (candidates.empty()) continue;
        const auto n = static_cast<std::int64_t>(candidates.size());
        const std::int64_t k = std::max<std::int64_t>(1, std::llround(options.mlm_probability * static_cast<double>(n)));
        // The first k of a random shuffle (Fisher-Yates, drawn from the back) are the targets.
        for (std::int64_t i = n - 1; i >= n - k; --i) {
            const auto j = static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(i + 1)));
            std::swap(candidates[static_cast<std::size_t>(i)], candidates[static_cast<std::size_t>(j)]);
            const auto pos = static_cast<std::size_t>(candidates[static_cast<std::size_t>(i)]);
            chosen[pos] = true;
            labels[pos] = original[pos];
            const double u = gen.uniform();
            if (u < options.mask_fraction)
                input[pos] = mask_id;
            else if (u < options.mask_fraction + options.random_fraction)
                input[pos] = ordinary[gen.below(ordinary.size())];
            // else: the token stays as it was
        }
    }

    MaskedTokens out;
    out.input_ids = from_vector(input, {B, T});
    out.targets = from_vector(original, {B, T});
    out.labels = from_vector(labels, {B, T});
    out.chosen = zeros({B, T}, DType::Bool);
    std::uint8_t* c = out.chosen.data<std::uint8_t>();  // bool tensors store one byte each
    for (std::size_t i = 0; i < chosen.size(); ++i) c[i] = chosen[i] ? 1 : 0;
    return out;
}

}  // namespace qkv::nn
