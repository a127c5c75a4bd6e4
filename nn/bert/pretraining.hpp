// BERT pre-training (预训练): the model and its two heads, as Hugging Face's BertForPreTraining.
//
// Masked language model (掩码语言模型, MLM): some input tokens were replaced (mostly by [MASK],
// see masking.hpp); from the final hidden state of each position the head predicts which
// token was there:
//
//   h' = LayerNorm(GELU(h W_t + b_t))              cls.predictions.transform.{dense, LayerNorm}
//   logits = h' E^T + b                            E = bert.embeddings.word_embeddings.weight (V, D)
//
// The decoder's weight is the input embedding matrix itself (weight tying, 权重共享): a token's
// input vector is also the template its output score is the dot product with. Only the bias
// cls.predictions.bias (V) is the head's own. So the decoder adds V extra numbers, not V * D.
//
// Next-sentence prediction (下一句预测, NSP): from the pooled [CLS] vector, is B the sentence
// that followed A in the corpus (label 0, "IsNext") or a random one (label 1, "NotNext")?
//
//   nsp_logits = pooler_output W_s + b_s          cls.seq_relationship (D -> 2)
//
// Shapes: B = batch, T = tokens, D = hidden_size, V = vocab_size.
#pragma once

#include "nn/bert/bert_model.hpp"

namespace qkv::nn {

struct PreTrainingOutput {
    Var mlm_logits;               // (B, T, V): scores of every vocabulary entry at every position
    Var nsp_logits;               // (B, 2): [IsNext, NotNext]
};

class BertForPreTraining : public Module {
public:
    explicit BertForPreTraining(const BertConfig& config, Generator& gen = default_generator());

    BertModel bert;
    Linear transform_dense;      // cls.predictions.transform.dense (D -> D)
    LayerNorm transform_norm;    // cls.predictions.transform.LayerNorm
    Var decoder_bias;            // cls.predictions.bias (V)
    Linear seq_relationship;     // cls.seq_relationship (D -> 2)

    PreTrainingOutput forward(const Tensor& input_ids, const Tensor& token_type_ids = Tensor(),
                              const Tensor& padding_mask = Tensor());
    PreTrainingOutput operator()(const Tensor& input_ids, const Tensor& token_type_ids = Tensor(),
                                 const Tensor& padding_mask = Tensor()) {
        return forward(input_ids, token_type_ids, padding_mask);
    }

    // The MLM head alone: hidden (..., D) -> logits (..., V). Lets a caller score only the
    // positions it needs (the chosen ones), as the original TensorFlow code did.
    Var mlm_head(const Var& hidden);

    std::vector<Tensor> attention_weights() const { return bert.attention_weights(); }  // as BertModel's

    const BertConfig& config() const { return bert.config(); }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "BertForPreTraining"; }
};

// The loss labels use Hugging Face's convention: -100 means "not a prediction target".
inline constexpr std::int64_t ignore_label = -100;

// The MLM loss over the chosen positions only: the mean of -log p(target) over the positions
// where `chosen` (B, T) bool is true. `targets` (B, T) int64 holds the original tokens; its
// values elsewhere (the unchosen positions, the padding) do not matter at all. Throws when no
// position is chosen (a mean over nothing would be NaN).
//
// Why it matters: a loss over every position asks the model to copy the visible tokens,
// which it can do from the token's own embedding without any context; those easy positions
// (85% of them, plus the padding) then swamp the 15% that teach. A tutorial mistake, and HF's
// labels of -100 exist to prevent it.
Var masked_lm_loss(const Var& mlm_logits, const Tensor& targets, const Tensor& chosen);

// The same loss computed as the original TensorFlow code does it: the MLM head runs only at the
// chosen positions (about 15% of them), so the (B, T, V) logits of every position are never
// made. hidden_states (B, T, D) is bert's last_hidden_state; targets and chosen as above.
Var masked_lm_loss_at_chosen(BertForPreTraining& model, const Var& hidden_states, const Tensor& targets,
                             const Tensor& chosen);

// NSP: cross-entropy of nsp_logits (B, 2) against is_random_next (B) int64 (0 = IsNext, 1 = NotNext).
Var next_sentence_loss(const Var& nsp_logits, const Tensor& is_random_next);

}  // namespace qkv::nn
