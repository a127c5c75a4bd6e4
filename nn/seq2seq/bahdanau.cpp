#include "nn/seq2seq/bahdanau.hpp"

namespace qkv::nn {

namespace {

const Seq2SeqConfig& checked(const Seq2SeqConfig& c) {
    if (c.src_vocab < 1 || c.tgt_vocab < 1 || c.embed_size < 1 || c.hidden_size < 1 || c.attention_size < 1)
        fail("Seq2Seq", "vocabulary, embedding, hidden and attention sizes must be >= 1, got src_vocab=",
             c.src_vocab, ", tgt_vocab=", c.tgt_vocab, ", embed=", c.embed_size, ", hidden=", c.hidden_size,
             ", attention=", c.attention_size);
    if (c.pad_id < 0 || c.pad_id >= c.src_vocab || c.pad_id >= c.tgt_vocab)
        fail("Seq2Seq", "pad_id ", c.pad_id, " is not an id of both vocabularies (", c.src_vocab, " and ",
             c.tgt_vocab, ")");
    return c;
}

}  // namespace

// ---- BahdanauDecoder ---------------------------------------------------------------------------

BahdanauDecoder::BahdanauDecoder(const Seq2SeqConfig& c, Generator& gen)
    : embedding(checked(c).tgt_vocab, c.embed_size, {.padding_idx = c.pad_id}, gen),
      init(2 * c.hidden_size, c.hidden_size, gen),
      attention(c.use_attention ? std::optional<AdditiveAttention>(std::in_place, c.hidden_size, 2 * c.hidden_size,
                                                                   c.attention_size, gen)
                                : std::nullopt),
      cell(c.embed_size + 2 * c.hidden_size, c.hidden_size, gen),
      output(c.hidden_size + 2 * c.hidden_size + c.embed_size, c.tgt_vocab, gen) {}

DecoderMemory BahdanauDecoder::prepare(const EncoderOutput& encoded) {
    DecoderMemory m;
    m.values = encoded.states;                        // (B, S, 2H)
    m.final = encoded.final;                          // (B, 2H)
    m.mask = encoded.padding_mask.unsqueeze(1);       // (B, 1, S): one query per step
    if (attention) m.keys = attention->project_keys(encoded.states);  // (B, S, A), once for all T steps
    return m;
}

Var BahdanauDecoder::initial_state(const DecoderMemory& memory) {
    return tanh(init(memory.final));  // (B, H)
}

DecoderStep BahdanauDecoder::step(const Var& prev_embedded, const Var& prev_state, const DecoderMemory& memory) {
    DecoderStep out;
    if (attention) {
        // The query is s_{i-1}: s_i is what this step computes from the context (see the header).
        const AttentionOutput a =
            attention->forward_projected(prev_state.unsqueeze(1), memory.keys, memory.values, memory.mask);
        out.context = a.output.squeeze(1);   // (B, 1, 2H) -> (B, 2H)
        out.weights = a.weights.squeeze(1);  // (B, 1, S) -> (B, S)
    } else {
        out.context = memory.final;          // (B, 2H): the same fixed summary at every step
    }
    out.state = cell(concat({prev_embedded, out.context}, 1), prev_state);  // (B, E + 2H), (B, H) -> (B, H)
    return out;
}

Var BahdanauDecoder::logits(const Var& state, const Var& context, const Var& prev_embedded) {
    const std::int64_t last = state.dim() - 1;
    return output(concat({state, context, prev_embedded}, last));  // (..., H + 2H + E) -> (..., V)
}

void BahdanauDecoder::visit(Visitor& v) {
    v.module("embedding", embedding);
    v.module("init", init);
    if (attention) v.module("attention", *attention);
    v.module("cell", cell);
    v.module("output", output);
}

std::string BahdanauDecoder::describe() const { return use_attention() ? "attention" : "no attention"; }

// ---- Seq2Seq -----------------------------------------------------------------------------------

Seq2Seq::Seq2Seq(const Seq2SeqConfig& c, Generator& gen)
    : config(checked(c)),
      encoder(c.src_vocab, c.embed_size, c.hidden_size, {.padding_idx = c.pad_id}, gen),
      decoder(c, gen) {}

Seq2SeqOutput Seq2Seq::forward(const Tensor& src, const Tensor& src_lengths, const Tensor& tgt_in) {
    const DecoderMemory memory = decoder.prepare(encoder(src, src_lengths));  // checks src first
    if (!tgt_in.defined() || tgt_in.dtype() != DType::Int64 || tgt_in.dim() != 2 || tgt_in.size(0) != src.size(0))
        fail("Seq2Seq", "tgt_in should be (B, T) int64 with B = ", src.size(0), " as src ", shape_str(src.shape()),
             ", got ", tgt_in.defined() ? shape_str(tgt_in.shape()) : "undefined");
    const Var embedded = decoder.embedding(tgt_in);  // (B, T, E): every step's input, looked up at once
    const std::int64_t T = tgt_in.size(1);
    std::vector<Var> states, contexts, weights;
    Var s = decoder.initial_state(memory);  // (B, H)
    for (std::int64_t i = 0; i < T; ++i) {
        const DecoderStep d = decoder.step(embedded.select(1, i), s, memory);
        s = d.state;
        states.push_back(d.state);
        contexts.push_back(d.context);
        if (d.weights.defined()) weights.push_back(d.weights);
    }
    // The output layer does not feed back under teacher forcing: one matmul for all T steps.
    Seq2SeqOutput out;
    out.logits = decoder.logits(stack(states, 1), stack(contexts, 1), embedded);  // (B, T, V)
    if (!weights.empty()) out.attention = stack(weights, 1);                       // (B, T, S)
    return out;
}

GreedyOutput Seq2Seq::greedy_decode(const Tensor& src, const Tensor& src_lengths, std::int64_t max_len,
                                    std::int64_t bos_id, std::int64_t eos_id) {
    if (max_len < 1) fail("Seq2Seq::greedy_decode", "max_len must be >= 1, got ", max_len);
    for (const std::int64_t id : {bos_id, eos_id})
        if (id < 0 || id >= config.tgt_vocab)
            fail("Seq2Seq::greedy_decode", "bos_id ", bos_id, " and eos_id ", eos_id, " must be target ids in [0, ",
                 config.tgt_vocab, ")");
    NoGradGuard no_grad;
    const DecoderMemory memory = decoder.prepare(encoder(src, src_lengths));
    const std::int64_t B = src.size(0), S = src.size(1);
    GreedyOutput out;
    out.tokens.resize(static_cast<std::size_t>(B));
    std::vector<bool> done(static_cast<std::size_t>(B), false);
    std::vector<Tensor> rows;  // per step, (B, S)
    Tensor prev = full({B}, static_cast<double>(bos_id), DType::Int64);  // (B)
    Var s = decoder.initial_state(memory);                                // (B, H)
    for (std::int64_t i = 0; i < max_len; ++i) {
        const Var e = decoder.embedding(prev);  // (B, E)
        const DecoderStep d = decoder.step(e, s, memory);
        s = d.state;
        const Tensor next = argmax(decoder.logits(d.state, d.context, e).data(), 1);  // (B)
        rows.push_back(d.weights.defined() ? d.weights.data() : zeros({B, S}));
        bool all_done = true;
        for (std::int64_t b = 0; b < B; ++b) {
            const auto k = static_cast<std::size_t>(b);
            const auto token = static_cast<std::int64_t>(next.at({b}));
            if (!done[k]) {
                if (token == eos_id) done[k] = true;
                else out.tokens[k].push_back(token);
            }
            all_done = all_done && done[k];
        }
        if (all_done) break;
        prev = next;
    }
    out.attention = stack(rows, 1).to(DType::Float32);  // (B, steps, S)
    return out;
}

void Seq2Seq::visit(Visitor& v) {
    v.module("encoder", encoder);
    v.module("decoder", decoder);
}

std::string Seq2Seq::describe() const {
    return cat("embed=", config.embed_size, ", hidden=", config.hidden_size,
               config.use_attention ? cat(", attention=", config.attention_size) : std::string(", no attention"));
}

}  // namespace qkv::nn
