// Matrix multiplication: matmul() checks and batches; gemm() is the blocked kernel behind it.
//
// ---- gemm: C = A @ B, blocked for the caches ------------------------------------------------
// A naive triple loop re-reads B from memory for every row of C, so it waits on memory, not on
// arithmetic. gemm uses the layered blocking of Goto's algorithm (the one BLIS is built on):
// cut the operands into blocks sized for each cache level, copy ("pack") each block once into
// the order the inner loop reads it, and spend the time in a micro-kernel that keeps a small
// MR x NR tile of C in registers while it walks down K.
//
//   for jc in steps of NC:                     columns of B and C
//     for pc in steps of KC:                   the inner dimension
//       pack B[pc:+KC, jc:+NC] -> Bp           KC x NC, lives in L2
//       for ic in steps of MC:                 rows of A and C
//         pack A[ic:+MC, pc:+KC] -> Ap         MC x KC, lives in L2
//         for jr in steps of NR:               the macro-kernel (gemm_kernel.hpp)
//           for ir in steps of MR:
//             C[ic+ir:+MR, jc+jr:+NR] += Ap panel ir @ Bp panel jr      (the micro-kernel)
//
//                 pc                            jc                            jc
//                 v  KC                         v    NC                       v    NC
//         +-------+----+-------+        +-------+--------+---+        +-------+--------+---+
//         |       .    .       |        |       .        .   |        |       .        .   |
//     ic >| . . . +----+       |    pc >| . . . +--------+   |    ic >| . . . +--------+   |
//      MC |       | Ap |       |     KC |       |   Bp   |   |     MC |       |   C    |   |
//         |       +----+       |        |       +--------+   |        |       +--------+   |
//         |                    |        |                    |        |                    |
//         +--------------------+        +--------------------+        +--------------------+
//               A (M x K)                     B (K x N)                      C (M x N)
//
//   Ap = MR-row panels:    [a(0,0) a(1,0) .. a(MR-1,0)] [a(0,1) .. a(MR-1,1)] ...   (k by k)
//   Bp = NR-column panels: [b(0,0) b(0,1) .. b(0,NR-1)] [b(1,0) .. b(1,NR-1)] ...   (k by k)
//
// Packing: both panels are read front to back by the micro-kernel, one MR-column of Ap and one
// NR-row of Bp per step of k. Packing is where the operands' strides are handled: a transposed,
// sliced or broadcast (stride 0) operand costs one strided copy per block, never a full
// contiguous() copy. Panels at the edges of A and B are padded with zeros.
//
// ---- determinism ----------------------------------------------------------------------------
// Each element C[i][j] belongs to one MR x NR tile, computed by the same micro-kernel code
// (edge tiles too), once per K block; after the first block the micro-kernel starts from C's
// current value instead of adding a separately summed block. So every element is the one chain
//     c = 0;  for k = 0, 1, ..., K-1:  c = c + A[i][k] * B[k][j]
// in increasing k (one rounding per step where the compiler fuses it into an FMA). The block
// sizes, which thread runs which slab of C, and how matmul shares batches out cannot reorder it,
// so the results are bit-identical for any thread count. K is never split across threads:
// partial sums would have to be added in an order that depends on the split.
//
// ---- threads --------------------------------------------------------------------------------
// C is cut along its longer side into one slab per thread (in whole MR or NR tiles), and each
// thread runs the loops above on its slab alone: C[:, j0:j1] = A @ B[:, j0:j1], or the same by
// rows. Threads share nothing but the inputs, so they meet once, at the end of the product,
// instead of at every K block; each packs its own copy of A (or B), which costs 1/N (1/M) of
// the arithmetic. Products under parallel_min_flops stay on one thread. matmul() instead gives
// each thread whole products when there are many small ones (attention heads).
//
// A large C is not in any cache when its tiles' turn comes; the macro-kernel asks for the next
// tile of C while the micro-kernel works on the current one (gemm_kernel.hpp, prefetch_tile).
// Measured on the 2-core AVX-512 machine, one thread, n = 1024: 90 -> 180 GFLOP/s.
#include "tensor/matmul.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <new>
#include <vector>

