#include "lessons/04_bahdanau_seq2seq/exercises/decoder_step.hpp"

#include "lessons/04_bahdanau_seq2seq/exercises/additive_score.hpp"
#include "lessons/04_bahdanau_seq2seq/exercises/gru_step.hpp"
#include "lessons/common/exercise.hpp"

namespace qkv::exercises {

nn::DecoderStep decoder_step(nn::BahdanauDecoder& decoder, const Var& prev_embedded, const Var& prev_state,
                             const nn::DecoderMemory& memory) {
    // SOLUTION BEGIN 04.3
    const nn::AdditiveAttention& att = *decoder.attention;
    // Query with s_{i-1}: s_i is what this step makes FROM the context, so it does not exist yet.
    const Var scores = additive_scores(prev_state.unsqueeze(1), memory.values,  // (B, 1, H), (B, S, 2H)
                                       att.W_q.weight, att.W_k.weight, att.w_v.weight);  // -> (B, 1, S)
    const nn::AttentionOutput a = nn::attend(scores, memory.values, memory.mask);  // masked softmax, weighted sum
    nn::DecoderStep out;
    out.context = a.output.squeeze(1);   // (B, 1, 2H) -> (B, 2H)
    out.weights = a.weights.squeeze(1);  // (B, 1, S) -> (B, S)
    const nn::GRUCell& cell = decoder.cell;
    out.state = gru_step(concat({prev_embedded, out.context}, 1), prev_state,  // (B, E + 2H), (B, H)
                         cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh);  // -> (B, H)
    return out;
    // SOLUTION END 04.3
}

nn::Seq2SeqOutput forward_mine(nn::Seq2Seq& model, const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in) {
    if (!model.decoder.use_attention()) fail("exercise 04.3", "forward_mine needs a model with attention");
    const nn::DecoderMemory memory = model.decoder.prepare(model.encoder(src, src_lengths));
    const Var embedded = model.decoder.embedding(tgt_in);  // (B, T, E)
    std::vector<Var> states, contexts, weights;
    Var s = model.decoder.initial_state(memory);  // (B, H)
    for (std::int64_t i = 0; i < tgt_in.size(1); ++i) {
        const nn::DecoderStep d = decoder_step(model.decoder, embedded.select(1, i), s, memory);
        s = d.state;
        states.push_back(d.state), contexts.push_back(d.context), weights.push_back(d.weights);
    }
    nn::Seq2SeqOutput out;
    out.logits = model.decoder.logits(stack(states, 1), stack(contexts, 1), embedded);  // (B, T, V)
    out.attention = stack(weights, 1);                                                  // (B, T, S)
    return out;
}

}  // namespace qkv::exercises

namespace qkv::exercises {

void probe_mine() {
    Generator gen(0);
    const Var x(zeros({1, 1, 2}));
    additive_scores(x, x, Var(zeros({2, 2})), Var(zeros({2, 2})), Var(zeros({1, 2})));  // 04.1
    const Var h(zeros({1, 2}));
    gru_step(h, h, Var(zeros({6, 2})), Var(zeros({6, 2})), Var(zeros({6})), Var(zeros({6})));  // 04.2
    nn::Seq2SeqConfig c;
    c.src_vocab = c.tgt_vocab = 4, c.embed_size = c.hidden_size = c.attention_size = 2;
    nn::Seq2Seq model(c, gen);
    const Tensor src = from_vector(std::vector<std::int64_t>{1, 2}, {1, 2});
    forward_mine(model, src, from_vector(std::vector<std::int64_t>{2}), src);  // 04.3
}

}  // namespace qkv::exercises
