// Recording attention weights for pictures: the one way every model built of layers (the
// Transformer, GPT, ViT, BERT, the global-local layers) gives its attention weights.
//
// The attention functions and MultiHeadAttention return their weights beside their output
// (MultiHeadOutput), since the caller holds the result anyway. A model of many layers keeps
// each layer's (B, H, Tq, Tk) weights only while recording is on, and attention_weights() hands
// them over. Off by default: a training step then keeps none of them once its graph is freed
// (at T = 512 and 8 heads each layer's weights are 8 MiB a sequence).
//
//   {
//       nn::RecordAttention record;            // on for this scope, on this thread
//       nn::EvalGuard eval(model);
//       NoGradGuard no_grad;
//       model.forward(src, tgt);
//   }
//   const nn::TransformerAttention a = model.attention_weights();   // the forward above
//
// A forward without recording clears what an earlier one kept, so the weights a model hands
// over always belong to its last forward (or are undefined). Memory-efficient attention never
// forms the weights: its layers keep undefined tensors even while recording.
#pragma once

#include "autograd/var.hpp"

namespace qkv::nn {

// Whether layers keep their attention weights now (on this thread).
bool recording_attention();

// What a layer keeps of the weights it just computed: their values while recording (cut from
// the graph), otherwise an undefined Tensor.
Tensor recorded(const Var& weights);

// Turns recording on for a scope and restores the previous state when the scope ends, also by
// an exception.
class RecordAttention {
public:
    RecordAttention();
    ~RecordAttention();
    RecordAttention(const RecordAttention&) = delete;
    RecordAttention& operator=(const RecordAttention&) = delete;

private:
    bool was_on_;
};

}  // namespace qkv::nn
