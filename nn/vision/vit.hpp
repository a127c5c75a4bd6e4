// A Vision Transformer classifier (ViT, Dosovitskiy et al. 2020), small enough to train in
// seconds, and the bag-of-patches baseline it is measured against.
//
//   patches  = PatchEmbedding(image)                 (B, N, D)   one token per p x p patch
//   x        = [cls; patches] + pos                  (B, N+1, D) a learned [CLS] token in front,
//                                                                 a learned position vector per slot
//   x        = encoder layers (pre-norm, lesson 06)  (B, N+1, D)
//   logits   = head(LayerNorm(x[:, 0]))              (B, K)      classify from [CLS] alone
//
// Nothing in the encoder knows the patches form a 2-D grid: the position vectors are free
// parameters, one per slot, and any grid structure in them is learned (the lesson plots their
// similarities). [CLS] holds no image content; the only way it can learn about the image is
// by attending to the patches, so its attention row says which patches the decision read.
//
// BagOfPatches is the same patch embedding with the attention taken out: each patch token goes
// through its own small MLP layer, the results are averaged over the patches (order and
// position thrown away), and a Linear classifies the mean. The non-linearity before the mean
// matters: the patch embedding is linear, so the mean of the embeddings is the embedding of the
// mean patch, one blurred 4x4 patch. Whatever the ViT does better is what attention over
// positioned patches adds.
//
// Shapes: B = batch, C = channels, H x W = image, N = patches, D = d_model, K = classes,
//         L = layers, Hh = heads.
#pragma once

#include <vector>

#include "nn/layer_norm.hpp"
#include "nn/transformer/encoder_layer.hpp"
#include "nn/vision/patch_embedding.hpp"

namespace qkv::nn {

struct VitConfig {
    std::int64_t image_size = 16, patch_size = 4, channels = 1;
    std::int64_t d_model = 32, num_heads = 2, d_ff = 64, num_layers = 2;
    std::int64_t num_classes = 5;
    double dropout = 0.0;

    std::int64_t num_patches() const { return (image_size / patch_size) * (image_size / patch_size); }
    // Throws a clear qkv::Error on sizes that cannot build a model.
    void validate() const;
};

class VisionTransformer : public Module {
public:
    explicit VisionTransformer(const VitConfig& config, Generator& gen = default_generator());

    PatchEmbedding patch_embed;
    Var cls_token;  // (1, 1, D), N(0, 0.02^2)
    Var pos_embed;  // (1, N + 1, D), N(0, 0.02^2): slot 0 is [CLS], slot 1 + n is patch n
    std::vector<TransformerEncoderLayer> layers;
    LayerNorm norm;
    Linear head;    // D -> K

    // images (B, C, H, W) -> logits (B, K)
    Var forward(const Var& images);
    Var operator()(const Var& images) { return forward(images); }

    // Every layer's self-attention weights of the last forward while recording (nn/attention/
    // recording.hpp): L tensors (B, Hh, N+1, N+1).
    std::vector<Tensor> attention_weights() const;

    const VitConfig& config() const { return config_; }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "VisionTransformer"; }
    std::string describe() const override;

private:
    VitConfig config_;
};

class BagOfPatches : public Module {
public:
    // The ViT's patch embedding and width, GELU(Linear D -> d_ff) on every patch, the mean over
    // patches, then Linear d_ff -> K.
    explicit BagOfPatches(const VitConfig& config, Generator& gen = default_generator());

    PatchEmbedding patch_embed;
    Linear hidden, out;

    // images (B, C, H, W) -> logits (B, K)
    Var forward(const Var& images);
    Var operator()(const Var& images) { return forward(images); }

    void visit(Visitor& v) override;
    std::string type_name() const override { return "BagOfPatches"; }

private:
    VitConfig config_;
};

}  // namespace qkv::nn
