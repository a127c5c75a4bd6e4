#include "lessons/09_memory_efficient_attention/tiny_lm.hpp"

#include <algorithm>
#include <ctime>
#include <cmath>

#include "lessons/common/progress.hpp"
#include "nn/data/batch.hpp"
#include "nn/data/packing.hpp"
#include "nn/optim/adam.hpp"
#include "tensor/storage.hpp"

namespace qkv::lesson09 {

TinyLM::TinyLM(std::int64_t vocab, std::int64_t width, std::int64_t max_len, Generator& gen)
    : tokens(vocab, width, gen),
      positions(max_len, width, gen),
      q_proj(width, width, gen),
      k_proj(width, width, gen),
      v_proj(width, width, gen),
      head(width, vocab, gen) {}

Var TinyLM::forward(const Tensor& ids, const Tensor& pos, const nn::MemoryEfficientOptions& options) {
    const Var x = tokens(ids) + positions(pos);  // (L, T, D)
    const Var a = nn::memory_efficient_attention(q_proj(x), k_proj(x), v_proj(x), Tensor(), options);  // (L, T, D)
    return head(x + a);  // (L, T, V)
}

void TinyLM::visit(nn::Visitor& v) {
    v.module("tokens", tokens);
    v.module("positions", positions);
    v.module("q_proj", q_proj);
    v.module("k_proj", k_proj);
    v.module("v_proj", v_proj);
    v.module("head", head);
}

std::vector<std::vector<std::int64_t>> make_sentences(std::int64_t count, std::int64_t vocab, std::int64_t max_len,
                                                      Generator& gen) {
    std::vector<std::vector<std::int64_t>> out;
    for (std::int64_t s = 0; s < count; ++s) {
        // Log-normal lengths, median 12: a long tail of sentences several times the median.
        const double drawn = 12.0 * std::exp(0.8 * gen.normal());
        const auto length = std::clamp<std::int64_t>(static_cast<std::int64_t>(drawn), 2, max_len);
        const std::int64_t period = 2 + static_cast<std::int64_t>(gen.below(3));
        std::vector<std::int64_t> pattern;
        for (std::int64_t i = 0; i < period; ++i) pattern.push_back(static_cast<std::int64_t>(gen.below(vocab)));
        std::vector<std::int64_t> sentence;
        for (std::int64_t t = 0; t < length; ++t) sentence.push_back(pattern[static_cast<std::size_t>(t % period)]);
        out.push_back(std::move(sentence));
    }
    return out;
}

namespace {

constexpr std::int64_t ignore = -100;

// The loss of one batch, padded: (B, T) with key padding; targets are the next token, or
// `ignore` at a sentence's last token and on padding.
Var padded_loss(TinyLM& model, const std::vector<std::vector<std::int64_t>>& batch, std::int64_t& positions) {
    const nn::PaddedBatch p = nn::pad_batch(batch, 0);
    const std::int64_t B = p.ids.size(0), T = p.ids.size(1);
    std::vector<std::int64_t> pos, targets;
    for (std::int64_t b = 0; b < B; ++b)
        for (std::int64_t t = 0; t < T; ++t) {
            const auto& s = batch[static_cast<std::size_t>(b)];
            pos.push_back(t);
            targets.push_back(t + 1 < static_cast<std::int64_t>(s.size()) ? s[static_cast<std::size_t>(t + 1)] : ignore);
        }
    nn::MemoryEfficientOptions o;
    o.causal = true;
    o.key_padding = p.padding_mask;  // (B, T)
    positions += B * T;
    const Var logits = model.forward(p.ids, from_vector(pos, {B, T}), o);  // (B, T, V)
    return cross_entropy(logits, from_vector(targets, {B, T}));
}

// The same batch packed: (1, N) with cu_seqlens; the same targets without the padding.
Var packed_loss(TinyLM& model, const std::vector<std::vector<std::int64_t>>& batch, std::int64_t& positions,
                PackFn pack) {
    const nn::PackedBatch p = pack(batch);
    const std::int64_t N = p.ids.size(0);
    std::vector<std::int64_t> targets;
    for (const auto& s : batch)
        for (std::size_t t = 0; t < s.size(); ++t) targets.push_back(t + 1 < s.size() ? s[t + 1] : ignore);
    nn::MemoryEfficientOptions o;
    o.causal = true;
    o.cu_seqlens_q = p.cu_seqlens;  // each sentence sees only itself
    positions += N;
    const Var logits = model.forward(p.ids.reshape({1, N}), p.positions.reshape({1, N}), o);  // (1, N, V)
    return cross_entropy(logits, from_vector(targets, {1, N}));
}

}  // namespace

EpochReport train_epoch(TinyLM& model, const std::vector<std::vector<std::int64_t>>& sentences, std::int64_t batch,
                        bool packed, double lr, PackFn pack) {
    nn::Adam adam(model.parameters(), lr);
    EpochReport r;
    const std::int64_t steps = (static_cast<std::int64_t>(sentences.size()) + batch - 1) / batch;
    lesson::Progress progress(steps, packed ? "packed" : "padded");
    const std::clock_t start = std::clock();  // CPU time (all threads): see main.cpp
    for (std::size_t first = 0; first < sentences.size(); first += static_cast<std::size_t>(batch)) {
        const std::size_t last = std::min(sentences.size(), first + static_cast<std::size_t>(batch));
        const std::vector<std::vector<std::int64_t>> b(sentences.begin() + static_cast<std::ptrdiff_t>(first),
                                                        sentences.begin() + static_cast<std::ptrdiff_t>(last));
        for (const auto& s : b) r.tokens += static_cast<std::int64_t>(s.size());
        const std::clock_t step_start = std::clock();
        adam.zero_grad();
        const Var loss = packed ? packed_loss(model, b, r.positions, pack) : padded_loss(model, b, r.positions);
        loss.backward();
        adam.step();
        r.losses.push_back(loss.item());
        progress.update(static_cast<std::int64_t>(r.losses.size()), {{"loss", r.losses.back()}});
        // Every batch has its own width, so the storage cache (tensor/storage.hpp), which
        // recycles freed blocks by size, would only pile them up: empty it after each step.
        storage_cache::clear();
        r.step_seconds.push_back(static_cast<double>(std::clock() - step_start) / CLOCKS_PER_SEC);
    }
    r.seconds = static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
    progress.finish();
    return r;
}

}  // namespace qkv::lesson09
