// The tiled forward and backward of memory_efficient.hpp (the maths is in the header). Plain
// loops over one tile at a time; the three products per tile (Q K^T, P V, and in the backward
// dO V^T, P^T dO, dS^T Q, dS K) go to the library's gemm.
#include "nn/attention/memory_efficient.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "tensor/fast_math.hpp"
#include "tensor/matmul.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv::nn {

namespace {

constexpr const char* op_name = "memory_efficient_attention";

// ---- the problem, checked once ---------------------------------------------------------------

// Everything the tile loops need, with the inputs made contiguous: row r of q for leading index
// l starts at q + (l * Tq + r) * d.
struct Problem {
    std::int64_t L = 1, Tq = 0, Tk = 0, d = 0, dv = 0;
    Shape lead;                           // the leading dims of q
    std::vector<std::int64_t> cu_q, cu_k;  // document bounds; one document [0, T) when not packed
    bool causal = false;
    std::int64_t window = -1;
    // Elementwise masks (nullptr when absent). mask element (l, i, j) sits at
    // mask_base[l] + i * mask_row + j * mask_col (strides 0 where it broadcasts).
    const std::uint8_t* mask = nullptr;
    Tensor mask_view;  // keeps the expanded mask alive
    std::vector<std::int64_t> mask_base;
    std::int64_t mask_row = 0, mask_col = 0;
    const std::uint8_t* key_pad = nullptr;  // (B, Tk): key j of leading index l is at key_pad[(l / per_batch) * Tk + j]
    Tensor key_pad_view;
    std::int64_t per_batch = 1;
    double dropout_p = 0.0;
    std::uint64_t seed = 0;
    std::int64_t bq = 64, bk = 64;
};

std::vector<std::int64_t> document_bounds(const Tensor& cu, std::int64_t T, const char* which) {
    if (!cu.defined()) return {0, T};
    if (cu.dtype() != DType::Int64 || cu.dim() != 1 || cu.numel() < 1)
        fail(op_name, which, " must be 1-d int64 (n + 1 cumulative lengths), got ", describe(cu));
    std::vector<std::int64_t> b = cu.to_vector<std::int64_t>();
    if (b.front() != 0 || b.back() != T)
        fail(op_name, which, " must run from 0 to ", T, " (the packed length), got ", b.front(), " .. ", b.back());
    for (std::size_t s = 1; s < b.size(); ++s)
        if (b[s] < b[s - 1]) fail(op_name, which, " must not decrease, but entry ", s, " is ", b[s], " after ", b[s - 1]);
    return b;
}

Problem make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                     const MemoryEfficientOptions& o) {
    const auto shapes = [&] {
        return cat("q ", shape_str(q.shape()), ", k ", shape_str(k.shape()), ", v ", shape_str(v.shape()));
    };
    if (q.dim() < 2 || k.dim() != q.dim() || v.dim() != q.dim())
        fail(op_name, shapes(), ": need the same number (>= 2) of dims, (..., T, size)");
    for (std::int64_t i = 0; i + 2 < q.dim(); ++i)
        if (q.size(i) != k.size(i) || k.size(i) != v.size(i)) fail(op_name, shapes(), " differ in leading dim ", i);
    if (q.dtype() != k.dtype() || k.dtype() != v.dtype() || !is_floating(q.dtype()))
        fail(op_name, "q, k and v must share one dtype, float32 or float64: ", shapes(), " are ",
             dtype_name(q.dtype()), ", ", dtype_name(k.dtype()), ", ", dtype_name(v.dtype()));
    if (k.size(-1) != q.size(-1)) fail(op_name, shapes(), " differ in the query/key size d");
    if (q.size(-1) < 1) fail(op_name, shapes(), ": d = 0, there is nothing to score with");
    if (k.size(-2) != v.size(-2)) fail(op_name, shapes(), " differ in the number of keys Tk");
    if (o.block_q < 1 || o.block_k < 1) fail(op_name, "block sizes must be >= 1, got ", o.block_q, " x ", o.block_k);
    if (o.window < -1) fail(op_name, "window must be >= 0 (or -1 for none), got ", o.window);
    if (!(o.dropout_p >= 0.0 && o.dropout_p < 1.0)) fail(op_name, "dropout_p must lie in [0, 1), got ", o.dropout_p);

    Problem p;
    p.lead.assign(q.shape().begin(), q.shape().end() - 2);
    p.L = shape_numel(p.lead);
    p.Tq = q.size(-2), p.Tk = k.size(-2), p.d = q.size(-1), p.dv = v.size(-1);
    p.cu_q = document_bounds(o.cu_seqlens_q, p.Tq, "cu_seqlens_q");
    p.cu_k = document_bounds(o.cu_seqlens_k.defined() ? o.cu_seqlens_k : o.cu_seqlens_q, p.Tk,
                             o.cu_seqlens_k.defined() ? "cu_seqlens_k" : "cu_seqlens_q (used for the keys)");
    if (p.cu_q.size() != p.cu_k.size())
        fail(op_name, "cu_seqlens_q and cu_seqlens_k hold different numbers of documents: ", p.cu_q.size() - 1,
             " vs ", p.cu_k.size() - 1);
    p.causal = o.causal, p.window = o.window;
    p.dropout_p = o.dropout_p, p.seed = o.dropout_seed;
    p.bq = o.block_q, p.bk = o.block_k;

    Shape scores_shape = p.lead;
    scores_shape.push_back(p.Tq);
    scores_shape.push_back(p.Tk);
    if (mask.defined()) {
        if (mask.dtype() != DType::Bool) fail(op_name, "mask must be bool (true = masked out), got ", describe(mask));
        bool fits = mask.dim() <= static_cast<std::int64_t>(scores_shape.size());
        for (std::int64_t i = 1; fits && i <= mask.dim(); ++i) {
            const std::int64_t m = mask.size(-i), s = scores_shape[scores_shape.size() - static_cast<std::size_t>(i)];
            fits = m == 1 || m == s;
        }
        if (!fits)
            fail(op_name, "mask ", shape_str(mask.shape()), " does not broadcast to the scores (..., Tq, Tk) ",
                 shape_str(scores_shape));
        // A broadcast view: no (L, Tq, Tk) copy is ever made.
        p.mask_view = mask.expand(scores_shape);
        p.mask = p.mask_view.data<std::uint8_t>();
        p.mask_row = p.mask_view.stride(-2), p.mask_col = p.mask_view.stride(-1);
        p.mask_base.assign(static_cast<std::size_t>(p.L), 0);
        for (std::int64_t l = 0; l < p.L; ++l) {
            std::int64_t rest = l, off = 0;
            for (std::int64_t dim = static_cast<std::int64_t>(p.lead.size()) - 1; dim >= 0; --dim) {
                const std::int64_t n = p.lead[static_cast<std::size_t>(dim)];
                off += (rest % n) * p.mask_view.stride(dim);
                rest /= n;
            }
            p.mask_base[static_cast<std::size_t>(l)] = off;
        }
    }
    if (o.key_padding.defined()) {
        const Tensor& kp = o.key_padding;
        if (kp.dtype() != DType::Bool || kp.dim() != 2 || p.lead.empty() || kp.size(0) != p.lead[0] ||
            kp.size(1) != p.Tk)
            fail(op_name, "key_padding must be bool (B, Tk) with B = q's first dim: ", shapes(), ", key_padding ",
                 describe(kp));
        p.key_pad_view = kp.contiguous();
        p.key_pad = p.key_pad_view.data<std::uint8_t>();
        p.per_batch = p.L / p.lead[0];
    }
    return p;
}

