// Embedding: a lookup table of learned vectors, one row per token id, as torch.nn.Embedding.
//
//   ids (...) int64 in [0, num_embeddings)  ->  (..., embedding_dim)
//
// Looking up row i is the same as multiplying a one-hot vector by the weight, so row i's
// gradient is the sum of the output gradients at every position holding id i.
#pragma once

#include "nn/module.hpp"

namespace qkv::nn {

struct EmbeddingOptions {
    // A row that stays a zero vector (-1: none): zeroed at construction, and never given a
    // gradient, so training leaves it alone. The [PAD] id, typically.
    std::int64_t padding_idx = -1;
};

class Embedding : public Module {
public:
    // weight ~ N(0, 1), as PyTorch.
    Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator& gen = default_generator())
        : Embedding(num_embeddings, embedding_dim, EmbeddingOptions{}, gen) {}
    Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, const EmbeddingOptions& options,
              Generator& gen = default_generator());

    Var weight;  // (num_embeddings, embedding_dim)

    // Throws on an id outside [0, num_embeddings), naming the id and where it was.
    Var forward(const Tensor& ids);
    Var operator()(const Tensor& ids) { return forward(ids); }

    std::int64_t num_embeddings() const { return num_; }
    std::int64_t embedding_dim() const { return dim_; }
    std::int64_t padding_idx() const { return padding_idx_; }

    void visit(Visitor& v) override { v.param("weight", weight); }
    std::string type_name() const override { return "Embedding"; }
    std::string describe() const override;  // "num=10, dim=4" (+ ", padding_idx=0")

private:
    void check_ids(const Tensor& ids) const;
    std::int64_t num_, dim_, padding_idx_;
};

}  // namespace qkv::nn
