// Exercise 04.3: one step of Bahdanau's decoder, built from your 04.1 score and 04.2 GRU step.
//
//   e_ij   = w_v^T tanh(W_q s_{i-1} + W_k h_j)      your additive_scores, the query is s_{i-1}
//   a_i    = softmax_j(e_ij), padding masked        nn::attend does the masked softmax and average
//   c_i    = sum_j a_ij h_j
//   s_i    = GRU([emb(y_{i-1}) ; c_i], s_{i-1})     your gru_step, with decoder.cell's weights
//
// Shapes: B = batch, S = source length, E = embedding, H = decoder state, 2H = annotation size.
#pragma once

#include "nn/seq2seq/bahdanau.hpp"

namespace qkv::exercises {

// The same contract as nn::BahdanauDecoder::step for a decoder WITH attention: prev_embedded
// (B, E), prev_state (B, H), memory from decoder.prepare() -> state (B, H), context (B, 2H),
// weights (B, S).
nn::DecoderStep decoder_step(nn::BahdanauDecoder& decoder, const Var& prev_embedded, const Var& prev_state,
                             const nn::DecoderMemory& memory);

// Seq2Seq::forward (teacher forcing) with decoder_step in place of the library's step: what
// `lesson04 --mine` trains with. Not an exercise: it only loops your step over the target.
nn::Seq2SeqOutput forward_mine(nn::Seq2Seq& model, const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in);

}  // namespace qkv::exercises

namespace qkv::exercises {

// Calls 04.1, 04.2 and 04.3 once on tiny inputs, in that order, so `--mine` can say which
// exercise to do first: throws qkv::NotImplemented naming the first unsolved one.
void probe_mine();

}  // namespace qkv::exercises
