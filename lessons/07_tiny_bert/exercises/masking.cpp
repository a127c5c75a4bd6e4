#include "lessons/07_tiny_bert/exercises/masking.hpp"

#include <cmath>
#include <cstring>

#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

nn::MaskedTokens mask_tokens(const Tensor& ids, const nn::Vocab& vocab, Generator& gen,
                             const nn::MaskingOptions& options) {
    // SOLUTION BEGIN 07.1
    if (ids.dim() != 2 || ids.dtype() != DType::Int64)
        fail("mask_tokens", "ids must be int64 (B, T), got ", describe(ids));
    std::vector<std::int64_t> ordinary;  // what a random replacement may be
    for (std::int64_t id = 0; id < vocab.size(); ++id)
        if (!vocab.is_special(id)) ordinary.push_back(id);
    const std::int64_t B = ids.size(0), T = ids.size(1);
    const std::vector<std::int64_t> original = ids.contiguous().to_vector<std::int64_t>();
    std::vector<std::int64_t> input = original, labels(original.size(), -100);
    std::vector<std::uint8_t> chosen(original.size(), 0);
    for (std::int64_t b = 0; b < B; ++b) {
        std::vector<std::size_t> candidates;  // flat positions of row b's ordinary tokens
        for (std::int64_t t = 0; t < T; ++t) {
            const auto pos = static_cast<std::size_t>(b * T + t);
            if (original[pos] < 0 || original[pos] >= vocab.size())
                fail("mask_tokens", "id ", original[pos], " at (", b, ", ", t, ") is outside the vocabulary");
            if (!vocab.is_special(original[pos])) candidates.push_back(pos);
        }
        if (candidates.empty()) continue;
        const auto n = static_cast<std::int64_t>(candidates.size());
        const std::int64_t k = std::max<std::int64_t>(1, std::llround(options.mlm_probability * static_cast<double>(n)));
        for (std::int64_t i = 0; i < k; ++i) {
            // A partial Fisher-Yates shuffle: position i takes a uniform pick of those not yet chosen.
            const auto j = i + static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(n - i)));
            std::swap(candidates[static_cast<std::size_t>(i)], candidates[static_cast<std::size_t>(j)]);
            const std::size_t pos = candidates[static_cast<std::size_t>(i)];
            chosen[pos] = 1;
            labels[pos] = original[pos];
            const double u = gen.uniform();
            if (u < options.mask_fraction)
                input[pos] = vocab.mask_id();                                  // 80%: [MASK]
            else if (u < options.mask_fraction + options.random_fraction)
                input[pos] = ordinary[gen.below(ordinary.size())];             // 10%: a random ordinary token
            // else 10%: unchanged
        }
    }
    nn::MaskedTokens out;
    out.input_ids = from_vector(input, {B, T});
    out.targets = from_vector(original, {B, T});
    out.labels = from_vector(labels, {B, T});
    out.chosen = zeros({B, T}, DType::Bool);
    std::memcpy(out.chosen.data<std::uint8_t>(), chosen.data(), chosen.size());  // bool: one byte each
    return out;
    // SOLUTION END 07.1
}

}  // namespace qkv::exercises