#include "tensor/gemm_kernel.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv {
namespace {

// Products under this many flops (2*M*N*K) run on one thread: below it, handing half of the
// work to another thread costs about what it saves.
constexpr double parallel_min_flops = 4e6;

using gemm_kernel::ceil_div;
using gemm_kernel::round_up;

// A grow-only, 64-byte-aligned buffer. gemm keeps one per thread for Ap and one for Bp
// (thread_local), so packing allocates only when a thread first meets a larger block.
template <class T>
class Scratch {
public:
    T* get(std::int64_t count) {
        const auto n = static_cast<std::size_t>(count);
        if (n > capacity_) {
            data_.reset(static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64))));
            capacity_ = n;
        }
        return data_.get();
    }

private:
    struct Free {
        void operator()(T* p) const { ::operator delete(p, std::align_val_t(64)); }
    };
    std::unique_ptr<T, Free> data_;
    std::size_t capacity_ = 0;
};

template <class T> T* packed_a_buffer(std::int64_t count) {
    thread_local Scratch<T> buffer;
    return buffer.get(count);
}
template <class T> T* packed_b_buffer(std::int64_t count) {
    thread_local Scratch<T> buffer;
    return buffer.get(count);
}

// The blocked loops of the diagram above, on the calling thread, with this thread's buffers.
template <class T>
void gemm_one_thread(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t a_row,
                     std::int64_t a_col, const T* B, std::int64_t b_row, std::int64_t b_col, T* C, std::int64_t ldc) {
    using Tile = gemm_kernel::Tiles<T>;
    T* packed_b = packed_b_buffer<T>(gemm_kernel::packed_b_size<Tile>(N, K));
    T* packed_a = packed_a_buffer<T>(gemm_kernel::packed_a_size<Tile>(M, K));
    gemm_kernel::gemm_blocked<T, Tile>(M, N, K, A, a_row, a_col, B, b_row, b_col, C, ldc, packed_a, packed_b);
}

}  // namespace

template <class T>
void gemm(std::int64_t M, std::int64_t N, std::int64_t K, const T* A, std::int64_t a_row, std::int64_t a_col,
          const T* B, std::int64_t b_row, std::int64_t b_col, T* C, std::int64_t ldc) {
    using Tiles = gemm_kernel::Tiles<T>;
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {  // an empty sum
        for (std::int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, T(0));
        return;
    }
    const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    const int threads = flops < parallel_min_flops ? 1 : num_threads();
    // Cut C into one slab per thread along its longer side, in whole tiles, and give each
    // thread a whole product: C[:, j0:j1] = A @ B[:, j0:j1] (or C[i0:i1, :] = A[i0:i1, :] @ B).
    // A thread then packs its own panels and never waits for another until the end; the
    // price is that each thread packs all of A (or of B), which is 1/N (1/M) of the work.
    const bool by_columns = N >= M;
    const std::int64_t tile = by_columns ? Tiles::NR : Tiles::MR, length = by_columns ? N : M;
    const std::int64_t slabs = std::min<std::int64_t>(threads, ceil_div(length, tile));
    const std::int64_t width = round_up(ceil_div(length, slabs), tile);
    parallel_for(ceil_div(length, width), 1, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t s = first; s < last; ++s) {
            const std::int64_t start = s * width, size = std::min(width, length - start);
            if (by_columns)
                gemm_one_thread<T>(M, size, K, A, a_row, a_col, B + start * b_col, b_row, b_col, C + start, ldc);
            else
                gemm_one_thread<T>(size, N, K, A + start * a_row, a_row, a_col, B, b_row, b_col, C + start * ldc,
                                   ldc);
        }
    });
}

template void gemm<float>(std::int64_t, std::int64_t, std::int64_t, const float*, std::int64_t, std::int64_t,
                          const float*, std::int64_t, std::int64_t, float*, std::int64_t);
template void gemm<double>(std::int64_t, std::int64_t, std::int64_t, const double*, std::int64_t, std::int64_t,
                           const double*, std::int64_t, std::int64_t, double*, std::int64_t);

