#include "nn/bert/pretraining.hpp"

namespace qkv::nn {

BertForPreTraining::BertForPreTraining(const BertConfig& config, Generator& gen)
    : bert(config, gen),
      transform_dense(config.hidden_size, config.hidden_size, gen),
      transform_norm(config.hidden_size, {.eps = config.layer_norm_eps}),
      decoder_bias(parameter(zeros({config.vocab_size}))),
      seq_relationship(config.hidden_size, 2, gen) {
    init_bert_weights(transform_dense, config.initializer_range, gen);
    init_bert_weights(seq_relationship, config.initializer_range, gen);
}

Var BertForPreTraining::mlm_head(const Var& hidden) {
    const Var& E = bert.embeddings.word_embeddings.weight;  // (V, D), shared with the input
    const std::int64_t D = E.size(1);
    const bool tanh_gelu = config().hidden_act != "gelu";
    const Var inner = transform_dense(hidden);                            // (..., D)
    const Var h = transform_norm(tanh_gelu ? gelu_tanh(inner) : gelu(inner));  // (..., D)
    Shape out_shape = h.shape();
    out_shape.back() = E.size(0);
    const Var logits = matmul(h.reshape({-1, D}), E.t()) + decoder_bias;  // (N, D) @ (D, V) -> (N, V)
    return logits.reshape(out_shape);                                     // (..., V)
}

PreTrainingOutput BertForPreTraining::forward(const Tensor& input_ids, const Tensor& token_type_ids,
                                              const Tensor& padding_mask) {
    const BertOutput out = bert.forward(input_ids, token_type_ids, padding_mask);
    return {mlm_head(out.last_hidden_state),            // (B, T, V)
            seq_relationship(out.pooler_output)};       // (B, 2)
}

void BertForPreTraining::visit(Visitor& v) {
    v.module("bert", bert);
    v.module("cls.predictions.transform.dense", transform_dense);
    v.module("cls.predictions.transform.LayerNorm", transform_norm);
    v.param("cls.predictions.bias", decoder_bias);
    v.module("cls.seq_relationship", seq_relationship);
}

Var masked_lm_loss(const Var& mlm_logits, const Tensor& targets, const Tensor& chosen) {
    if (mlm_logits.dim() != 3 || targets.dtype() != DType::Int64 || chosen.dtype() != DType::Bool ||
        targets.shape() != chosen.shape() || targets.dim() != 2 || targets.size(0) != mlm_logits.size(0) ||
        targets.size(1) != mlm_logits.size(1))
        fail("masked_lm_loss", "expected logits (B, T, V), int64 targets (B, T) and bool chosen (B, T), got ",
             shape_str(mlm_logits.shape()), ", ", qkv::describe(targets), ", ", qkv::describe(chosen));
    if (sum(chosen.to(DType::Int64)).item() == 0)
        fail("masked_lm_loss", "no position of chosen ", shape_str(chosen.shape()),
             " is true: a mean over zero targets is undefined");
    // Unchosen positions get the label -100, which cross_entropy skips: no loss, no gradient,
    // and the mean divides by the number of chosen positions only.
    const Tensor labels = where(chosen, targets, full(targets.shape(), static_cast<double>(ignore_label), DType::Int64));
    CrossEntropyOptions options;
    options.ignore_index = ignore_label;
    return cross_entropy(mlm_logits, labels, options);
}

Var masked_lm_loss_at_chosen(BertForPreTraining& model, const Var& hidden_states, const Tensor& targets,
                             const Tensor& chosen) {
    if (hidden_states.dim() != 3 || chosen.dtype() != DType::Bool || targets.dtype() != DType::Int64 ||
        chosen.shape() != targets.shape() || targets.dim() != 2 || targets.size(0) != hidden_states.size(0) ||
        targets.size(1) != hidden_states.size(1))
        fail("masked_lm_loss_at_chosen", "expected hidden (B, T, D), int64 targets (B, T) and bool chosen (B, T), got ",
             shape_str(hidden_states.shape()), ", ", qkv::describe(targets), ", ", qkv::describe(chosen));
    const std::vector<std::uint8_t> c = chosen.contiguous().to_vector<std::uint8_t>();
    const std::vector<std::int64_t> t = targets.contiguous().to_vector<std::int64_t>();
    std::vector<std::int64_t> rows, labels;  // flat positions b * T + t of the chosen, and their tokens
    for (std::size_t i = 0; i < c.size(); ++i)
        if (c[i]) rows.push_back(static_cast<std::int64_t>(i)), labels.push_back(t[i]);
    if (rows.empty())
        fail("masked_lm_loss_at_chosen", "no position of chosen ", shape_str(chosen.shape()),
             " is true: a mean over zero targets is undefined");
    const Var flat = hidden_states.reshape({-1, hidden_states.size(2)});  // (B*T, D)
    const Var picked = index_select(flat, 0, from_vector(rows));           // (N, D)
    return cross_entropy(model.mlm_head(picked), from_vector(labels));     // (N, V) against (N)
}

Var next_sentence_loss(const Var& nsp_logits, const Tensor& is_random_next) {
    if (nsp_logits.dim() != 2 || nsp_logits.size(1) != 2)
        fail("next_sentence_loss", "nsp_logits must be (B, 2), got ", shape_str(nsp_logits.shape()));
    return cross_entropy(nsp_logits, is_random_next);
}

}  // namespace qkv::nn
