#include "nn/seq2seq/encoder.hpp"

#include "nn/data/batch.hpp"

namespace qkv::nn {

BiGRUEncoder::BiGRUEncoder(std::int64_t vocab_size, std::int64_t embed_size, std::int64_t hidden_size,
                           const BiGRUEncoderOptions& options, Generator& gen)
    : embedding(vocab_size, embed_size, {.padding_idx = options.padding_idx}, gen),
      gru(embed_size, hidden_size, {.bidirectional = true}, gen) {}

EncoderOutput BiGRUEncoder::forward(const Tensor& src, const Tensor& lengths) {
    const char* op = "BiGRUEncoder";
    if (!src.defined() || src.dtype() != DType::Int64 || src.dim() != 2)
        fail(op, "src should be (B, S) int64 ids, got ", src.defined() ? dtype_name(src.dtype()) : "undefined", " ",
             src.defined() ? shape_str(src.shape()) : "");
    const std::vector<std::int64_t> lens = rnn::lengths_from_tensor(op, lengths);
    if (static_cast<std::int64_t>(lens.size()) != src.size(0))
        fail(op, lens.size(), " lengths for src ", shape_str(src.shape()));
    for (std::int64_t n : lens)
        if (n < 1 || n > src.size(1))
            fail(op, "source length ", n, " outside [1, ", src.size(1), "] for src ", shape_str(src.shape()));

    const Var x = embedding(src);             // (B, S, E)
    const GRUOutput out = gru(x, Var(), lens);  // output (B, S, 2H), h_n (2, B, H)
    // h_n[0] is the forward state after the last real token, h_n[1] the backward state after
    // reading back to token 0: together, the fixed-size summary a decoder without attention gets.
    const Var final = concat({out.h_n.select(0, 0), out.h_n.select(0, 1)}, 1);  // (B, 2H)
    return {out.output, final, key_padding_mask(lengths, src.size(1))};
}

void BiGRUEncoder::visit(Visitor& v) {
    v.module("embedding", embedding);
    v.module("gru", gru);
}

std::string BiGRUEncoder::describe() const {
    return cat("vocab=", embedding.num_embeddings(), ", embed=", embedding.embedding_dim(), ", hidden=", gru.hidden_size,
               " per direction");
}

}  // namespace qkv::nn
