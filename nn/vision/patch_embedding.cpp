#include "nn/vision/patch_embedding.hpp"

namespace qkv::nn {

namespace {

void check_images(const char* op, const Shape& s, std::int64_t patch) {
    if (s.size() != 4) fail(op, "expected images (B, C, H, W), got ", shape_str(s));
    if (patch < 1) fail(op, "patch size must be >= 1, got ", patch);
    if (s[2] % patch != 0 || s[3] % patch != 0)
        fail(op, "image ", s[2], "x", s[3], " of ", shape_str(s), " is not a whole number of ", patch, "x", patch, " patches");
}

}  // namespace

Var patchify(const Var& images, std::int64_t patch) {
    check_images("patchify", images.shape(), patch);
    const std::int64_t B = images.size(0), C = images.size(1), gh = images.size(2) / patch, gw = images.size(3) / patch;
    return images.reshape({B, C, gh, patch, gw, patch})  // (B, C, H/p, p, W/p, p)
        .permute({0, 2, 4, 1, 3, 5})                     // (B, H/p, W/p, C, p, p)
        .reshape({B, gh * gw, C * patch * patch});      // (B, N, C p p)
}

Var unpatchify(const Var& patches, std::int64_t patch, std::int64_t channels, std::int64_t height, std::int64_t width) {
    const Shape& s = patches.shape();
    if (patch < 1 || channels < 1 || height % patch != 0 || width % patch != 0 || height < 1 || width < 1)
        fail("unpatchify", "cannot tile a ", channels, "x", height, "x", width, " image with ", patch, "x", patch,
             " patches");
    const std::int64_t gh = height / patch, gw = width / patch;
    if (s.size() != 3 || s[1] != gh * gw || s[2] != channels * patch * patch)
        fail("unpatchify", "expected patches (B, ", gh * gw, ", ", channels * patch * patch, "), got ", shape_str(s));
    return patches.reshape({s[0], gh, gw, channels, patch, patch})  // (B, H/p, W/p, C, p, p)
        .permute({0, 3, 1, 4, 2, 5})                                // (B, C, H/p, p, W/p, p)
        .reshape({s[0], channels, height, width});                 // (B, C, H, W)
}

PatchEmbedding::PatchEmbedding(std::int64_t channels, std::int64_t patch, std::int64_t d_model, Generator& gen)
    : proj(channels * patch * patch, d_model, gen), channels_(channels), patch_(patch) {
    if (channels < 1 || patch < 1 || d_model < 1)
        fail("PatchEmbedding", "channels, patch and d_model must be >= 1, got ", channels, ", ", patch, ", ", d_model);
}

Var PatchEmbedding::forward(const Var& images) {
    check_images("PatchEmbedding", images.shape(), patch_);
    if (images.size(1) != channels_)
        fail("PatchEmbedding", "expected ", channels_, " channels, got images ", shape_str(images.shape()));
    return proj(patchify(images, patch_));  // (B, N, D)
}

Tensor PatchEmbedding::conv_weight() const {
    return proj.weight.data().reshape({proj.out_features(), channels_, patch_, patch_});  // (D, C, p, p)
}

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, std::int64_t stride) {
    if (x.dim() != 4 || weight.dim() != 4 || x.size(1) != weight.size(1) || weight.size(2) != weight.size(3))
        fail("conv2d", "expected x (B, C, H, W) and a square kernel (O, C, k, k), got ", shape_str(x.shape()), " and ",
             shape_str(weight.shape()));
    if (stride < 1) fail("conv2d", "stride must be >= 1, got ", stride);
    const std::int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), O = weight.size(0), k = weight.size(2);
    if (k > H || k > W) fail("conv2d", "kernel ", k, "x", k, " is larger than the image ", H, "x", W);
    if (bias.defined() && (bias.dim() != 1 || bias.size(0) != O))
        fail("conv2d", "bias must be (", O, "), got ", shape_str(bias.shape()));
    const std::int64_t Ho = (H - k) / stride + 1, Wo = (W - k) / stride + 1;
    const std::vector<double> xs = x.to_vector<double>(), ws = weight.to_vector<double>();
    const std::vector<double> bs = bias.defined() ? bias.to_vector<double>() : std::vector<double>(O, 0.0);
    std::vector<double> y(static_cast<std::size_t>(B * O * Ho * Wo));
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t o = 0; o < O; ++o)
            for (std::int64_t i = 0; i < Ho; ++i)
                for (std::int64_t j = 0; j < Wo; ++j) {
                    double acc = bs[static_cast<std::size_t>(o)];
                    for (std::int64_t c = 0; c < C; ++c)
                        for (std::int64_t u = 0; u < k; ++u)
                            for (std::int64_t v = 0; v < k; ++v)
                                acc += ws[static_cast<std::size_t>(((o * C + c) * k + u) * k + v)] *
                                       xs[static_cast<std::size_t>(((b * C + c) * H + i * stride + u) * W + j * stride + v)];
                    y[static_cast<std::size_t>(((b * O + o) * Ho + i) * Wo + j)] = acc;
                }
    return from_vector(y, {B, O, Ho, Wo}).to(x.dtype());
}

}  // namespace qkv::nn
