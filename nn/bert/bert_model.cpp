#include "nn/bert/bert_model.hpp"

#include "nn/init.hpp"

namespace qkv::nn {

BertModel::BertModel(const BertConfig& config, Generator& gen)
    : embeddings(config.validated(), gen),
      encoder(config, gen),
      pooler(config.hidden_size, config.hidden_size, gen),
      config_(config) {
    init_bert_weights(*this, config.initializer_range, gen);
}

BertOutput BertModel::forward(const Tensor& input_ids, const Tensor& token_type_ids, const Tensor& padding_mask) {
    // The pooler reads position 0, so an empty sequence has nothing to pool.
    if (input_ids.dim() != 2 || input_ids.size(0) < 1 || input_ids.size(1) < 1)
        fail("BertModel", "input_ids must be (B, T) with B >= 1 and T >= 1, got ", shape_str(input_ids.shape()));
    if (padding_mask.defined() && (padding_mask.dtype() != DType::Bool || padding_mask.shape() != input_ids.shape()))
        fail("BertModel", "padding_mask must be bool ", shape_str(input_ids.shape()), " like input_ids, got ",
             qkv::describe(padding_mask));
    const Var x = embeddings.forward(input_ids, token_type_ids);       // (B, T, D)
    const Var hidden = encoder.forward(x, padding_mask);               // (B, T, D)
    const Var cls = hidden.select(1, 0);                               // (B, D): the [CLS] position
    const Var pooled = tanh(pooler(cls));                              // (B, D)
    return {hidden, pooled};
}

void BertModel::visit(Visitor& v) {
    v.module("embeddings", embeddings);
    v.module("encoder", encoder);
    v.module("pooler.dense", pooler);
}

namespace {

// Finds every Linear, Embedding and LayerNorm in the tree, in visit() order.
void init_module(Module& m, double std, Generator& gen) {
    if (auto* linear = dynamic_cast<Linear*>(&m)) {
        init::normal_(linear->weight.data(), 0.0, std, gen);
        if (linear->bias.defined()) init::zeros_(linear->bias.data());
    } else if (auto* emb = dynamic_cast<Embedding*>(&m)) {
        init::normal_(emb->weight.data(), 0.0, std, gen);
        if (emb->padding_idx() >= 0) init::zeros_(emb->weight.data().select(0, emb->padding_idx()));
    } else if (auto* ln = dynamic_cast<LayerNorm*>(&m)) {
        if (ln->weight.defined()) init::ones_(ln->weight.data());
        if (ln->bias.defined()) init::zeros_(ln->bias.data());
    }
}

}  // namespace

void init_bert_weights(Module& model, double initializer_range, Generator& gen) {
    model.for_each_module([&](const std::string&, Module& m) { init_module(m, initializer_range, gen); });
}

}  // namespace qkv::nn
