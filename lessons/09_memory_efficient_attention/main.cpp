// Lesson 09: memory-efficient attention (as FlashAttention computes it), variable-length
// batches without padding, and the KV cache.
//
//   1. why the (T, T) score matrix is the problem: peak memory of naive attention vs T, measured
//   2. the online softmax on one row, block by block, checked against softmax at each step
//   3. the tiled forward and the backward from the log-sum-exp, checked against the naive op
//   4. block-sparse masks: which tiles causal / sliding-window / document masks skip
//   5. padding vs packing: one epoch of a tiny model both ways, the same losses, less work
//   6. the KV cache: time per decoded token with and without it, as the output grows
#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include "lessons/09_memory_efficient_attention/exercises/row_attention.hpp"
#include "lessons/09_memory_efficient_attention/peak_memory.hpp"
#include "lessons/09_memory_efficient_attention/tiny_lm.hpp"
#include "lessons/common/cli.hpp"
#include "lessons/common/cpu_seconds.hpp"
#include "lessons/common/mine.hpp"
#include "nn/attention/attention_row.hpp"
#include "nn/attention/memory_efficient.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "lessons/common/plot/heatmap.hpp"
#include "lessons/common/plot/line_chart.hpp"
#include "nn/transformer/kv_cache.hpp"
#include "tensor/storage.hpp"

using namespace qkv;

namespace {

double max_diff(const Tensor& a, const Tensor& b) {
    const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
    double e = 0;
    for (std::size_t i = 0; i < x.size(); ++i) e = std::max(e, std::abs(x[i] - y[i]));
    return e;
}

const char* ok(bool pass) { return pass ? "ok" : "NOT OK"; }

// --mine: the student's functions from lessons/09_memory_efficient_attention/exercises/ in
// place of the library's (09.1 online_softmax_update, 09.2 attention_row_backward, 09.3
// pack_sequences).
bool use_mine = false;

void update_row(nn::OnlineSoftmaxRow& row, const Tensor& scores, const Tensor& values) {
    use_mine ? exercises::online_softmax_update(row, scores, values) : nn::online_softmax_update(row, scores, values);
}

nn::RowGrads row_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, const Tensor& o,
                          double lse, const Tensor& d_o) {
    return use_mine ? exercises::attention_row_backward(q, k, v, mask, o, lse, d_o)
                    : nn::attention_row_backward(q, k, v, mask, o, lse, d_o);
}

// ---- 1 ----------------------------------------------------------------------------------------

