// The inner loops of gemm (matmul.cpp explains the whole blocking scheme): the tile sizes, the
// packing of operands into micro-panels, the register-tiled micro-kernel and the macro-kernel
// that sweeps one packed block of A against one packed panel of B. Private to matmul.cpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace qkv::gemm_kernel {

// ---- how the compiler is asked to vectorise -------------------------------------------------
// The micro-kernel is plain C++; its speed depends on the compiler turning each row of the
// accumulator tile into a few vector registers. Measured with GCC 12 and Clang 14 on an
// AVX-512 machine, in-cache, float (double is half):
//   - GCC prefers 256-bit vectors even where 512-bit ones exist; the target attribute below
//     lifts that for the micro-kernel only (about 125 -> 220 GFLOP/s per core).
//   - GCC fully unrolls short fixed loops before vectorising them, and then cannot rebuild
//     vector accumulators from the 2-d array (3 GFLOP/s). Unrolling the rows but keeping the
//     column loop rolled lets the loop vectoriser see it first. Clang needs no hint, and is
//     slower with these ones.
#if defined(__GNUC__) && !defined(__clang__)
#define QKV_GEMM_UNROLL _Pragma("GCC unroll 16")
#define QKV_GEMM_VECTORISE_NOT_UNROLL _Pragma("GCC unroll 1")
#else
#define QKV_GEMM_UNROLL
#define QKV_GEMM_VECTORISE_NOT_UNROLL
#endif

#if defined(__AVX512F__)
inline constexpr int vector_bytes = 64;
#elif defined(__AVX__)
inline constexpr int vector_bytes = 32;
#else
inline constexpr int vector_bytes = 16;  // SSE2, the x86-64 baseline (e.g. the sanitizer build)
#endif
#if !defined(QKV_GEMM_WIDE_VECTORS)  // a test may define it away, to compile the kernel for other targets
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define QKV_GEMM_WIDE_VECTORS __attribute__((target("prefer-vector-width=512")))
#else
#define QKV_GEMM_WIDE_VECTORS
#endif
#endif

// ---- tile sizes -------------------------------------------------------------------------
// MR x NR: the tile of C held in registers. NR is two vectors, so each row is two registers;
// MR rows give 2 * MR independent FMA chains, enough to cover the FMA latency (about 4 cycles
// on 2 ports = 8 chains), while the tile plus one row of B and one broadcast of A stay within
// the 16 (AVX2) or 32 (AVX-512) vector registers.
// KC: the depth of one packed panel; an MR x KC sliver of A and a KC x NR sliver of B fit in L1.
// MC: rows of A per packed block (MC x KC, kept in L2).
// NC: columns of B per packed panel (KC x NC, kept in L3 and shared by all threads).
//
// The tile shape changes with the vector width, the order of the sums does not: each element
// of C is one chain over k (see micro_kernel), and KC, which cuts K into blocks, is the same for
// every width. So a product gives the same bits on AVX2 and AVX-512 machines; the tests run
// both tile shapes side by side (tests/tensor/test_width_independence.cpp).
template <class T, int VectorBytes = vector_bytes>
struct Tiles {
    static constexpr int lanes = VectorBytes / static_cast<int>(sizeof(T));
    static constexpr int MR = VectorBytes == 64 ? 8 : 6;
    static constexpr int NR = 2 * lanes;
    static constexpr std::int64_t KC = 256;  // must not depend on VectorBytes
    static constexpr std::int64_t MC = 32 * MR;
    static constexpr std::int64_t NC = 64 * NR;
};

