// An RNN encoder-decoder with additive attention (Bahdanau, Cho and Bengio 2015, "Neural Machine
// Translation by Jointly Learning to Align and Translate"), and the same model without attention
// (Cho et al. 2014's RNN Encoder-Decoder), for comparison.
//
// Shapes: B = batch, S = source length, T = target length, E = embedding size,
//         H = hidden size (encoder per direction and decoder), A = attention size, V = target vocab.
//
// The encoder (encoder.hpp) turns the source into annotations h_1 .. h_S (2H each). Output
// token i is then produced in four moves, in this order:
//
//   e_ij  = w_v^T tanh(W_q s_{i-1} + W_k h_j)        score every source position (additive.hpp)
//   a_i   = softmax_j(e_ij)                          padded positions masked: weight exactly 0
//   c_i   = sum_j a_ij h_j                           the context: where the decoder looks
//   s_i   = GRUCell([emb(y_{i-1}) ; c_i], s_{i-1})   the context enters the recurrence...
//   p(y_i) = softmax(W_o [s_i ; c_i ; emb(y_{i-1})] + b_o)   ...and the output layer
//
// WHY THE QUERY IS s_{i-1}, THE PREVIOUS STATE: c_i is an input of the step that makes s_i, so
// s_i cannot be used to compute c_i: it does not exist yet. The decoder asks "where should I look
// next?" with what it knows after emitting y_{i-1}, which is s_{i-1}. (Luong et al. 2015 order it
// the other way: compute s_i first without the context, then attend with s_i and use the context
// only in the output layer. Both are sound; mixing them, querying with s_i and also feeding c_i
// into the step that makes s_i, is circular.)
//
// s_0 = tanh(W_init [h_fwd_S ; h_bwd_1]) starts the decoder from the encoder's final states.
//
// Without attention (use_attention = false) the context is the same at every step: the
// encoder's final states [h_fwd_S ; h_bwd_1], a fixed 2H-vector however long the source is. The
// rest of the model is identical, so any difference between the two is attention's doing.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "nn/attention/additive.hpp"
#include "nn/gru.hpp"
#include "nn/linear.hpp"
#include "nn/seq2seq/encoder.hpp"

namespace qkv::nn {

struct Seq2SeqConfig {
    std::int64_t src_vocab = 0;
    std::int64_t tgt_vocab = 0;
    std::int64_t embed_size = 32;
    std::int64_t hidden_size = 64;     // per encoder direction, and the decoder's state
    std::int64_t attention_size = 64;  // the hidden layer of the additive score
    bool use_attention = true;
    std::int64_t pad_id = 0;           // [PAD] in both vocabularies
};

// What every decoder step reads from the encoder, prepared once per batch.
struct DecoderMemory {
    Var values;    // (B, S, 2H): the annotations h_j
    Var keys;      // (B, S, A): W_k h_j, projected once for all steps (undefined without attention)
    Tensor mask;   // (B, 1, S) bool, true at padding
    Var final;     // (B, 2H): the encoder's final states
};

struct DecoderStep {
    Var state;    // (B, H): s_i
    Var context;  // (B, 2H): c_i
    Var weights;  // (B, S): a_i, each row sums to 1 over the real source positions (undefined without attention)
};

class BahdanauDecoder : public Module {
public:
    BahdanauDecoder(const Seq2SeqConfig& config, Generator& gen = default_generator());

    DecoderMemory prepare(const EncoderOutput& encoded);
    Var initial_state(const DecoderMemory& memory);  // s_0 (B, H)
    // One step: prev_embedded = emb(y_{i-1}) (B, E), prev_state = s_{i-1} (B, H).
    DecoderStep step(const Var& prev_embedded, const Var& prev_state, const DecoderMemory& memory);
    // W_o [s ; c ; emb(y_prev)] + b_o over the last dim: (..., H), (..., 2H), (..., E) -> (..., V).
    Var logits(const Var& state, const Var& context, const Var& prev_embedded);

    Embedding embedding;                       // target tokens
    Linear init;                               // 2H -> H, for s_0
    std::optional<AdditiveAttention> attention;  // query H, keys 2H; absent without attention
    GRUCell cell;                              // input E + 2H, hidden H
    Linear output;                             // H + 2H + E -> V

    bool use_attention() const { return attention.has_value(); }
    void visit(Visitor& v) override;
    std::string type_name() const override { return "BahdanauDecoder"; }
    std::string describe() const override;
};

struct Seq2SeqOutput {
    Var logits;     // (B, T, V)
    Var attention;  // (B, T, S): row i is a_i, the alignment of output token i (undefined without attention)
};

struct GreedyOutput {
    std::vector<std::vector<std::int64_t>> tokens;  // per sequence, up to and without [EOS]
    Tensor attention;  // (B, steps, S) float32, zero-filled without attention; steps <= max_len
};

class Seq2Seq : public Module {
public:
    explicit Seq2Seq(const Seq2SeqConfig& config, Generator& gen = default_generator());

    // Teacher forcing: the decoder reads the true previous token at every step.
    // src (B, S) int64, src_lengths (B) int64, tgt_in (B, T) int64 = [BOS] y_0 .. y_{T-2}.
    Seq2SeqOutput forward(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in);
    Seq2SeqOutput operator()(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in) {
        return forward(src, src_lengths, tgt_in);
    }

    // Greedy decoding: the decoder reads its own previous choice (argmax), from [BOS], until
    // every sequence has produced [EOS] or max_len tokens (the [EOS] counted). No gradients.
    GreedyOutput greedy_decode(const Tensor& src, const Tensor& src_lengths, std::int64_t max_len,
                               std::int64_t bos_id, std::int64_t eos_id);

    Seq2SeqConfig config;
    BiGRUEncoder encoder;
    BahdanauDecoder decoder;

    void visit(Visitor& v) override;
    std::string type_name() const override { return "Seq2Seq"; }
    std::string describe() const override;
};

}  // namespace qkv::nn