void memory_vs_length(const lesson::LessonArgs& args, std::int64_t naive_max_t) {
    std::cout << "== 1. The (T, T) matrix: peak memory of forward + backward, B = 1, H = 1, d = 32, float32 ==\n";
    std::cout << "   counted: tensor bytes in use at the peak; resident: what Linux adds to the process (VmHWM)\n";
    std::cout << "   T   one (T,T) matrix   naive: counted  resident   tiled: counted  resident\n";
    lesson::Series naive{"naive (counted)", {}, {}}, tiled{"tiled (counted)", {}, {}}, matrix{"one (T, T) float32 matrix", {}, {}};
    const std::int64_t max_t = args.quick ? 2048 : 8192;
    const auto mb_text = [](const std::optional<double>& mb, int decimals) {
        if (!mb) return std::string("        -");
        char s[32];
        std::snprintf(s, sizeof s, "%9.*f", decimals, *mb);
        return std::string(s);
    };
    for (std::int64_t T = 256; T <= max_t; T *= 2) {
        Generator gen(args.seed + static_cast<std::uint64_t>(T));
        const Tensor q = randn({1, 1, T, 32}, 0, 1, DType::Float32, gen), k = randn({1, 1, T, 32}, 0, 1, DType::Float32, gen);
        const Tensor v = randn({1, 1, T, 32}, 0, 1, DType::Float32, gen), g = randn({1, 1, T, 32}, 0, 1, DType::Float32, gen);
        const double one_matrix = static_cast<double>(T * T * 4) / (1024.0 * 1024.0);
        std::optional<lesson09::PeakMemory> naive_mb;
        if (T <= naive_max_t)
            naive_mb = lesson09::peak_added([&] {
                Var vq(q, true), vk(k, true), vv(v, true);
                nn::scaled_dot_product_attention(vq, vk, vv).output.backward(g);
            });
        const lesson09::PeakMemory tiled_mb = lesson09::peak_added([&] {
            Var vq(q, true), vk(k, true), vv(v, true);
            nn::memory_efficient_attention(vq, vk, vv).backward(g);
        });
        const std::string naive_text = naive_mb ? mb_text(naive_mb->counted_mb, 2) + " MB" + mb_text(naive_mb->resident_mb, 1) + " MB"
                                                : std::string("   (skipped)            ");
        std::printf("%5lld %14.1f MB  %s  %s MB%s MB\n", static_cast<long long>(T), one_matrix, naive_text.c_str(),
                    mb_text(tiled_mb.counted_mb, 2).c_str(), mb_text(tiled_mb.resident_mb, 1).c_str());
        matrix.xs.push_back(static_cast<double>(T)), matrix.ys.push_back(one_matrix);
        if (naive_mb) naive.xs.push_back(static_cast<double>(T)), naive.ys.push_back(std::max(naive_mb->counted_mb, 0.01));
        tiled.xs.push_back(static_cast<double>(T)), tiled.ys.push_back(std::max(tiled_mb.counted_mb, 0.01));
    }
    lesson::ChartOptions o;
    o.title = "Peak memory, attention forward + backward";
    o.x_label = "sequence length T";
    o.y_label = "MB of tensors at the peak (B = H = 1, d = 32)";
    o.log_y = true;
    const std::string path = lesson::out_path(args, "memory_vs_T.svg");
    lesson::write_line_chart_svg(path, {naive, tiled, matrix}, o);
    std::cout << "(naive measured up to T = " << naive_max_t << "; above, one matrix alone is the lower bound)\n";
    std::cout << "wrote " << path << "\n\n";
}

// ---- 2 ----------------------------------------------------------------------------------------

void online_softmax_one_row(const lesson::LessonArgs& args) {
    std::cout << "== 2. The online softmax on one row: 10 scores in blocks of 4 ==\n";
    Generator gen(args.seed);
    const Tensor s = randn({10}, 0, 2, DType::Float64, gen);      // one row of scores
    const Tensor v = randn({10, 3}, 0, 1, DType::Float64, gen);   // their values
    nn::OnlineSoftmaxRow row = nn::online_softmax_start(3);
    for (std::int64_t j0 = 0; j0 < 10; j0 += 4) {
        const std::int64_t n = std::min<std::int64_t>(4, 10 - j0);
        update_row(row, s.narrow(0, j0, n).contiguous(), v.narrow(0, j0, n).contiguous());
        // After each block, m and l must be the max and the sum of e^(s - m) over the keys so far.
        const Tensor seen = s.narrow(0, 0, j0 + n);
        const double m = max(seen).item(), l = sum(exp(seen - m)).item();
        std::printf("  keys 0..%lld: m = %8.5f  l = %8.5f   (direct: m = %8.5f, l = %8.5f)  %s\n",
                    static_cast<long long>(j0 + n - 1), row.m, row.l, m, l,
                    ok(row.m == m && std::abs(row.l - l) < 1e-12));
    }
    const nn::RowOutput out = nn::online_softmax_finish(row);
    const Tensor direct = matmul(softmax(s, 0).unsqueeze(0), v).squeeze(0);  // (3)
    const double lse = std::log(sum(exp(s - max(s).item())).item()) + max(s).item();
    std::printf("  o = a / l vs softmax(s) v: max |diff| %.1e %s;  lse %.6f vs %.6f %s\n\n", max_diff(out.o, direct),
                ok(max_diff(out.o, direct) < 1e-12), out.lse, lse, ok(std::abs(out.lse - lse) < 1e-12));
}

// ---- 3 ----------------------------------------------------------------------------------------

