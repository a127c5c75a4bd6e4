#include "nn/bert/classification.hpp"

#include "nn/state_dict.hpp"

namespace qkv::nn {

BertForSequenceClassification::BertForSequenceClassification(const BertConfig& config, std::int64_t num_labels,
                                                             Generator& gen)
    : bert(config, gen), dropout(config.hidden_dropout_prob, gen), classifier(config.hidden_size, num_labels, gen) {
    init_bert_weights(classifier, config.initializer_range, gen);
}

Var BertForSequenceClassification::forward(const Tensor& input_ids, const Tensor& token_type_ids,
                                           const Tensor& padding_mask) {
    const BertOutput out = bert.forward(input_ids, token_type_ids, padding_mask);
    return classifier(dropout(out.pooler_output));  // (B, D) -> (B, num_labels)
}

void BertForSequenceClassification::load_pretrained(BertForPreTraining& pretrained) {
    load_state_dict(bert, state_dict(pretrained.bert));  // strict: every name and shape must agree
}

void BertForSequenceClassification::visit(Visitor& v) {
    v.module("bert", bert);
    v.module("dropout", dropout);
    v.module("classifier", classifier);
}

}  // namespace qkv::nn