// ---- which scores are hidden -----------------------------------------------------------------

// Positions i, j counted from the start of their document.
bool structurally_hidden(const Problem& p, std::int64_t i, std::int64_t j) {
    if (p.causal && j > i) return true;
    if (p.window >= 0 && (i - j > p.window || (!p.causal && j - i > p.window))) return true;
    return false;
}

// Tile rows [i0, i1) x keys [j0, j1) (document positions): true when every score in it is
// hidden by causal / window, so the tile is skipped. The tile's corners decide: the hidden
// regions are half-planes j - i > c and i - j > w.
bool tile_hidden(const Problem& p, std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
    if (p.causal && j0 > i1 - 1) return true;
    if (p.window >= 0 && (i0 - (j1 - 1) > p.window || (!p.causal && j0 - (i1 - 1) > p.window))) return true;
    return false;
}

// True when no score of the tile is hidden by causal / window (so the per-score check is skipped).
bool tile_fully_visible(const Problem& p, std::int64_t i0, std::int64_t i1, std::int64_t j0, std::int64_t j1) {
    if (p.causal && j1 - 1 > i0) return false;
    if (p.window >= 0 && ((i1 - 1) - j0 > p.window || (!p.causal && (j1 - 1) - i0 > p.window))) return false;
    return true;
}