void tiled_vs_naive(const lesson::LessonArgs& args) {
    std::cout << "== 3. The tiled op vs the naive one: B = 2, H = 3, T = 100 (not a multiple of the 32-row tiles), d = 16 ==\n";
    Generator gen(args.seed + 1);
    for (DType dtype : {DType::Float32, DType::Float64}) {
        const Tensor q = randn({2, 3, 100, 16}, 0, 1, dtype, gen), k = randn({2, 3, 100, 16}, 0, 1, dtype, gen);
        const Tensor v = randn({2, 3, 100, 16}, 0, 1, dtype, gen), g = randn({2, 3, 100, 16}, 0, 1, dtype, gen);
        nn::MemoryEfficientOptions o;
        o.causal = true, o.block_q = o.block_k = 32;
        Var nq(q, true), nk(k, true), nv(v, true), tq(q, true), tk(k, true), tv(v, true);
        const Var naive = nn::scaled_dot_product_attention(nq, nk, nv, nn::causal_mask(100)).output;
        const Var tiled = nn::memory_efficient_attention(tq, tk, tv, Tensor(), o);
        naive.backward(g), tiled.backward(g);
        const double worst = std::max({max_diff(naive.data(), tiled.data()), max_diff(nq.grad(), tq.grad()),
                                       max_diff(nk.grad(), tk.grad()), max_diff(nv.grad(), tv.grad())});
        const double tol = dtype == DType::Float32 ? 1e-5 : 1e-12;
        std::printf("  %s causal: max |diff| output %.1e, dq %.1e, dk %.1e, dv %.1e  %s\n", dtype_name(dtype),
                    max_diff(naive.data(), tiled.data()), max_diff(nq.grad(), tq.grad()), max_diff(nk.grad(), tk.grad()),
                    max_diff(nv.grad(), tv.grad()), ok(worst < tol));
    }
    // One row's backward written out from the saved lse (nn/attention/attention_row.hpp) gives
    // the op's dq for that row.
    const Tensor q = randn({1, 20, 8}, 0, 1, DType::Float64, gen), k = randn({1, 20, 8}, 0, 1, DType::Float64, gen);
    const Tensor v = randn({1, 20, 5}, 0, 1, DType::Float64, gen), g = randn({1, 20, 5}, 0, 1, DType::Float64, gen);
    nn::MemoryEfficientOptions o;
    o.block_q = o.block_k = 8;
    const nn::AttentionForward f = nn::memory_efficient_attention_forward(q, k, v, Tensor(), o);
    const nn::AttentionGrads grads = nn::memory_efficient_attention_backward(q, k, v, f, g, Tensor(), o);
    const auto row_of = [](const Tensor& t, std::int64_t i) { return t.select(0, 0).select(0, i).contiguous(); };
    const nn::RowGrads row = row_backward(row_of(q, 13), k.select(0, 0).contiguous(),
                                                        v.select(0, 0).contiguous(), Tensor(), row_of(f.output, 13),
                                                        f.lse.at({0, 13}), row_of(g, 13));
    const double dq_diff = max_diff(row.dq, row_of(grads.dq, 13));
    std::printf("  row 13 by hand from its lse (nn/attention/attention_row.cpp) vs the op: dq max |diff| %.1e  %s\n\n",
                dq_diff, ok(dq_diff < 1e-12));
}

}  // namespace

