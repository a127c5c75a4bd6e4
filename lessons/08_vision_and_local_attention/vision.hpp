// Part 1's measurements that are not training: the patch embedding computed two ways, the
// position embeddings' similarities, and the article's image "attention" run as written.
#pragma once

#include <string>

#include "nn/vision/vit.hpp"

namespace qkv::lesson08 {

// The patch embedding of `images` (B, C, H, W) computed as patchify + Linear and as a Conv2d
// with kernel = stride = p (nn::conv2d with the Linear's weight reshaped to (D, C, p, p)).
struct PatchConvComparison {
    Shape linear_shape, conv_shape;  // (B, N, D) and (B, D, H/p, W/p)
    double max_abs_difference = 0;   // after flattening the conv output to (B, N, D)
};
PatchConvComparison compare_patch_embedding_with_conv(const nn::PatchEmbedding& embed, const Tensor& images);

// Cosine similarity of every pair of patch position vectors, pos_embed[0, 1:] -> (N, N).
Tensor position_similarity(const nn::VisionTransformer& model);

// How much of the 2-D grid the position vectors learned: the mean similarity of grid
// neighbours (patches next to each other, 4-neighbourhood) and of all other pairs.
struct GridScore {
    double neighbours = 0, others = 0;
};
GridScore grid_score(const Tensor& similarity, std::int64_t grid_side);

// 解码注意力Attention机制 section 五's AttentionImageClassification, run as written on a batch of
// 3-channel images of side `side`: conv1 (3 -> 32, 3x3), conv2 (32 -> 64, 3x3), then
// attention = Linear(64, 1) applied to x.view(B, 64, -1), whose last axis has H'W' = (side - 4)^2
// elements, then softmax over dim 2, an axis of size 1. Returns what happened.
struct ArticleImageAttention {
    std::int64_t side = 0, spatial = 0;  // input side, H'W' after the two convolutions
    bool ran = false;
    std::string error;                    // the shape error when spatial != 64
    Shape weights_shape;                  // (B, 64, 1)
    double min_weight = 0, max_weight = 0;
    double max_difference_from_sum = 0;   // |its "attended" features - the plain sum over positions|
};
ArticleImageAttention run_article_image_attention(std::int64_t side, std::uint64_t seed);

}  // namespace qkv::lesson08
