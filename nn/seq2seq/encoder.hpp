// The encoder of an RNN encoder-decoder (Bahdanau, Cho and Bengio 2015): token embeddings read by
// a bidirectional GRU, so the annotation of source position j,
//
//   h_j = [ h_fwd_j ; h_bwd_j ]      (2H)
//
// summarises the whole sentence with a focus on the words around j: the forward GRU has read
// x_0 .. x_j, the backward GRU x_j .. x_{S-1}. The decoder's attention averages these annotations.
//
// Shapes: B = batch, S = source length (padded), E = embedding size, H = GRU hidden size.
#pragma once

#include <cstdint>
#include <vector>

#include "nn/embedding.hpp"
#include "nn/gru.hpp"

namespace qkv::nn {

struct EncoderOutput {
    Var states;           // (B, S, 2H): the annotations h_j, zero at padded positions
    Var final;            // (B, 2H): [forward h after the last real token ; backward h after token 0]
    Tensor padding_mask;  // (B, S) bool, true at padded positions (nn/data/batch.hpp's convention)
};

struct BiGRUEncoderOptions {
    std::int64_t padding_idx = 0;  // the [PAD] id, whose embedding stays zero
};

class BiGRUEncoder : public Module {
public:
    BiGRUEncoder(std::int64_t vocab_size, std::int64_t embed_size, std::int64_t hidden_size,
                 Generator& gen = default_generator())
        : BiGRUEncoder(vocab_size, embed_size, hidden_size, BiGRUEncoderOptions{}, gen) {}
    BiGRUEncoder(std::int64_t vocab_size, std::int64_t embed_size, std::int64_t hidden_size,
                 const BiGRUEncoderOptions& options, Generator& gen = default_generator());

    // src (B, S) int64 ids, padded at the end; lengths (B) int64, each in [1, S].
    EncoderOutput forward(const Tensor& src, const Tensor& lengths);
    EncoderOutput operator()(const Tensor& src, const Tensor& lengths) { return forward(src, lengths); }

    Embedding embedding;
    GRU gru;  // bidirectional, batch_first

    std::int64_t hidden_size() const { return gru.hidden_size; }
    void visit(Visitor& v) override;
    std::string type_name() const override { return "BiGRUEncoder"; }
    std::string describe() const override;
};

}  // namespace qkv::nn