// The keep/drop draw of weight (l, i, j) (global rows): splitmix64's output function on a
// counter, a uniform in [0, 1). Stateless, so forward and backward draw the same.
double dropout_uniform(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

// One tile: which scores are hidden and the dropout factors of the visible ones.
struct Tile {
    std::int64_t l, doc_q, doc_k;  // leading index; first global row of the document (queries, keys)
    std::int64_t i0, i1, j0, j1;   // document positions of the tile's rows and keys
    std::int64_t nq() const { return i1 - i0; }
    std::int64_t nk() const { return j1 - j0; }
};

bool elementwise_masks(const Problem& p) { return p.mask != nullptr || p.key_pad != nullptr; }

bool hidden(const Problem& p, const Tile& t, std::int64_t i, std::int64_t j, bool check_structure) {
    if (check_structure && structurally_hidden(p, i, j)) return true;
    const std::int64_t gi = t.doc_q + i, gj = t.doc_k + j;
    if (p.key_pad && p.key_pad[(t.l / p.per_batch) * p.Tk + gj]) return true;
    if (p.mask && p.mask[p.mask_base[static_cast<std::size_t>(t.l)] + gi * p.mask_row + gj * p.mask_col]) return true;
    return false;
}

template <class T> T dropout_factor(const Problem& p, const Tile& t, std::int64_t i, std::int64_t j) {
    const std::uint64_t index = static_cast<std::uint64_t>((t.l * p.Tq + t.doc_q + i) * p.Tk + t.doc_k + j);
    return dropout_uniform(p.seed, index) < p.dropout_p ? T(0) : static_cast<T>(1.0 / (1.0 - p.dropout_p));
}

// S (nq x nk, row stride nk) = Q_tile K_tile^T / sqrt(d), hidden scores set to -inf.
template <class T> void tile_scores(const Problem& p, const Tile& t, const T* q, const T* k, T* S) {
    const T* Qt = q + (t.l * p.Tq + t.doc_q + t.i0) * p.d;  // (nq, d)
    const T* Kt = k + (t.l * p.Tk + t.doc_k + t.j0) * p.d;  // (nk, d)
    const std::int64_t nq = t.nq(), nk = t.nk();
    gemm<T>(nq, nk, p.d, Qt, p.d, 1, Kt, 1, p.d, S, nk);  // (nq, d) @ (d, nk): K read transposed
    const T sqrt_d = std::sqrt(static_cast<T>(p.d));
    const bool check_structure = !tile_fully_visible(p, t.i0, t.i1, t.j0, t.j1);
    const bool check = check_structure || elementwise_masks(p);
    for (std::int64_t r = 0; r < nq; ++r) {
        T* row = S + r * nk;
        for (std::int64_t c = 0; c < nk; ++c) row[c] /= sqrt_d;
        if (check)
            for (std::int64_t c = 0; c < nk; ++c)
                if (hidden(p, t, t.i0 + r, t.j0 + c, check_structure)) row[c] = -std::numeric_limits<T>::infinity();
    }
}

// The tasks of one pass: (leading index, document, block of rows), rows of queries or of keys.
struct Task {
    std::int64_t l, doc, first, last;  // document positions [first, last)
};

std::vector<Task> make_tasks(const Problem& p, const std::vector<std::int64_t>& bounds, std::int64_t block) {
    std::vector<Task> tasks;
    for (std::int64_t l = 0; l < p.L; ++l)
        for (std::size_t s = 0; s + 1 < bounds.size(); ++s) {
            const std::int64_t n = bounds[s + 1] - bounds[s];
            for (std::int64_t r = 0; r < n; r += block)
                tasks.push_back({l, static_cast<std::int64_t>(s), r, std::min(r + block, n)});
        }
    return tasks;
}

// ---- forward ---------------------------------------------------------------------------------

// One block of query rows of one (l, document): the online softmax over its key blocks.
template <class T> void forward_rows(const Problem& p, const Task& task, const T* q, const T* k, const T* v, T* out,
                                     T* lse) {
    constexpr T inf = std::numeric_limits<T>::infinity();
    const std::int64_t doc_q = p.cu_q[static_cast<std::size_t>(task.doc)],
                       doc_k = p.cu_k[static_cast<std::size_t>(task.doc)];
    const std::int64_t n_keys = p.cu_k[static_cast<std::size_t>(task.doc) + 1] - doc_k;
    const std::int64_t nq = task.last - task.first, dv = p.dv;
    std::vector<T> S(static_cast<std::size_t>(nq * p.bk));      // (nq, Bk) scores, then weights
    std::vector<T> PV(static_cast<std::size_t>(nq * dv));       // (nq, dv) this block's P V
    std::vector<T> acc(static_cast<std::size_t>(nq * dv), T(0));  // (nq, dv) running a
    std::vector<T> m(static_cast<std::size_t>(nq), -inf);         // running max
    std::vector<T> l_sum(static_cast<std::size_t>(nq), T(0));     // running sum

    for (std::int64_t j0 = 0; j0 < n_keys; j0 += p.bk) {
        const Tile t{task.l, doc_q, doc_k, task.first, task.last, j0, std::min(j0 + p.bk, n_keys)};
        if (tile_hidden(p, t.i0, t.i1, t.j0, t.j1)) continue;  // block sparsity: never computed
        const std::int64_t nk = t.nk();
        tile_scores(p, t, q, k, S.data());  // (nq, nk)
        for (std::int64_t r = 0; r < nq; ++r) {
            T* row = S.data() + r * nk;
            T block_max = -inf;
            for (std::int64_t c = 0; c < nk; ++c) block_max = std::max(block_max, row[c]);
            T m_new = std::max(m[r], block_max);
            if (m_new == -inf) {
                // Every key so far is hidden: nothing to add. Unless std::max skipped a NaN score
                // (a block of NaN and -inf only): then the row is NaN, as in the naive op. With a
                // finite max, a NaN score needs no check: e^(NaN - m) makes l, and so the row, NaN.
                if (std::none_of(row, row + nk, [](T s) { return std::isnan(s); })) {
                    std::fill(row, row + nk, T(0));
                    continue;
                }
                m_new = std::numeric_limits<T>::quiet_NaN();
            }
            const T alpha = fast::exp(m[r] - m_new);  // e^(m - m'); 0 when m was -inf
            T block_sum = 0;
            for (std::int64_t c = 0; c < nk; ++c) row[c] = fast::exp(row[c] - m_new);  // e^(s_j - m')
            for (std::int64_t c = 0; c < nk; ++c) block_sum += row[c];
            l_sum[r] = alpha * l_sum[r] + block_sum;  // l' = alpha l + sum_j e^(s_j - m')
            m[r] = m_new;
            T* a = acc.data() + r * dv;
            for (std::int64_t c = 0; c < dv; ++c) a[c] *= alpha;  // a' = alpha a + ...
            if (p.dropout_p > 0.0)  // the weights that reach V are dropped; l counts them all
                for (std::int64_t c = 0; c < nk; ++c) row[c] *= dropout_factor<T>(p, t, t.i0 + r, t.j0 + c);
        }
        const T* Vt = v + (t.l * p.Tk + doc_k + j0) * dv;  // (nk, dv)
        gemm<T>(nq, dv, nk, S.data(), nk, 1, Vt, dv, 1, PV.data(), dv);  // (nq, nk) @ (nk, dv)
        for (std::int64_t x = 0; x < nq * dv; ++x) acc[x] += PV[x];  // ... + sum_j e^(s_j - m') v_j
    }
    for (std::int64_t r = 0; r < nq; ++r) {
        const std::int64_t row = task.l * p.Tq + doc_q + task.first + r;
        T* o = out + row * dv;
        const T* a = acc.data() + r * dv;
        // o = a / l; a row with no visible key has l = 0 and gets zeros, lse = -inf. A NaN score
        // made l NaN: the row is NaN, as in the naive op, not silently zero.
        const bool visible = l_sum[r] > 0 || std::isnan(l_sum[r]);
        for (std::int64_t c = 0; c < dv; ++c) o[c] = visible ? a[c] / l_sum[r] : T(0);
        lse[row] = visible ? m[r] + std::log(l_sum[r]) : -inf;
    }
}

// ---- backward --------------------------------------------------------------------------------

// For one tile: the weights P = e^(S - lse) (times the dropout factor in Pz) and
// dS = P (dP - D) / sqrt(d), with dP = (dO V^T) z. Both passes of the backward call this, so
// they see bit-identical values. P, Pz, dS are (nq, nk).
template <class T> void tile_grads(const Problem& p, const Tile& t, const T* q, const T* k, const T* v, const T* dout,
                                   const T* lse, const T* D, T* P, T* Pz, T* dS) {
    const std::int64_t nq = t.nq(), nk = t.nk();
    tile_scores(p, t, q, k, P);  // (nq, nk) scores s_ij, -inf where hidden
    const T* dOt = dout + (t.l * p.Tq + t.doc_q + t.i0) * p.dv;  // (nq, dv)
    const T* Vt = v + (t.l * p.Tk + t.doc_k + t.j0) * p.dv;       // (nk, dv)
    gemm<T>(nq, nk, p.dv, dOt, p.dv, 1, Vt, 1, p.dv, dS, nk);    // dP = dO V^T: (nq, dv) @ (dv, nk)
    const T sqrt_d = std::sqrt(static_cast<T>(p.d));
    for (std::int64_t r = 0; r < nq; ++r) {
        const std::int64_t row = t.l * p.Tq + t.doc_q + t.i0 + r;
        const T lse_r = lse[row], D_r = D[row];
        T *pr = P + r * nk, *pz = Pz + r * nk, *ds = dS + r * nk;
        if (lse_r == -std::numeric_limits<T>::infinity()) {  // a hidden row: no weight, no gradient
            std::fill(pr, pr + nk, T(0)), std::fill(pz, pz + nk, T(0)), std::fill(ds, ds + nk, T(0));
            continue;
        }
        for (std::int64_t c = 0; c < nk; ++c) pr[c] = fast::exp(pr[c] - lse_r);  // p_ij = e^(s_ij - lse_i)
        for (std::int64_t c = 0; c < nk; ++c) pz[c] = pr[c];
        if (p.dropout_p > 0.0)
            for (std::int64_t c = 0; c < nk; ++c) {
                const T z = dropout_factor<T>(p, t, t.i0 + r, t.j0 + c);
                pz[c] *= z;
                ds[c] *= z;  // dp_ij = z_ij (do_i . v_j)
            }
        for (std::int64_t c = 0; c < nk; ++c) ds[c] = pr[c] * (ds[c] - D_r) / sqrt_d;  // ds_ij / sqrt(d)
    }
}

// Pass 1, one block of key rows: dK_j = sum_i dS_ij^T Q_i and dV_j = sum_i Pz_ij^T dO_i over the
// query blocks i in order.
template <class T> void backward_keys(const Problem& p, const Task& task, const T* q, const T* k, const T* v,
                                      const T* dout, const T* lse, const T* D, T* dk, T* dv) {
    const std::int64_t doc_q = p.cu_q[static_cast<std::size_t>(task.doc)],
                       doc_k = p.cu_k[static_cast<std::size_t>(task.doc)];
    const std::int64_t n_queries = p.cu_q[static_cast<std::size_t>(task.doc) + 1] - doc_q;
    const std::int64_t nk = task.last - task.first, d = p.d, dvs = p.dv;
    std::vector<T> P(static_cast<std::size_t>(p.bq * nk)), Pz(P.size()), dS(P.size());  // (Bq, nk)
    std::vector<T> tmp(static_cast<std::size_t>(nk * std::max(d, dvs)));
    std::vector<T> dk_acc(static_cast<std::size_t>(nk * d), T(0)), dv_acc(static_cast<std::size_t>(nk * dvs), T(0));
    for (std::int64_t i0 = 0; i0 < n_queries; i0 += p.bq) {
        const Tile t{task.l, doc_q, doc_k, i0, std::min(i0 + p.bq, n_queries), task.first, task.last};
        if (tile_hidden(p, t.i0, t.i1, t.j0, t.j1)) continue;
        const std::int64_t nq = t.nq();
        tile_grads(p, t, q, k, v, dout, lse, D, P.data(), Pz.data(), dS.data());
        const T* dOt = dout + (t.l * p.Tq + doc_q + i0) * dvs;  // (nq, dv)
        const T* Qt = q + (t.l * p.Tq + doc_q + i0) * d;        // (nq, d)
        gemm<T>(nk, dvs, nq, Pz.data(), 1, nk, dOt, dvs, 1, tmp.data(), dvs);  // Pz^T dO: (nk, nq) @ (nq, dv)
        for (std::int64_t x = 0; x < nk * dvs; ++x) dv_acc[x] += tmp[x];
        gemm<T>(nk, d, nq, dS.data(), 1, nk, Qt, d, 1, tmp.data(), d);  // dS^T Q: (nk, nq) @ (nq, d)
        for (std::int64_t x = 0; x < nk * d; ++x) dk_acc[x] += tmp[x];
    }
    const std::int64_t row0 = task.l * p.Tk + doc_k + task.first;
    std::copy(dk_acc.begin(), dk_acc.end(), dk + row0 * d);
    std::copy(dv_acc.begin(), dv_acc.end(), dv + row0 * dvs);
}

// Pass 2, one block of query rows: dQ_i = sum_j dS_ij K_j over the key blocks j in order.
template <class T> void backward_queries(const Problem& p, const Task& task, const T* q, const T* k, const T* v,
                                         const T* dout, const T* lse, const T* D, T* dq) {
    const std::int64_t doc_q = p.cu_q[static_cast<std::size_t>(task.doc)],
                       doc_k = p.cu_k[static_cast<std::size_t>(task.doc)];
    const std::int64_t n_keys = p.cu_k[static_cast<std::size_t>(task.doc) + 1] - doc_k;
    const std::int64_t nq = task.last - task.first, d = p.d;
    std::vector<T> P(static_cast<std::size_t>(nq * p.bk)), Pz(P.size()), dS(P.size());  // (nq, Bk)
    std::vector<T> tmp(static_cast<std::size_t>(nq * d)), dq_acc(static_cast<std::size_t>(nq * d), T(0));
    for (std::int64_t j0 = 0; j0 < n_keys; j0 += p.bk) {
        const Tile t{task.l, doc_q, doc_k, task.first, task.last, j0, std::min(j0 + p.bk, n_keys)};
        if (tile_hidden(p, t.i0, t.i1, t.j0, t.j1)) continue;
        const std::int64_t nk = t.nk();
        tile_grads(p, t, q, k, v, dout, lse, D, P.data(), Pz.data(), dS.data());
        const T* Kt = k + (t.l * p.Tk + doc_k + j0) * d;                   // (nk, d)
        gemm<T>(nq, d, nk, dS.data(), nk, 1, Kt, d, 1, tmp.data(), d);  // dS K: (nq, nk) @ (nk, d)
        for (std::int64_t x = 0; x < nq * d; ++x) dq_acc[x] += tmp[x];
    }
    std::copy(dq_acc.begin(), dq_acc.end(), dq + (task.l * p.Tq + doc_q + task.first) * d);
}

void run_tasks(const std::vector<Task>& tasks, const std::function<void(const Task&)>& body) {
    parallel_for(static_cast<std::int64_t>(tasks.size()), 1, [&](std::int64_t first, std::int64_t last) {
        for (std::int64_t i = first; i < last; ++i) body(tasks[static_cast<std::size_t>(i)]);
    });
}

Shape lse_shape(const Problem& p) {
    Shape s = p.lead;
    s.push_back(p.Tq);
    return s;
}

}  // namespace

