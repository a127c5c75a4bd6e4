// PyTorch's names for qkv's attention and Transformer layers, both ways: weights trained in
// PyTorch run in qkv, and qkv's run in PyTorch.
//
//   load_torch_state_dict(attn, torch_tensors);             // a torch.nn.MultiheadAttention's
//   TensorMap torch_tensors = to_torch_state_dict(model);    // qkv's Transformer under PyTorch's names
//   save_torch_safetensors("model.safetensors", model);      // what safetensors.torch.load_file reads
//   load_torch_safetensors(model, "model.safetensors", {.stacks_only = true});  // a bare nn.Transformer
//
// THE MAPPING. qkv's name on the left, PyTorch's on the right. D = d_model, F = d_ff.
//
//   torch.nn.MultiheadAttention(D, H, batch_first=True)
//     q_proj.weight, k_proj.weight, v_proj.weight  in_proj_weight   (3D, D): [W_q; W_k; W_v], rows stacked
//     q_proj.bias, k_proj.bias, v_proj.bias        in_proj_bias     (3D):    [b_q; b_k; b_v]
//     out_proj.weight, out_proj.bias               out_proj.weight (D, D), out_proj.bias (D)
//   torch.nn.TransformerEncoderLayer
//     self_attn.*                                  self_attn.*  (packed as above)
//     feed_forward.linear1.weight, .bias           linear1.weight (F, D), linear1.bias (F)
//     feed_forward.linear2.weight, .bias           linear2.weight (D, F), linear2.bias (D)
//     norm1.*, norm2.*                             norm1.*, norm2.*  (weight, bias: (D))
//   torch.nn.TransformerDecoderLayer
//     self_attn.*                                  self_attn.*
//     cross_attn.*                                 multihead_attn.*
//     feed_forward.linear1.*, .linear2.*           linear1.*, linear2.*
//     norm1.*, norm2.*, norm3.*                    norm1.*, norm2.*, norm3.*
//   torch.nn.TransformerEncoder / TransformerDecoder
//     layers.<i>.*                                 layers.<i>.*  (as the layers above)
//     norm.* (pre-norm stacks only)                norm.*
//   torch.nn.Transformer
//     encoder.*, decoder.*                         encoder.*, decoder.*  (as the stacks above)
//
// Outside torch.nn.Transformer, with no PyTorch name: the embeddings (src_embed, tgt_embed, and
// their scaling by sqrt(D)), the sinusoidal table (positions.pe, a buffer), the generator Linear.
// A PyTorch model keeps such parts in modules of its own beside the nn.Transformer, named as its
// author likes; here they keep qkv's names (src_embed.weight, generator.bias, ...), which cannot
// collide with PyTorch's (those start with encoder. or decoder.). stacks_only leaves them out.
//
// WHICH PYTORCH CONFIGURATION IS qkv's. A state dict holds the weights, not how they are used;
// the same weights compute the same outputs when the PyTorch model is built as
//   nn.Transformer(d_model=D, nhead=H, num_encoder_layers=N, num_decoder_layers=M,
//                  dim_feedforward=F, dropout=p, activation="relu" or "gelu",
//                  layer_norm_eps=1e-5, batch_first=True, norm_first=<qkv's norm_first>)
// - batch_first=True: qkv's inputs are (B, T, D). With PyTorch's default (T, B, D) the weights
//   are the same and the inputs transposed.
// - activation: qkv's GELU is the exact one, x Phi(x) with erf, which is PyTorch's "gelu".
// - layer_norm_eps: every LayerNorm of qkv's layers uses 1e-5, PyTorch's default.
// - dropout sits where PyTorch puts it (the attention weights, after the activation, each
//   sublayer's output); it draws other numbers, so compare in eval mode.
// - masks: qkv's decoder adds the causal mask itself; give PyTorch
//   tgt_mask=nn.Transformer.generate_square_subsequent_mask(Tt). Padding masks mean the same on
//   both sides (true = padding).
// - the final norms: nn.Transformer always ends its encoder and decoder with a LayerNorm
//   (encoder.norm, decoder.norm), also when norm_first=False. qkv's pre-norm stacks have the same
//   final norms, so norm_first=True is nn.Transformer as built by default. qkv's post-norm stacks
//   have none (each layer's last LayerNorm already normalises its output); their PyTorch twin is
//     nn.Transformer(..., custom_encoder=nn.TransformerEncoder(encoder_layer, N),
//                         custom_decoder=nn.TransformerDecoder(decoder_layer, M))
//   whose stacks have norm=None. Loading a default post-norm nn.Transformer into qkv is refused,
//   naming encoder.norm.weight: leaving that LayerNorm out would change every output.
// - the number of heads is in no tensor's shape: build both models with the same H. The
//   safetensors file records it (below) and loading the file checks it.
//
// Refused, each with an error saying why (qkv's MultiHeadAttention has no counterpart):
//   bias_k, bias_v                                torch's add_bias_kv=True
//   q_proj_weight, k_proj_weight, v_proj_weight   torch's kdim/vdim != embed_dim (separate matrices)
//   an attention with biases on some of its four projections and not the others (torch has all or none)
// and, saving, any qkv tensor of these modules that the table above does not name.
//
// LOADING checks everything first: every name the model needs is given, nothing else is, and
// each shape is right. Otherwise one Error lists every missing, unexpected and mismatched name
// with its shapes, and nothing is loaded. Values are copied into the model's own tensors (so an
// optimizer holding them keeps working); float32 and float64 convert to the model's dtype.
// Float16/bfloat16 files are not readable (qkv's safetensors reads F32, F64, I64, BOOL).
// to_torch_state_dict returns copies: editing them leaves the model as it is.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "nn/transformer/transformer.hpp"
#include "tensor/safetensors.hpp"

