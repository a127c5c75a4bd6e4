#include "nn/data/batch.hpp"

#include <algorithm>

#include "tensor/error.hpp"

namespace qkv::nn {

PaddedBatch pad_batch(const std::vector<std::vector<std::int64_t>>& seqs, std::int64_t pad_id,
                      std::optional<std::int64_t> max_len, bool truncate) {
    if (seqs.empty()) fail("pad_batch", "the batch holds no sequences");
    std::size_t longest = 0;
    for (const auto& s : seqs) longest = std::max(longest, s.size());
    if (max_len && *max_len < 1) fail("pad_batch", "max_len must be >= 1, got ", *max_len);
    const auto T = max_len ? *max_len : static_cast<std::int64_t>(longest);
    const auto B = static_cast<std::int64_t>(seqs.size());

    std::vector<std::int64_t> lengths(seqs.size());
    for (std::size_t b = 0; b < seqs.size(); ++b) {
        const auto n = static_cast<std::int64_t>(seqs[b].size());
        if (n > T && !truncate)
            fail("pad_batch", "sequence ", b, " has ", n, " ids, more than max_len = ", T,
                 " (pass truncate = true to cut it)");
        lengths[b] = std::min(n, T);
    }

    Tensor ids({B, T}, DType::Int64);  // contiguous: element (b, t) is at b * T + t
    std::int64_t* out = ids.data<std::int64_t>();
    for (std::int64_t b = 0; b < B; ++b) {
        const auto& s = seqs[static_cast<std::size_t>(b)];
        for (std::int64_t t = 0; t < T; ++t)
            out[b * T + t] = t < lengths[static_cast<std::size_t>(b)] ? s[static_cast<std::size_t>(t)] : pad_id;
    }
    Tensor length_tensor({B}, DType::Int64);
    std::copy(lengths.begin(), lengths.end(), length_tensor.data<std::int64_t>());
    return {ids, length_tensor, key_padding_mask(length_tensor, T)};
}

Tensor key_padding_mask(const Tensor& lengths, std::int64_t T) {
    if (lengths.dtype() != DType::Int64 || lengths.dim() != 1)
        fail("key_padding_mask", "lengths must be a 1-d int64 tensor, got ", describe(lengths));
    if (T < 0) fail("key_padding_mask", "T must be >= 0, got ", T);
    const std::vector<std::int64_t> lens = lengths.to_vector<std::int64_t>();
    const auto B = static_cast<std::int64_t>(lens.size());
    Tensor mask({B, T}, DType::Bool);
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (std::int64_t b = 0; b < B; ++b) {
        const std::int64_t len = lens[static_cast<std::size_t>(b)];
        if (len < 0 || len > T) fail("key_padding_mask", "lengths[", b, "] = ", len, " is outside [0, T = ", T, "]");
        for (std::int64_t t = 0; t < T; ++t) m[b * T + t] = t >= len;
    }
    return mask;
}

}  // namespace qkv::nn