AttentionForward memory_efficient_attention_forward(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                                    const Tensor& mask, const MemoryEfficientOptions& options) {
    const Problem p = make_problem(q_in, k_in, v_in, mask, options);
    const Tensor q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    Shape out_shape = lse_shape(p);
    out_shape.push_back(p.dv);
    AttentionForward f{Tensor::uninitialized(out_shape, q.dtype()), Tensor::uninitialized(lse_shape(p), q.dtype())};
    const std::vector<Task> tasks = make_tasks(p, p.cu_q, p.bq);  // threads over (l, document, query block)
    dispatch_float(q.dtype(), op_name, [&](auto tag) {
        using T = typename decltype(tag)::type;
        run_tasks(tasks, [&](const Task& t) {
            forward_rows<T>(p, t, q.data<T>(), k.data<T>(), v.data<T>(), f.output.data<T>(), f.lse.data<T>());
        });
    });
    return f;
}

AttentionGrads memory_efficient_attention_backward(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                                   const AttentionForward& saved, const Tensor& d_output,
                                                   const Tensor& mask, const MemoryEfficientOptions& options) {
    const Problem p = make_problem(q_in, k_in, v_in, mask, options);
    if (d_output.shape() != saved.output.shape() || d_output.dtype() != saved.output.dtype())
        fail(op_name, "the output gradient ", describe(d_output), " does not match the output ", describe(saved.output));
    const Tensor q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    const Tensor out = saved.output.contiguous(), lse = saved.lse.contiguous(), dout = d_output.contiguous();
    AttentionGrads g{Tensor::uninitialized(q.shape(), q.dtype()), zeros(k.shape(), k.dtype()),
                     zeros(v.shape(), v.dtype())};
    dispatch_float(q.dtype(), op_name, [&](auto tag) {
        using T = typename decltype(tag)::type;
        // D_i = do_i . o_i for every query row (L * Tq of them).
        std::vector<T> D(static_cast<std::size_t>(p.L * p.Tq));
        const T *o = out.data<T>(), *dO = dout.data<T>();
        for (std::int64_t r = 0; r < p.L * p.Tq; ++r) {
            T s = 0;
            for (std::int64_t c = 0; c < p.dv; ++c) s += dO[r * p.dv + c] * o[r * p.dv + c];
            D[static_cast<std::size_t>(r)] = s;
        }
        const T *qp = q.data<T>(), *kp = k.data<T>(), *vp = v.data<T>(), *lp = lse.data<T>();
        run_tasks(make_tasks(p, p.cu_k, p.bk), [&](const Task& t) {  // (l, document, key block)
            backward_keys<T>(p, t, qp, kp, vp, dO, lp, D.data(), g.dk.data<T>(), g.dv.data<T>());
        });
        run_tasks(make_tasks(p, p.cu_q, p.bq), [&](const Task& t) {  // (l, document, query block)
            backward_queries<T>(p, t, qp, kp, vp, dO, lp, D.data(), g.dq.data<T>());
        });
    });
    return g;
}

