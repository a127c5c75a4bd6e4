#include "nn/embedding.hpp"

#include "nn/init.hpp"

namespace qkv::nn {

Embedding::Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, const EmbeddingOptions& options,
                     Generator& gen)
    : num_(num_embeddings), dim_(embedding_dim), padding_idx_(options.padding_idx) {
    if (num_ < 1 || dim_ < 1)
        fail("Embedding", "num_embeddings and embedding_dim must be >= 1, got ", num_, " and ", dim_);
    if (padding_idx_ < -1 || padding_idx_ >= num_)
        fail("Embedding", "padding_idx ", padding_idx_, " is out of range for num_embeddings ", num_,
             " (use -1 for no padding row)");
    weight = parameter(zeros({num_, dim_}));
    init::normal_(weight.data(), 0.0, 1.0, gen);
    if (padding_idx_ >= 0) init::zeros_(weight.data().select(0, padding_idx_));
}

void Embedding::check_ids(const Tensor& ids) const {
    if (ids.dtype() != DType::Int64) fail("Embedding", "ids must be int64, got ", qkv::describe(ids));
    const std::vector<std::int64_t> values = ids.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < values.size(); ++i)
        if (values[i] < 0 || values[i] >= num_)
            fail("Embedding", "id ", values[i], " at position ", shape_str(unravel_index(static_cast<std::int64_t>(i), ids.shape())),
                 " of ids ", shape_str(ids.shape()), " is out of range for num_embeddings ", num_);
}

Var Embedding::forward(const Tensor& ids) {
    check_ids(ids);
    // The padding row keeps its value but receives no gradient (embedding() zeroes it).
    return embedding(weight, ids, padding_idx_);  // (..., dim)
}

std::string Embedding::describe() const {
    std::string s = cat("num=", num_, ", dim=", dim_);
    if (padding_idx_ >= 0) s += cat(", padding_idx=", padding_idx_);
    return s;
}

}  // namespace qkv::nn