// ---- packing ------------------------------------------------------------------------------
#if defined(__AVX__)
// `Lines` (8, or 6 for AVX2's A panel) lines from line `first` of a W-line panel whose lines run
// along k (k_step 1: the rows of a row-major A, the columns of a transposed B), for k in
// [0, kc8), kc8 a multiple of 8: eight k at a time, an 8 x 8 block is loaded line by line and
// transposed in registers, so each k's values leave in one or two stores instead of one scalar
// store per line. (AVX intrinsics, because neither GCC nor Clang turns the scalar transpose
// into shuffles; AVX-512 builds use it too.) A 6-line panel's two missing lines are zeros in
// the block, never stored. Attention's per-head products (256 of (32 x 32) @ (32 x 32)) went
// from about 73 to about 92 GFLOP/s with it on a 2-core AMD EPYC (AVX2, 2 threads): at these
// sizes, packing costs about as much as the arithmetic.
template <int W, int Lines>
void pack_lines_transposed(const float* src, std::int64_t line_step, int first, std::int64_t kc8, float* dst) {
    static_assert(Lines == 8 || Lines == 6, "the stores below handle 8 or 6 lines");
    for (std::int64_t k = 0; k < kc8; k += 8) {
        __m256 r[8];
        for (int l = 0; l < 8; ++l)
            r[l] = l < Lines ? _mm256_loadu_ps(src + (first + l) * line_step + k) : _mm256_setzero_ps();
        // The classic 8 x 8 transpose: pairs of lines interleaved, then pairs of pairs, then
        // the 128-bit halves swapped: column j ends up as c[j] = (r0[j], r1[j], ..., r7[j]).
        const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        const __m256 c[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                             _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                             _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                             _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
        float* out = dst + k * W + first;
        if constexpr (Lines == 8) {
            for (int j = 0; j < 8; ++j) _mm256_storeu_ps(out + j * W, c[j]);
        } else {  // four values, then two
            for (int j = 0; j < 8; ++j) {
                _mm_storeu_ps(out + j * W, _mm256_castps256_ps128(c[j]));
                _mm_storeu_si64(out + j * W + 4, _mm_castps_si128(_mm256_extractf128_ps(c[j], 1)));
            }
        }
    }
}
#endif

// Copies `width` (<= W) lines of kc elements into one micro-panel, interleaved so that the
// micro-kernel reads it front to back:
//     dst[k * W + w] = src[w * line_step + k * k_step]
// A line is a row of A (W = MR) or a column of B (W = NR). Lines width..W-1 are filled with
// zeros, so a tile at the edge of C is computed with zeros instead of reading past the matrix.
template <class T, int W>
void pack_panel(const T* src, std::int64_t line_step, std::int64_t k_step, std::int64_t width, std::int64_t kc,
                T* dst) {
    if (width == W && line_step == 1) {  // the W lines are adjacent: copy W elements at a time
        for (std::int64_t k = 0; k < kc; ++k) std::memcpy(dst + k * W, src + k * k_step, W * sizeof(T));
        return;
    }
#if defined(__AVX__)
    if constexpr (std::is_same_v<T, float> && (W % 8 == 0 || W == 6)) {
        if (width == W && k_step == 1 && kc >= 8) {  // lines along k: transposed in 8 x 8 blocks
            const std::int64_t kc8 = kc / 8 * 8;
            if constexpr (W == 6)
                pack_lines_transposed<W, 6>(src, line_step, 0, kc8, dst);
            else
                for (int first = 0; first < W; first += 8) pack_lines_transposed<W, 8>(src, line_step, first, kc8, dst);
            for (std::int64_t k = kc8; k < kc; ++k)
                for (int w = 0; w < W; ++w) dst[k * W + w] = src[w * line_step + k];
            return;
        }
    }
#endif
    if (width == W) {  // a whole panel: with the count of lines fixed at compile time, the copy
                       // of one k is W loads and stores, where the loop below tests w each time
        for (std::int64_t k = 0; k < kc; ++k)
            for (int w = 0; w < W; ++w) dst[k * W + w] = src[w * line_step + k * k_step];
        return;
    }
    for (std::int64_t k = 0; k < kc; ++k) {
        for (std::int64_t w = 0; w < width; ++w) dst[k * W + w] = src[w * line_step + k * k_step];
        for (std::int64_t w = width; w < W; ++w) dst[k * W + w] = T(0);
    }
}

// Packs `panels` whole micro-panels of W lines each at once, for lines adjacent in memory
// (line_step 1: the rows of a transposed A, the columns of a row-major B). With k outermost the
// source is read row after row, front to back, rather than as one narrow strided strip per
// panel, which wastes most of each cache line it touches when the rows are long. (memcpy, not an
// element loop: GCC could not tell that the loop's source and destination do not overlap, and
// copied one float at a time.)
//
// Panels of a W that is not a multiple of 8 (6, AVX2's MR; 4, double's NR on SSE2) are instead
// packed one at a time, k inside: each k's W values are moved as one 8-element copy, which a
// few vector moves do, where the loop below moves 24 or 48 bytes as two pieces into a place far
// from the last. The extra elements land in the slot of k + 1 (for the last k, the next panel's
// first slot), written afterwards; the last panel, whose extra elements might lie past the
// source or the buffer, copies exactly.
// This took the (128 x 2048) @ (2048 x 128) product of a Linear layer's weight gradient from
// about 133 to about 141 GFLOP/s on a 2-core AMD EPYC (AVX2, 2 threads).
template <class T, int W>
void pack_adjacent_panels(const T* src, std::int64_t k_step, std::int64_t panels, std::int64_t kc, T* dst) {
    if constexpr (W % 8 != 0) {
        constexpr int V = (W + 7) / 8 * 8;
        static_assert(V <= 2 * W, "a panel's extra elements must lie within the next panel's");
        for (std::int64_t p = 0; p < panels; ++p) {
            const T* from = src + p * W;
            T* to = dst + p * kc * W;
            if (p + 1 < panels)
                for (std::int64_t k = 0; k < kc; ++k) std::memcpy(to + k * W, from + k * k_step, V * sizeof(T));
            else
                for (std::int64_t k = 0; k < kc; ++k) std::memcpy(to + k * W, from + k * k_step, W * sizeof(T));
        }
        return;
    }
    for (std::int64_t k = 0; k < kc; ++k) {
        const T* row = src + k * k_step;
        for (std::int64_t p = 0; p < panels; ++p) std::memcpy(dst + p * kc * W + k * W, row + p * W, W * sizeof(T));
    }
}

// ---- the micro-kernel ---------------------------------------------------------------------
// c (MR x NR, row stride ldc) = a @ b, with a an MR-wide panel and b an NR-wide panel, both kc
// deep. With `accumulate` the tile starts from c's current values instead of zero, so over all
// the K blocks every element is one chain c = c + a[i][k] * b[k][j] in increasing k.
template <class T, int MR, int NR>
QKV_GEMM_WIDE_VECTORS void micro_kernel(std::int64_t kc, const T* a, const T* b, T* c, std::int64_t ldc,
                                        bool accumulate) {
    T acc[MR][NR];
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) acc[i][j] = T(0);
    if (accumulate)
        for (int i = 0; i < MR; ++i)
            for (int j = 0; j < NR; ++j) acc[i][j] = c[i * ldc + j];

    for (std::int64_t k = 0; k < kc; ++k) {
        const T* a_k = a + k * MR;  // column k of the A panel
        const T* b_k = b + k * NR;  // row k of the B panel
        QKV_GEMM_UNROLL
        for (int i = 0; i < MR; ++i) {
            const T a_ik = a_k[i];
            QKV_GEMM_VECTORISE_NOT_UNROLL
            for (int j = 0; j < NR; ++j) acc[i][j] += a_ik * b_k[j];
        }
    }

    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; ++j) c[i * ldc + j] = acc[i][j];
}

