// Patch embedding (图像块嵌入), the first layer of a Vision Transformer (Dosovitskiy et al. 2020,
// "An Image is Worth 16x16 Words"): cut the image into p x p patches, flatten each patch, and
// map it to a d_model vector with one shared Linear. The image becomes a sequence of N tokens,
// one per patch, that a Transformer encoder reads like words.
//
//   images (B, C, H, W) -> patches (B, N, C p p) -> tokens (B, N, D),   N = (H / p) (W / p)
//
// Cutting is a reshape and a permute, no arithmetic:
//   (B, C, H, W) -> (B, C, H/p, p, W/p, p) -> permute to (B, H/p, W/p, C, p, p) -> (B, N, C p p)
// Patches are numbered row by row over the patch grid (patch n sits at grid row n / (W/p),
// column n % (W/p)) and each is flattened channel first, then row, then column: the order of a
// Conv2d weight (D, C, p, p). So the Linear's weight (D, C p p) reshaped to (D, C, p, p) IS a
// convolution kernel, and the patch embedding equals a Conv2d with kernel = stride = p (the
// windows tile the image without overlap), its (B, D, H/p, W/p) output flattened to (B, N, D).
// conv2d below computes that convolution directly, for the lesson to show the two agree.
//
// Shapes: B = batch, C = channels, H x W = image, p = patch size, N = patches, D = d_model.
#pragma once

#include "nn/linear.hpp"

namespace qkv::nn {

// images (B, C, H, W) -> (B, N, C p p). H and W must be multiples of p. Differentiable (views).
Var patchify(const Var& images, std::int64_t patch);

// The inverse: patches (B, N, C p p) -> images (B, C, H, W), for an (H, W) image.
Var unpatchify(const Var& patches, std::int64_t patch, std::int64_t channels, std::int64_t height, std::int64_t width);

class PatchEmbedding : public UnaryModule {
public:
    PatchEmbedding(std::int64_t channels, std::int64_t patch, std::int64_t d_model, Generator& gen = default_generator());

    Linear proj;  // (C p p) -> D: weight (D, C p p), the conv kernel (D, C, p, p) flattened

    // images (B, C, H, W) -> tokens (B, N, D)
    Var forward(const Var& images) override;

    // proj.weight as a Conv2d kernel (D, C, p, p) (a view of the same numbers).
    Tensor conv_weight() const;

    std::int64_t patch() const { return patch_; }
    std::int64_t channels() const { return channels_; }

    void visit(Visitor& v) override { v.module("proj", proj); }
    std::string type_name() const override { return "PatchEmbedding"; }
    std::string describe() const override { return cat("channels=", channels_, ", patch=", patch_); }

private:
    std::int64_t channels_, patch_;
};

// A plain 2-D convolution (cross-correlation, as torch.nn.functional.conv2d) without padding:
//   y[b, o, i, j] = bias[o] + sum_{c, u, v} w[o, c, u, v] x[b, c, i s + u, j s + v]
// x (B, C, H, W), weight (O, C, k, k), bias (O) or undefined -> (B, O, (H - k)/s + 1, (W - k)/s + 1).
// Direct loops in double, no autograd: a reference to check faster forms against.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride = 1);

}  // namespace qkv::nn
