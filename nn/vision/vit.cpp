#include "nn/vision/vit.hpp"

#include "nn/init.hpp"

namespace qkv::nn {

void VitConfig::validate() const {
    if (image_size < 1 || patch_size < 1 || image_size % patch_size != 0)
        fail("VitConfig", "image_size ", image_size, " must be a positive multiple of patch_size ", patch_size);
    if (channels < 1 || d_model < 1 || num_heads < 1 || d_ff < 1 || num_layers < 0 || num_classes < 2)
        fail("VitConfig", "need channels, d_model, num_heads, d_ff >= 1, num_layers >= 0 and num_classes >= 2, got ",
             channels, ", ", d_model, ", ", num_heads, ", ", d_ff, ", ", num_layers, ", ", num_classes);
    if (d_model % num_heads != 0)
        fail("VitConfig", "d_model ", d_model, " is not divisible by num_heads ", num_heads);
    if (dropout < 0 || dropout >= 1) fail("VitConfig", "dropout must lie in [0, 1), got ", dropout);
}

namespace {

const VitConfig& validated(const VitConfig& c) {
    c.validate();
    return c;
}

Tensor small_normal(const Shape& shape, Generator& gen) {
    Tensor t = zeros(shape);
    normal_(t, 0.0, 0.02, gen);
    return t;
}

void check_images(const char* op, const Var& images, const VitConfig& c) {
    const Shape& s = images.shape();
    if (s.size() != 4 || s[1] != c.channels || s[2] != c.image_size || s[3] != c.image_size)
        fail(op, "expected images (B, ", c.channels, ", ", c.image_size, ", ", c.image_size, "), got ", shape_str(s));
}

}  // namespace

VisionTransformer::VisionTransformer(const VitConfig& config, Generator& gen)
    : patch_embed(validated(config).channels, config.patch_size, config.d_model, gen),
      cls_token(parameter(small_normal({1, 1, config.d_model}, gen))),
      pos_embed(parameter(small_normal({1, config.num_patches() + 1, config.d_model}, gen))),
      norm(config.d_model),
      head(config.d_model, config.num_classes, gen),
      config_(config) {
    LayerConfig lc;
    lc.d_model = config.d_model, lc.num_heads = config.num_heads, lc.d_ff = config.d_ff;
    lc.dropout = config.dropout;
    lc.norm_first = true;  // pre-norm, as ViT (and lesson 06's recommendation for deep stacks)
    lc.activation = Activation::GELU;
    for (std::int64_t l = 0; l < config.num_layers; ++l) layers.emplace_back(lc, gen);
}

Var VisionTransformer::forward(const Var& images) {
    check_images("VisionTransformer", images, config_);
    const std::int64_t B = images.size(0), D = config_.d_model;
    const Var patches = patch_embed(images);                         // (B, N, D)
    const Var cls = cls_token.expand({B, 1, D});                     // (B, 1, D)
    Var x = concat({cls, patches}, 1) + pos_embed;                   // (B, N+1, D)
    for (TransformerEncoderLayer& layer : layers) x = layer.forward(x);  // (B, N+1, D)
    return head(norm(x.select(1, 0)));                               // (B, K) from [CLS]
}

std::vector<Tensor> VisionTransformer::attention_weights() const {
    std::vector<Tensor> out;
    for (const TransformerEncoderLayer& layer : layers) out.push_back(layer.self_attn_weights);
    return out;
}

void VisionTransformer::visit(Visitor& v) {
    v.module("patch_embed", patch_embed);
    v.param("cls_token", cls_token);
    v.param("pos_embed", pos_embed);
    v.modules("layers", layers);
    v.module("norm", norm);
    v.module("head", head);
}

std::string VisionTransformer::describe() const {
    return cat("image=", config_.image_size, ", patch=", config_.patch_size, ", d_model=", config_.d_model,
               ", heads=", config_.num_heads, ", layers=", config_.num_layers, ", classes=", config_.num_classes);
}

BagOfPatches::BagOfPatches(const VitConfig& config, Generator& gen)
    : patch_embed(validated(config).channels, config.patch_size, config.d_model, gen),
      hidden(config.d_model, config.d_ff, gen),
      out(config.d_ff, config.num_classes, gen),
      config_(config) {}

Var BagOfPatches::forward(const Var& images) {
    check_images("BagOfPatches", images, config_);
    const Var features = gelu(hidden(patch_embed(images)));  // (B, N, F): each patch on its own
    return out(mean(features, {1}));                          // (B, K): where each patch was is lost
}

void BagOfPatches::visit(Visitor& v) {
    v.module("patch_embed", patch_embed);
    v.module("hidden", hidden);
    v.module("out", out);
}

}  // namespace qkv::nn
