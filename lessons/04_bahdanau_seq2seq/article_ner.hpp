// 解码注意力Attention机制, section 四, "命名实体识别(NER)": the article's NERModel, run on small
// inputs. Its LSTM is sequence-first (PyTorch's default, batch_first=False), so rnn_output is
// (T, B, 2H) and the attention scores tanh(Linear(rnn_output)) are (T, B, 1). The article then
// calls softmax(dim=1) and sum(dim=1): dim 1 is the BATCH. Each position's weights sum to 1 across
// the sentences of the batch, one sentence's weights depend on the other sentences, and the
// "sentence vector" comes out as one vector per position, (T, 2H), instead of one per sentence.
#pragma once

#include <cstdint>

#include "tensor/tensor.hpp"

namespace qkv::lesson04 {

struct NerSoftmax {
    std::int64_t T = 0, B = 0, features = 0;  // sequence length, batch, 2H
    Tensor article_sums_over_batch;   // (T): sum over dim 1 of the article's weights, all 1
    Tensor article_sums_per_sentence; // (B): sum over the sequence, what should be 1, is not
    double article_leak = 0;          // change of sentence 0's weights when only sentence 1 changes
    double right_leak = 0;            // the same with softmax over dim 0, the sequence: exactly 0
    Shape article_pooled_shape;       // sum(rnn_output * weights, dim=1): (T, 2H)
    Shape right_pooled_shape;         // sum over dim 0: (B, 2H), one vector per sentence
};

// Random rnn_output (T, B, 2H) = (5, 3, 4) and a random scoring row, from `seed`.
NerSoftmax ner_softmax_over_batch(std::uint64_t seed);

}  // namespace qkv::lesson04