// A tile cut by the edge of C (m < MR rows or n < NR columns): run the same micro-kernel on a
// full-size copy, then keep the m x n part. Using the same code for edge and inner tiles means
// an element's value does not depend on where the blocks happen to end.
template <class T, int MR, int NR>
void edge_tile(std::int64_t m, std::int64_t n, std::int64_t kc, const T* a, const T* b, T* c, std::int64_t ldc,
               bool accumulate) {
    T tile[MR * NR] = {};
    if (accumulate)
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) tile[i * NR + j] = c[i * ldc + j];
    micro_kernel<T, MR, NR>(kc, a, b, tile, NR, accumulate);
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = tile[i * NR + j];
}

// Asks the memory system to start bringing a tile of C (MR rows of NR values) into the cache.
// A tile of a large C is not in any cache when its micro-kernel starts, and the micro-kernel's
// first step waits on it: fetched one tile ahead, the wait overlaps the current tile's work.
// (__builtin_prefetch is a hint GCC and Clang both understand; it changes no value.)
template <class T, int MR, int NR>
void prefetch_tile(const T* c, std::int64_t ldc) {
    constexpr int line = 64 / static_cast<int>(sizeof(T));
    for (int i = 0; i < MR; ++i)
        for (int j = 0; j < NR; j += line) __builtin_prefetch(c + i * ldc + j, 1);
}

// ---- the macro-kernel ---------------------------------------------------------------------
// C block (mc x nc, row stride ldc) = [C +] packed_a (mc x kc) @ packed_b (kc x nc).
// Column panels outermost: one KC x NR sliver of B stays in L1 while every MR-row sliver of A
// streams past it from L2.
template <class T, class Tile>
void macro_kernel(std::int64_t mc, std::int64_t nc, std::int64_t kc, const T* packed_a, const T* packed_b, T* c,
                  std::int64_t ldc, bool accumulate) {
    constexpr int MR = Tile::MR, NR = Tile::NR;
    for (std::int64_t j = 0; j < nc; j += NR) {
        const std::int64_t n = std::min<std::int64_t>(NR, nc - j);
        for (std::int64_t i = 0; i < mc; i += MR) {
            const std::int64_t m = std::min<std::int64_t>(MR, mc - i);
            const T* a = packed_a + i * kc;  // the (i / MR)-th panel, MR * kc elements each
            const T* b = packed_b + j * kc;
            T* tile = c + i * ldc + j;
            if (i + MR < mc) prefetch_tile<T, MR, NR>(tile + MR * ldc, ldc);
            if (m == MR && n == NR) micro_kernel<T, MR, NR>(kc, a, b, tile, ldc, accumulate);
            else edge_tile<T, MR, NR>(m, n, kc, a, b, tile, ldc, accumulate);
        }
    }
}