namespace {

// ---- 4 ----------------------------------------------------------------------------------------

// The (T, T) map of computed scores averaged over cells of `cell` x `cell`: 1 = computed, 0 = skipped.
Tensor coarse(const Tensor& map, std::int64_t cell) {
    const std::int64_t n = map.size(0) / cell;
    Tensor out = zeros({n, n}, DType::Float64);
    const Tensor m = map.to(DType::Float64);
    for (std::int64_t a = 0; a < n; ++a)
        for (std::int64_t b = 0; b < n; ++b)
            out.set({a, b}, mean(m.narrow(0, a * cell, cell).narrow(1, b * cell, cell)).item());
    return out;
}

void block_sparsity(const lesson::LessonArgs& args) {
    std::cout << "== 4. Block-sparse masks: T = 1024, tiles of 64 x 64; which tiles are computed ==\n";
    const std::int64_t T = 1024;
    nn::MemoryEfficientOptions full, causal, window, docs;
    causal.causal = true;
    window.causal = true, window.window = 128;
    docs.causal = true, docs.cu_seqlens_q = from_vector(std::vector<std::int64_t>{0, 160, 520, 600, 1024});
    const std::vector<std::pair<std::string, nn::MemoryEfficientOptions>> kinds{
        {"none", full}, {"causal", causal}, {"causal, window 128", window}, {"4 documents, causal", docs}};
    Generator gen(args.seed + 2);
    const Tensor q = randn({4, T, 32}, 0, 1, DType::Float32, gen), k = randn({4, T, 32}, 0, 1, DType::Float32, gen);
    const Tensor v = randn({4, T, 32}, 0, 1, DType::Float32, gen);
    std::vector<Tensor> panels;
    std::vector<std::string> titles;
    double full_ms = 0;
    for (const auto& kind : kinds) {
        const std::string& name = kind.first;
        const nn::MemoryEfficientOptions& o = kind.second;  // a reference, not a binding: the lambda below captures it
        const Tensor map = nn::attention_tiles_computed(T, T, o);  // (T, T) bool
        const double fraction = mean(map.to(DType::Float64)).item();
        double best = 1e9;
        for (int rep = 0; rep < 3; ++rep)
            best = std::min(best, lesson::cpu_seconds([&] { nn::memory_efficient_attention_forward(q, k, v, Tensor(), o); }));
        if (name == "none") full_ms = best * 1e3;
        std::printf("  %-22s scores computed %5.1f%%   forward (4 heads, d = 32) %6.1f CPU ms  (%.2f of no mask)\n",
                    name.c_str(), 100 * fraction, best * 1e3, best * 1e3 / full_ms);
        panels.push_back(coarse(map, 64));  // one cell per 64 x 64 tile
        titles.push_back(name);
    }
    lesson::GridOptions g;
    g.title = "Scores computed (yellow) and tiles skipped (dark), T = 1024, 64 x 64 tiles";
    g.col_titles = titles;
    g.row_titles = {""};
    g.vmin = 0, g.vmax = 1;
    g.cell_size = 10;
    const std::string path = lesson::out_path(args, "block_sparsity.svg");
    lesson::write_heatmap_grid_svg(path, {panels}, g);
    std::cout << "wrote " << path << "\n\n";
}

// ---- 5 ----------------------------------------------------------------------------------------

void padding_vs_packing(const lesson::LessonArgs& args) {
    const std::int64_t count = args.quick ? 256 : 1024, V = 16, D = 32, max_len = 160, batch = 32;
    std::cout << "== 5. Padding vs packing: " << count << " sentences, long-tailed lengths, batches of " << batch
              << ", one epoch ==\n";
    Generator data_gen(args.seed + 3);
    const auto sentences = lesson09::make_sentences(count, V, max_len, data_gen);
    std::vector<std::int64_t> lengths;
    for (const auto& s : sentences) lengths.push_back(static_cast<std::int64_t>(s.size()));
    std::sort(lengths.begin(), lengths.end());
    std::printf("  lengths: median %lld, 90th percentile %lld, longest %lld\n",
                static_cast<long long>(lengths[lengths.size() / 2]), static_cast<long long>(lengths[lengths.size() * 9 / 10]),
                static_cast<long long>(lengths.back()));
    Generator init_a(args.seed + 4), init_b(args.seed + 4);  // the same initial weights twice
    lesson09::TinyLM padded_model(V, D, max_len, init_a), packed_model(V, D, max_len, init_b);
    const lesson09::EpochReport padded = lesson09::train_epoch(padded_model, sentences, batch, false, 3e-3);
    const lesson09::EpochReport packed = lesson09::train_epoch(packed_model, sentences, batch, true, 3e-3,
                                                                use_mine ? exercises::pack_sequences : nn::pack_sequences);
    double loss_diff = 0;
    for (std::size_t i = 0; i < padded.losses.size(); ++i)
        loss_diff = std::max(loss_diff, std::abs(padded.losses[i] - packed.losses[i]));
    const double steps = static_cast<double>(padded.losses.size());
    std::printf("  padded: %lld positions for %lld tokens (%.0f%% padding), %.1f CPU ms per step\n",
                static_cast<long long>(padded.positions), static_cast<long long>(padded.tokens),
                100.0 * static_cast<double>(padded.positions - padded.tokens) / static_cast<double>(padded.positions),
                1e3 * padded.seconds / steps);
    std::printf("  packed: %lld positions for %lld tokens (no padding),  %.1f CPU ms per step  (%.2fx less)\n",
                static_cast<long long>(packed.positions), static_cast<long long>(packed.tokens), 1e3 * packed.seconds / steps,
                padded.seconds / packed.seconds);
    std::printf("  loss: first step %.4f, last step %.4f (padded) / %.4f (packed); max |padded - packed| over %d steps %.1e\n",
                padded.losses.front(), padded.losses.back(), packed.losses.back(), static_cast<int>(steps), loss_diff);
    lesson::Series a{"padded", {}, {}}, b{"packed", {}, {}};
    for (std::size_t i = 0; i < padded.step_seconds.size(); ++i) {
        a.xs.push_back(static_cast<double>(i + 1)), a.ys.push_back(1e3 * padded.step_seconds[i]);
        b.xs.push_back(static_cast<double>(i + 1)), b.ys.push_back(1e3 * packed.step_seconds[i]);
    }
    lesson::ChartOptions o;
    o.title = "Time per training step, padded vs packed (the same sentences)";
    o.x_label = "step";
    o.y_label = "CPU ms";
    o.y_min = 0;
    const std::string path = lesson::out_path(args, "step_time_padded_vs_packed.svg");
    lesson::write_line_chart_svg(path, {a, b}, o);
    std::cout << "wrote " << path << "\n\n";
}

// ---- 6 ----------------------------------------------------------------------------------------

void kv_cache(const lesson::LessonArgs& args) {
    const std::int64_t steps = args.quick ? 64 : 128, B = 8;
    std::cout << "== 6. The KV cache: greedy decoding of " << steps << " tokens, B = " << B
              << ", lesson 06's model shape (untrained) ==\n";
    nn::TransformerConfig c;
    c.src_vocab_size = c.tgt_vocab_size = 32;
    c.d_model = 32, c.num_heads = 4, c.d_ff = 64, c.num_encoder_layers = c.num_decoder_layers = 2;
    c.max_len = steps + 2;
    Generator init(args.seed + 5);
    nn::Transformer model(c, init);
    model.eval();
    NoGradGuard no_grad;
    Generator gen(args.seed + 6);
    const Var memory = model.encode(randint(3, 32, {B, 16}, gen));  // (B, Ts, D)
    std::vector<double> slow(static_cast<std::size_t>(steps)), fast(static_cast<std::size_t>(steps));
    Tensor ids_slow = full({B, 1}, 1.0, DType::Int64), ids_fast = ids_slow;  // [BOS]
    nn::KVCache cache = nn::start_kv_cache(model, memory, Tensor(), steps);
    for (std::int64_t t = 0; t < steps; ++t) {
        Tensor next_slow, next_fast;
        slow[static_cast<std::size_t>(t)] = lesson::cpu_seconds([&] {  // the whole prefix again
            const Var h = model.decode(ids_slow, memory).select(1, t);  // (B, D)
            next_slow = argmax(model.project(h).data(), -1);
        });
        fast[static_cast<std::size_t>(t)] = lesson::cpu_seconds([&] {  // one position through the cache
            const Var h = nn::decode_next(model, ids_fast.select(1, t).contiguous(), cache);  // (B, D)
            next_fast = argmax(model.project(h).data(), -1);
        });
        storage_cache::clear();  // each step's sizes are new: freed blocks would only pile up
        ids_slow = concat({ids_slow, next_slow.unsqueeze(1)}, 1);
        ids_fast = concat({ids_fast, next_fast.unsqueeze(1)}, 1);
    }
    lesson::Series a{"no cache (re-run the prefix)", {}, {}}, b{"KV cache", {}, {}};
    double total_slow = 0, total_fast = 0;
    for (std::int64_t t = 0; t < steps; ++t) {
        a.xs.push_back(static_cast<double>(t + 1)), a.ys.push_back(1e3 * slow[static_cast<std::size_t>(t)]);
        b.xs.push_back(static_cast<double>(t + 1)), b.ys.push_back(1e3 * fast[static_cast<std::size_t>(t)]);
        total_slow += slow[static_cast<std::size_t>(t)], total_fast += fast[static_cast<std::size_t>(t)];
    }
    for (std::int64_t t : {std::int64_t{1}, steps / 4, steps / 2, steps})
        std::printf("  token %3lld: %6.2f CPU ms without the cache, %5.2f with it\n", static_cast<long long>(t),
                    1e3 * slow[static_cast<std::size_t>(t - 1)], 1e3 * fast[static_cast<std::size_t>(t - 1)]);
    std::printf("  all %lld tokens: %.1f CPU ms vs %.1f (%.1fx less); the same tokens: %s\n", static_cast<long long>(steps),
                1e3 * total_slow, 1e3 * total_fast, total_slow / total_fast, equal(ids_slow, ids_fast) ? "yes" : "NO");
    lesson::ChartOptions o;
    o.title = "Time to decode one token, with and without the KV cache";
    o.x_label = "tokens decoded so far";
    o.y_label = "CPU ms per token (B = 8)";
    o.y_min = 0;
    const std::string path = lesson::out_path(args, "kv_cache_time_per_token.svg");
    lesson::write_line_chart_svg(path, {a, b}, o);
    std::cout << "wrote " << path << "\n\n";
}

}  // namespace

