// Fine-tuning (微调) BERT for a sentence-level label, as Hugging Face's
// BertForSequenceClassification: dropout and one Linear on the pooled [CLS] vector.
//
//   logits = Dropout(pooler_output) W_c + b_c        classifier (D -> num_labels)
//
// Every weight of `bert` trains too, starting from the pre-trained ones (load_pretrained) or
// from BERT's random initialisation; only the classifier is new.
//
// Shapes: B = batch, T = tokens, D = hidden_size.
// Parameter names: bert.*, classifier.{weight,bias}.
#pragma once

#include "nn/bert/bert_model.hpp"
#include "nn/bert/pretraining.hpp"

namespace qkv::nn {

class BertForSequenceClassification : public Module {
public:
    BertForSequenceClassification(const BertConfig& config, std::int64_t num_labels,
                                  Generator& gen = default_generator());

    BertModel bert;
    Dropout dropout;
    Linear classifier;

    // -> logits (B, num_labels). Arguments as BertModel::forward.
    Var forward(const Tensor& input_ids, const Tensor& token_type_ids = Tensor(),
                const Tensor& padding_mask = Tensor());
    Var operator()(const Tensor& input_ids, const Tensor& token_type_ids = Tensor(),
                   const Tensor& padding_mask = Tensor()) {
        return forward(input_ids, token_type_ids, padding_mask);
    }

    // Copies the encoder (embeddings, layers, pooler) of a pre-trained model; the classifier
    // keeps its fresh initialisation. The configs must agree.
    void load_pretrained(BertForPreTraining& pretrained);

    void visit(Visitor& v) override;
    std::string type_name() const override { return "BertForSequenceClassification"; }
};

}  // namespace qkv::nn
