// Masks for local (sliding-window, 局部注意力) attention and for local attention with a few
// global tokens (Longformer, Beltagy et al. 2020; BigBird, Zaheer et al. 2020).
//
// Global attention (全局注意力) lets every query i see every key j: T^2 scores. Local attention
// with a window of +-w lets query i see only the keys j with |i - j| <= w: a band of width
// 2w + 1 around the diagonal, about T (2w + 1) scores, linear in T instead of quadratic. The
// price: one layer moves information at most w positions, so after L layers a token has heard
// from at most L w positions on either side (its receptive field, 感受野, is 2 L w + 1 wide).
// Global tokens buy the long range back: a global token sees every key and every query sees it,
// so any two positions are two hops apart (token -> global token -> token) at a cost of about
// 2 G T extra scores for G global tokens.
//
// As everywhere in qkv (scaled_dot_product.hpp), TRUE MEANS MASKED OUT: band_mask(T, w)[i][j]
// is true where |i - j| > w. Pass it as AttentionMasks::attn; it broadcasts over batch and heads.
//
// Shapes: T = sequence length, w = half-width of the window (w = 0: each token sees itself).
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/tensor.hpp"

namespace qkv::nn::attention {

// (T, T) bool, true where |i - j| > w. T >= 1, w >= 0; w >= T - 1 masks nothing (global).
Tensor band_mask(std::int64_t T, std::int64_t w);

// (T, T) bool: the band of +-w, except that the rows and columns of the global positions are
// open (a global token sees every key and every query sees it). Each position must lie in
// [0, T); repeats are allowed.
Tensor band_global_mask(std::int64_t T, std::int64_t w, const std::vector<std::int64_t>& global_positions);

// How many (query, key) scores a (T, T) mask leaves open: what attention has to compute.
std::int64_t open_scores(const Tensor& mask);

// The same counted without building the mask: T^2 for global attention, and for a band of +-w
// the sum over queries of min(i + w, T - 1) - max(i - w, 0) + 1 (the window is cut at the ends).
std::int64_t band_scores(std::int64_t T, std::int64_t w);

// How far information can travel through `layers` stacked band-attention layers of +-w: each
// layer moves it at most w positions, so the receptive field of a token is the 2 L w + 1
// positions around it (cut at the sequence ends). Returns L w, the reach on either side.
std::int64_t band_reach(std::int64_t layers, std::int64_t w);

// Can position `query` have heard from position `key` after `layers` band layers of +-w,
// with the given global tokens in every layer? Follows the mask layer by layer (a breadth-first
// walk over the mask's open cells), so it also checks band_reach.
bool reachable(std::int64_t T, std::int64_t w, const std::vector<std::int64_t>& global_positions,
               std::int64_t layers, std::int64_t query, std::int64_t key);

}  // namespace qkv::nn::attention