Var memory_efficient_attention(const Var& q, const Var& k, const Var& v, const Tensor& mask,
                               const MemoryEfficientOptions& options) {
    AttentionForward f = memory_efficient_attention_forward(q.data(), k.data(), v.data(), mask, options);
    const Tensor qd = q.data(), kd = k.data(), vd = v.data();
    // Saved for the backward: the inputs (alive anyway), the output and lse: O(T), not O(T^2).
    return record(op_name, f.output, {q, k, v}, [qd, kd, vd, f, mask, options](const Tensor& g) -> Grads {
        AttentionGrads grads = memory_efficient_attention_backward(qd, kd, vd, f, g, mask, options);
        return {grads.dq, grads.dk, grads.dv};
    });
}

Tensor memory_efficient_dropout_scale(const Shape& shape_lead, std::int64_t Tq, std::int64_t Tk, double dropout_p,
                                      std::uint64_t seed, DType dtype) {
    Shape shape = shape_lead;
    shape.push_back(Tq);
    shape.push_back(Tk);
    Tensor out = Tensor::uninitialized(shape, dtype);
    dispatch_float(dtype, "memory_efficient_dropout_scale", [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* o = out.data<T>();
        for (std::int64_t x = 0; x < out.numel(); ++x)
            o[x] = dropout_uniform(seed, static_cast<std::uint64_t>(x)) < dropout_p ? T(0)
                                                                                  : static_cast<T>(1.0 / (1.0 - dropout_p));
    });
    return out;
}