static int lesson_main(int argc, char** argv) {
    const bool mine = lesson::take_flag(argc, argv, "--mine");
    const lesson::LessonInfo info{"09_memory_efficient_attention",
                                  "memory-efficient (tiled) attention, packed variable-length batches, the KV cache "
                                  "(--mine: with your functions from exercises 09.1 to 09.3)",
                                  0,
                                  {{"naive-max-t", "longest T at which the naive attention's memory is measured "
                                                   "(default 2048; 4096 needs about 0.4 GB more)"}}};
    const lesson::LessonArgs args = lesson::parse_lesson_args(argc, argv, info);
    if (!args.ok) return args.exit_code;
    std::int64_t naive_max_t = 2048;
    if (const auto it = args.extra.find("naive-max-t"); it != args.extra.end()) {
        std::size_t used = 0;
        try {
            naive_max_t = std::stoll(it->second, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != it->second.size())
            return lesson::flag_error(info, "--naive-max-t must be a whole number, got '" + it->second + "'");
        if (naive_max_t < 0 || naive_max_t > 8192)
            return lesson::flag_error(info, "--naive-max-t must lie in [0, 8192], got " + it->second);
    }
    use_mine = mine;
    return lesson::run_mine(mine, [&] {
        try {
            lesson::out_path(args, "");  // an unwritable --out fails here, before any work
            if (mine) {  // solved yet? each stub throws before anything is printed
                nn::OnlineSoftmaxRow row = nn::online_softmax_start(1);
                exercises::online_softmax_update(row, zeros({1}, DType::Float64), zeros({1, 1}, DType::Float64));
                const Tensor one = zeros({1}, DType::Float64);
                (void)exercises::attention_row_backward(one, zeros({1, 1}, DType::Float64), zeros({1, 1}, DType::Float64),
                                                        Tensor(), one, 0.0, one);
                (void)exercises::pack_sequences({{1}});
            }
            std::cout << "Lesson 09: memory-efficient attention, packing and the KV cache (seed " << args.seed << ")"
                      << (mine ? ", with YOUR functions from exercises 09.1 to 09.3" : "") << "\n\n";
            memory_vs_length(args, naive_max_t);
            online_softmax_one_row(args);
            tiled_vs_naive(args);
            block_sparsity(args);
            padding_vs_packing(args);
            kv_cache(args);
        } catch (const NotImplemented&) {
            throw;  // run_mine explains which exercise to do first
        } catch (const std::exception& e) {
            std::cerr << "lesson09: " << e.what() << "\n";
            return 1;
        }
        return 0;
    });
}
int main(int argc, char** argv) { return qkv::lesson::guarded_main(lesson_main, argc, argv); }