namespace {

// The batch dims of the result: a's and b's (everything but the last two dims) broadcast.
Shape broadcast_batch(const Tensor& a, const Tensor& b, const Tensor& a2, const Tensor& b2) {
    const Shape a_batch(a2.shape().begin(), a2.shape().end() - 2);
    const Shape b_batch(b2.shape().begin(), b2.shape().end() - 2);
    const std::size_t n = std::max(a_batch.size(), b_batch.size());
    Shape batch(n);
    for (std::size_t k = 0; k < n; ++k) {  // aligned at the right, as in elementwise ops
        const std::int64_t sa = k < a_batch.size() ? a_batch[a_batch.size() - 1 - k] : 1;
        const std::int64_t sb = k < b_batch.size() ? b_batch[b_batch.size() - 1 - k] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            fail("matmul", "shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()), ": batch dims ",
                 shape_str(a_batch), " and ", shape_str(b_batch), " cannot be broadcast");
        batch[n - 1 - k] = sa == 1 ? sb : sa;
    }
    return batch;
}

// out (batch..., M, N), contiguous = a (batch..., M, K) @ b (batch..., K, N), with a and b
// already expanded to the full batch shape (stride 0 where they broadcast).
template <class T>
void batched_gemm(const Tensor& a, const Tensor& b, const Tensor& out) {
    const std::int64_t M = out.size(-2), N = out.size(-1), K = a.size(-1);
    const Shape batch(out.shape().begin(), out.shape().end() - 2);
    std::vector<std::array<std::int64_t, 3>> offsets;  // of a, b and out, for each product
    for_each_offset<3>(batch, {a.strides().data(), b.strides().data(), out.strides().data()}, {0, 0, 0},
                       [&](const std::int64_t* off) { offsets.push_back({off[0], off[1], off[2]}); });
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* pc = out.data<T>();
    const std::int64_t a_row = a.stride(-2), a_col = a.stride(-1), b_row = b.stride(-2), b_col = b.stride(-1);
    // Many products, or small ones: whole products per thread, each straight to the one-thread
    // loops (attention's heads are often a few thousand flops each, less than the bookkeeping
    // of a threaded call). A few large ones: one after another, each spread over the threads.
    const auto count = static_cast<std::int64_t>(offsets.size());
    const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) * static_cast<double>(K);
    if (count >= 2 * num_threads() || flops < parallel_min_flops) {
        parallel_for(count, static_cast<std::int64_t>(parallel_min_flops / flops) + 1,
                     [&](std::int64_t first, std::int64_t last) {
                         for (std::int64_t p = first; p < last; ++p) {
                             const auto& off = offsets[static_cast<std::size_t>(p)];
                             gemm_one_thread<T>(M, N, K, pa + off[0], a_row, a_col, pb + off[1], b_row, b_col,
                                                pc + off[2], N);
                         }
                     });
    } else {
        for (const auto& off : offsets)
            gemm<T>(M, N, K, pa + off[0], a_row, a_col, pb + off[1], b_row, b_col, pc + off[2], N);
    }
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
    a.check_defined("matmul");
    b.check_defined("matmul");
    if (a.dim() == 0 || b.dim() == 0)
        fail("matmul", "shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
             ": expected tensors with at least 1 dim, got a 0-d one");
    if (a.dtype() != b.dtype())
        fail("matmul", describe(a), " and ", describe(b), ": dtypes differ; convert one with .to()");
    if (!is_floating(a.dtype()))
        fail("matmul", describe(a), " and ", describe(b), ": expected float32 or float64 tensors");

    // numpy's rule for 1-d operands: (K) acts as (1, K) on the left and as (K, 1) on the right,
    // and that dim is dropped from the result.
    const Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;
    const Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
    const std::int64_t M = a2.size(-2), K = a2.size(-1), N = b2.size(-1);
    if (b2.size(-2) != K)
        fail("matmul", "shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()), ": inner sizes ", K, " and ",
             b2.size(-2), " differ");
    Shape shape = broadcast_batch(a, b, a2, b2);
    Shape result_shape = shape;
    if (a.dim() > 1) result_shape.push_back(M);
    if (b.dim() > 1) result_shape.push_back(N);

    Shape a_shape = shape, b_shape = shape;
    a_shape.insert(a_shape.end(), {M, K});
    b_shape.insert(b_shape.end(), {K, N});
    shape.insert(shape.end(), {M, N});
    // Zeros are already the answer when K == 0; otherwise gemm writes every element.
    const Tensor out = K == 0 ? Tensor(shape, a.dtype()) : Tensor::uninitialized(shape, a.dtype());
    if (out.numel() > 0 && K > 0) {
        const Tensor a3 = a2.expand(a_shape), b3 = b2.expand(b_shape);
        dispatch_float(a.dtype(), "matmul", [&](auto tag) {
            using T = typename decltype(tag)::type;
            batched_gemm<T>(a3, b3, out);
        });
    }
    return out.view(result_shape);
}

}  // namespace qkv
