// The whole library in one include, for a program of your own (as <torch/torch.h> is for
// libtorch): the tensor and autograd layers' own umbrellas, then every header of nn/.
// Files inside qkv include only what they use, which keeps their rebuilds short; this header is
// for the other side, where one line is worth a few seconds of compiling.
// Every nn/ header is listed (the test layer_includes checks it); lessons/ is not part of it.
#pragma once

#include "autograd/autograd.hpp"
#include "tensor/tensor.hpp"

// Modules and the layers they are built from
#include "nn/activations.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/init.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"
#include "nn/positional.hpp"
#include "nn/sequential.hpp"

// Recurrent layers
#include "nn/gru.hpp"
#include "nn/lstm.hpp"
#include "nn/rnn.hpp"
#include "nn/rnn_cell.hpp"

// Attention
#include "nn/attention/additive.hpp"
#include "nn/attention/attention_row.hpp"
#include "nn/attention/global_local.hpp"
#include "nn/attention/masks.hpp"
#include "nn/attention/memory_efficient.hpp"
#include "nn/attention/multi_head.hpp"
#include "nn/attention/recording.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "nn/attention/sliding_window.hpp"

// Models
#include "nn/bert/bert_model.hpp"
#include "nn/bert/classification.hpp"
#include "nn/bert/config.hpp"
#include "nn/bert/embeddings.hpp"
#include "nn/bert/encoder.hpp"
#include "nn/bert/hf_checkpoint.hpp"
#include "nn/bert/masking.hpp"
#include "nn/bert/pretraining.hpp"
#include "nn/gpt/generate.hpp"
#include "nn/gpt/gpt.hpp"
#include "nn/seq2seq/bahdanau.hpp"
#include "nn/seq2seq/encoder.hpp"
#include "nn/transformer/decoder_layer.hpp"
#include "nn/transformer/decoding.hpp"
#include "nn/transformer/encoder_layer.hpp"
#include "nn/transformer/feed_forward.hpp"
#include "nn/transformer/kv_cache.hpp"
#include "nn/transformer/label_smoothing.hpp"
#include "nn/transformer/transformer.hpp"
#include "nn/vision/patch_embedding.hpp"
#include "nn/vision/vit.hpp"

// Training: losses, optimizers, schedules, checkpoints (and PyTorch's names for them)
#include "nn/checkpoint.hpp"
#include "nn/interop/torch_names.hpp"
#include "nn/losses.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/optimizer.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/optim/sgd.hpp"
#include "nn/state_dict.hpp"

// Data and text
#include "nn/data/batch.hpp"
#include "nn/data/packing.hpp"
#include "nn/data/shuffle.hpp"
#include "nn/sampling.hpp"
#include "nn/text/tokenizers.hpp"
#include "nn/text/utf8.hpp"
#include "nn/text/vocab.hpp"
#include "nn/text/wordpiece.hpp"
