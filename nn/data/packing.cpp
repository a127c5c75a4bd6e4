#include "nn/data/packing.hpp"

#include "tensor/tensor.hpp"

namespace qkv::nn {

Tensor cu_seqlens_from_lengths(const Tensor& lengths) {
    if (lengths.dtype() != DType::Int64 || lengths.dim() != 1)
        fail("cu_seqlens_from_lengths", "lengths must be 1-d int64, got ", describe(lengths));
    std::vector<std::int64_t> cu{0};
    for (std::int64_t n : lengths.to_vector<std::int64_t>()) {
        if (n < 0) fail("cu_seqlens_from_lengths", "a length is negative: ", n);
        cu.push_back(cu.back() + n);  // sequence s ends where s + 1 starts
    }
    return from_vector(cu);
}

PackedBatch pack_sequences(const std::vector<std::vector<std::int64_t>>& seqs) {
    std::vector<std::int64_t> ids, positions, lengths;
    for (const auto& s : seqs) {
        lengths.push_back(static_cast<std::int64_t>(s.size()));
        for (std::size_t t = 0; t < s.size(); ++t) {
            ids.push_back(s[t]);
            positions.push_back(static_cast<std::int64_t>(t));
        }
    }
    return {from_vector(ids), cu_seqlens_from_lengths(from_vector(lengths)), from_vector(positions)};
}

}  // namespace qkv::nn
