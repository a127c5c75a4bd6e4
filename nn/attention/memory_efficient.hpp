// Memory-efficient scaled dot-product attention (as FlashAttention computes it): the same
//
//   O = softmax(Q K^T / sqrt(d) + mask) V
//
// as scaled_dot_product_attention, but the (Tq, Tk) matrix of scores is never stored. The
// queries are cut into blocks of block_q rows and the keys into blocks of block_k; each query
// block walks over the key blocks, and one (block_q, block_k) tile of scores lives at a time.
//
// Shapes: L = the leading dims (batch, heads) taken together, Tq = queries, Tk = keys,
//         d = query/key size, dv = value size, Bq x Bk = one tile.
//
// THE FORWARD: the online softmax. For one query row with scores s_1..s_Tk,
//   softmax(s)_j = e^(s_j - m) / l,  m = max_j s_j,  l = sum_j e^(s_j - m),   o = sum_j softmax_j v_j.
// Seen block by block, keep a running max m, running sum l and unnormalised output a. A new
// block with scores s_j (j in the block) has max m_b; then with m' = max(m, m_b):
//   alpha = e^(m - m')                        how much the old terms shrink under the new max
//   l'    = alpha l + sum_j e^(s_j - m')
//   a'    = alpha a + sum_j e^(s_j - m') v_j
// and after the last block o = a / l. Every term is computed against the max seen so far, so
// no exponent overflows, and the result is exactly softmax(s) v up to rounding.
// What is kept for the backward: o and one number per row, lse = m + log l = log sum_j e^(s_j).
//
// THE BACKWARD, written out (llm.c style). In the forward we had, per row i,
//   s_ij = q_i . k_j / sqrt(d),   p_ij = e^(s_ij - lse_i),   o_i = sum_j p_ij z_ij v_j
// (z_ij = the dropout factor, 1 without dropout). So now, given do_i = dL/do_i:
//   dv_j  += sum_i p_ij z_ij do_i                      (o is linear in v)
//   dp_ij  = z_ij (do_i . v_j)                         (the weight's share of o_i)
//   ds_ij  = p_ij (dp_ij - D_i),  D_i = sum_j p_ij dp_ij = do_i . o_i
//                                   (softmax's Jacobian; the sum collapses to one dot product)
//   dq_i  += sum_j ds_ij k_j / sqrt(d),   dk_j += sum_i ds_ij q_i / sqrt(d).
// p_ij is recomputed tile by tile from the saved lse: one exp, no max, no sum. The keys' and
// values' gradients (dk, dv) sum over query blocks and the queries' (dq) over key blocks; each is
// made by its own task walking the other blocks in order, so no two threads add into the same
// row and the result is bit-identical for any thread count. (It costs a second pass over the
// scores; FlashAttention-2 saves it with atomic adds, which would make the sums' order depend on
// timing.)
//
// Masks (true = hidden, as everywhere in qkv) come in two kinds:
//   - structured: causal, a sliding window, packed documents (cu_seqlens). A tile that is
//     hidden in full is skipped, never computed: this is where block sparsity saves time.
//   - elementwise: a bool mask that broadcasts to (..., Tq, Tk), and key padding (B, Tk).
// A query whose keys are all hidden gets a zero output and zero gradients (lse = -inf).
//
// Dropout on the weights (dropout_p > 0) draws each keep/drop from a hash of (seed, l, i, j),
// not from a stream, so the backward makes the same decisions again without storing a mask.
#pragma once

#include <cstdint>

#include "autograd/autograd.hpp"

namespace qkv::nn {

struct MemoryEfficientOptions {
    bool causal = false;       // query i sees keys j <= i (positions counted inside its document)
    std::int64_t window = -1;  // >= 0: also hide keys with i - j > window (and, when not causal,
                               // j - i > window): a band of width 2 window + 1, or window + 1 keys
                               // back when causal (a sliding window, as Longformer / Mistral)
    Tensor key_padding;        // (B, Tk) bool, true = padding; B = the first leading dim of q
    // Packed documents (变长序列, no padding): int64 (n + 1) cumulative lengths, 0 = first <= ...
    // <= last = Tq (and Tk). Query rows cu_seqlens_q[s] .. cu_seqlens_q[s+1] - 1 see only the key
    // rows of the same document s. Empty cu_seqlens_k means "the same as cu_seqlens_q".
    Tensor cu_seqlens_q;
    Tensor cu_seqlens_k;
    double dropout_p = 0.0;          // in [0, 1)
    std::uint64_t dropout_seed = 0;  // same seed, same dropped weights (forward and backward)
    std::int64_t block_q = 64;       // rows of Q per tile
    std::int64_t block_k = 64;       // rows of K per tile
};

// q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv), float32 or float64; `mask` (optional) bool,
// broadcasts to (..., Tq, Tk). Returns the output (..., Tq, dv). Differentiable in q, k and v.
Var memory_efficient_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask = Tensor(),
                               const MemoryEfficientOptions& options = {});

// The two halves as plain functions on tensors, for readers, the lesson and the tests.
struct AttentionForward {
    Tensor output;  // (..., Tq, dv)
    Tensor lse;     // (..., Tq): log sum_j e^(s_ij) over the visible keys, -inf for a hidden row
};
AttentionForward memory_efficient_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                    const Tensor& mask, const MemoryEfficientOptions& options);

struct AttentionGrads {
    Tensor dq, dk, dv;  // the shapes of q, k, v
};
AttentionGrads memory_efficient_attention_backward(const Tensor& q, const Tensor& k, const Tensor& v,
                                                   const AttentionForward& saved, const Tensor& d_output,
                                                   const Tensor& mask, const MemoryEfficientOptions& options);

// The dropout factors the op uses, as a dense (..., Tq, Tk) tensor of 0 and 1 / (1 - p), for
// checking it against the naive attention. shape_lead = q's leading dims.
Tensor memory_efficient_dropout_scale(const Shape& shape_lead, std::int64_t Tq, std::int64_t Tk, double dropout_p,
                                      std::uint64_t seed, DType dtype);

// Which scores the op computes under causal / window / documents: (Tq, Tk) bool, true inside a
// tile that is computed, false inside a skipped one (the key padding and `mask` never skip).
// Tiles start at each document's first row. For pictures and the lesson.
Tensor attention_tiles_computed(std::int64_t Tq, std::int64_t Tk, const MemoryEfficientOptions& options);

}  // namespace qkv::nn