Tensor attention_tiles_computed(std::int64_t Tq, std::int64_t Tk, const MemoryEfficientOptions& options) {
    const Tensor probe_q = zeros({Tq, 1}, DType::Float32), probe_k = zeros({Tk, 1}, DType::Float32);
    MemoryEfficientOptions structure = options;
    structure.key_padding = Tensor();  // elementwise: it never skips a tile
    const Problem p = make_problem(probe_q, probe_k, probe_k, Tensor(), structure);
    Tensor map = zeros({Tq, Tk}, DType::Bool);
    std::uint8_t* m = map.data<std::uint8_t>();
    for (std::size_t s = 0; s + 1 < p.cu_q.size(); ++s) {
        const std::int64_t nq = p.cu_q[s + 1] - p.cu_q[s], nk = p.cu_k[s + 1] - p.cu_k[s];
        for (std::int64_t i0 = 0; i0 < nq; i0 += p.bq)
            for (std::int64_t j0 = 0; j0 < nk; j0 += p.bk) {
                const std::int64_t i1 = std::min(i0 + p.bq, nq), j1 = std::min(j0 + p.bk, nk);
                if (tile_hidden(p, i0, i1, j0, j1)) continue;
                for (std::int64_t i = i0; i < i1; ++i)
                    for (std::int64_t j = j0; j < j1; ++j) m[(p.cu_q[s] + i) * Tk + p.cu_k[s] + j] = 1;
            }
    }
    return map;
}

}  // namespace qkv::nn