// ---- the blocked loops ------------------------------------------------------------------
inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
inline std::int64_t round_up(std::int64_t a, std::int64_t b) { return ceil_div(a, b) * b; }

// Bp = B[pc:+kc, jc:+nc] as NR-column panels.
template <class T, class Tile>
void pack_b(const T* B, std::int64_t b_row, std::int64_t b_col, std::int64_t pc, std::int64_t kc, std::int64_t jc,
            std::int64_t nc, T* packed_b) {
    constexpr int NR = Tile::NR;
    std::int64_t j = 0;
    if (b_col == 1) {  // B's columns are adjacent: all whole panels in one sweep over B's rows
        const std::int64_t whole = nc / NR;
        pack_adjacent_panels<T, NR>(B + pc * b_row + jc, b_row, whole, kc, packed_b);
        j = whole * NR;
    }
    for (; j < nc; j += NR)
        pack_panel<T, NR>(B + pc * b_row + (jc + j) * b_col, b_col, b_row, std::min<std::int64_t>(NR, nc - j), kc,
                          packed_b + j * kc);
}

// Ap = A[ic:+mc, pc:+kc] as MR-row panels.
template <class T, class Tile>
void pack_a(const T* A, std::int64_t a_row, std::int64_t a_col, std::int64_t ic, std::int64_t mc, std::int64_t pc,
            std::int64_t kc, T* packed_a) {
    constexpr int MR = Tile::MR;
    std::int64_t i = 0;
    if (a_row == 1) {  // A's rows are adjacent (A is transposed): whole panels in one sweep
        const std::int64_t whole = mc / MR;
        pack_adjacent_panels<T, MR>(A + ic + pc * a_col, a_col, whole, kc, packed_a);
        i = whole * MR;
    }
    for (; i < mc; i += MR)
        pack_panel<T, MR>(A + (ic + i) * a_row + pc * a_col, a_row, a_col, std::min<std::int64_t>(MR, mc - i), kc,
                          packed_a + i * kc);
}

// The depth of the K blocks: equal blocks (257 -> 129 + 128, not 256 + 1) that depend on K
// alone, never on the tile shape or the thread count.
template <class Tile> std::int64_t k_block(std::int64_t K) { return ceil_div(K, ceil_div(K, Tile::KC)); }

// Elements of the packing buffers gemm_blocked needs for an M x N x K product.
template <class Tile> std::int64_t packed_a_size(std::int64_t M, std::int64_t K) {
    return k_block<Tile>(K) * round_up(std::min(M, Tile::MC), Tile::MR);
}
template <class Tile> std::int64_t packed_b_size(std::int64_t N, std::int64_t K) {
    return k_block<Tile>(K) * round_up(std::min(N, Tile::NC), Tile::NR);
}

// C (M x N, row stride ldc) = A (M x K) @ B (K x N), any strides, K >= 1: the blocked loops of
// matmul.cpp's diagram on the calling thread, with the packing buffers given.
template <class T, class Tile>
void gemm_blocked(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t a_row, std::int64_t a_col,
                  const T* B, std::int64_t b_row, std::int64_t b_col, T* C, std::int64_t ldc, T* packed_a,
                  T* packed_b) {
    const std::int64_t kc_step = k_block<Tile>(K);
    for (std::int64_t jc = 0; jc < N; jc += Tile::NC) {
        const std::int64_t nc = std::min(Tile::NC, N - jc);
        for (std::int64_t pc = 0; pc < K; pc += kc_step) {
            const std::int64_t kc = std::min(kc_step, K - pc);
            pack_b<T, Tile>(B, b_row, b_col, pc, kc, jc, nc, packed_b);
            for (std::int64_t ic = 0; ic < M; ic += Tile::MC) {
                const std::int64_t mc = std::min(Tile::MC, M - ic);
                pack_a<T, Tile>(A, a_row, a_col, ic, mc, pc, kc, packed_a);
                macro_kernel<T, Tile>(mc, nc, kc, packed_a, packed_b, C + ic * ldc + jc, ldc, pc > 0);
            }
        }
    }
}

}  // namespace qkv::gemm_kernel