namespace qkv::nn {

// One row of the table above: a PyTorch tensor and the qkv tensors it is made of, stacked along
// dim 0 in this order (three for in_proj_weight and in_proj_bias, one for everything else).
struct TorchName {
    std::string torch;
    std::vector<std::string> qkv;
};

// The table for one model, in PyTorch's state-dict order, every name full (e.g. torch
// "encoder.layers.0.self_attn.in_proj_weight" from qkv "encoder.layers.0.self_attn.q_proj.weight",
// ...k_proj.weight, ...v_proj.weight). For a Transformer without stacks_only, the rows of the
// parts outside nn.Transformer map a qkv name to itself.
struct TorchNameOptions {
    bool stacks_only = false;  // Transformer only: the names of nn.Transformer's state dict and no others
};
std::vector<TorchName> torch_names(MultiHeadAttention& attn);
std::vector<TorchName> torch_names(TransformerEncoderLayer& layer);
std::vector<TorchName> torch_names(TransformerDecoderLayer& layer);
std::vector<TorchName> torch_names(TransformerEncoder& encoder);
std::vector<TorchName> torch_names(TransformerDecoder& decoder);
std::vector<TorchName> torch_names(Transformer& model, const TorchNameOptions& options = {});

// The module's tensors under PyTorch's names (copies), what the PyTorch twin's state_dict() holds.
TensorMap to_torch_state_dict(MultiHeadAttention& attn);
TensorMap to_torch_state_dict(TransformerEncoderLayer& layer);
TensorMap to_torch_state_dict(TransformerDecoderLayer& layer);
TensorMap to_torch_state_dict(TransformerEncoder& encoder);
TensorMap to_torch_state_dict(TransformerDecoder& decoder);
TensorMap to_torch_state_dict(Transformer& model, const TorchNameOptions& options = {});

// Copies a state dict under PyTorch's names into the module, checked as described above. With
// stacks_only, `tensors` is an nn.Transformer's state dict alone, and the embeddings, positions
// and generator keep their values.
void load_torch_state_dict(MultiHeadAttention& attn, const TensorMap& tensors);
void load_torch_state_dict(TransformerEncoderLayer& layer, const TensorMap& tensors);
void load_torch_state_dict(TransformerDecoderLayer& layer, const TensorMap& tensors);
void load_torch_state_dict(TransformerEncoder& encoder, const TensorMap& tensors);
void load_torch_state_dict(TransformerDecoder& decoder, const TensorMap& tensors);
void load_torch_state_dict(Transformer& model, const TensorMap& tensors, const TorchNameOptions& options = {});

// The file: to_torch_state_dict(model, options) as safetensors, written atomically (a temporary
// file renamed into place), with the PyTorch configuration in its metadata, as strings Python
// reads back with safetensors.safe_open(...).metadata():
//   torch.module           "torch.nn.Transformer"
//   torch.d_model, torch.nhead, torch.num_encoder_layers, torch.num_decoder_layers,
//   torch.dim_feedforward, torch.dropout, torch.activation ("relu"/"gelu"), torch.layer_norm_eps,
//   torch.batch_first ("True"), torch.norm_first ("True"/"False")
//   torch.final_norms      "True" (pre-norm) or "False" (post-norm: build with custom_encoder/
//                          custom_decoder whose norm is None, see above)
// and the caller's `metadata`, whose keys may not start with "torch.".
void save_torch_safetensors(const std::string& path, Transformer& model,
                            const std::map<std::string, std::string>& metadata = {},
                            const TorchNameOptions& options = {});
// Reads the whole file, then loads it as load_torch_state_dict. Each torch.* entry of the
// metadata that is present (files written by PyTorch have none) must agree with the model:
// nhead, norm_first, activation, layer_norm_eps. Returns the file's metadata.
std::map<std::string, std::string> load_torch_safetensors(Transformer& model, const std::string& path,
                                                          const TorchNameOptions& options = {});

}  // namespace qkv::nn
