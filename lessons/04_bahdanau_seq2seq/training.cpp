#include "lessons/04_bahdanau_seq2seq/training.hpp"

#include <algorithm>

#include "nn/data/batch.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/schedule.hpp"

namespace qkv::lesson04 {

TrainConfig reversal_config(std::uint64_t seed, std::int64_t steps, bool use_attention) {
    TrainConfig c;
    c.steps = steps;
    c.lr = 3e-3;
    c.use_attention = use_attention;
    c.seed = seed + 1000;  // not the data's seed: the model's draws are their own
    return c;
}

TrainConfig dates_config(std::uint64_t seed, std::int64_t steps) {
    TrainConfig c;
    c.steps = steps;
    c.lr = 6e-3;
    c.seed = seed + 2000;
    return c;
}

Seq2SeqBatch make_batch(const std::vector<Example>& examples, const nn::Vocab& tgt_vocab) {
    const std::int64_t pad = tgt_vocab.pad_id(), bos = tgt_vocab.bos_id(), eos = tgt_vocab.eos_id();
    std::vector<std::vector<std::int64_t>> src, tgt_in, tgt_out;
    for (const Example& e : examples) {
        src.push_back(e.src);
        std::vector<std::int64_t> in{bos}, out = e.tgt;
        in.insert(in.end(), e.tgt.begin(), e.tgt.end());
        out.push_back(eos);
        tgt_in.push_back(in);
        tgt_out.push_back(out);
    }
    const nn::PaddedBatch s = nn::pad_batch(src, pad);
    return {s.ids, s.lengths, nn::pad_batch(tgt_in, pad).ids, nn::pad_batch(tgt_out, pad).ids};
}

std::vector<std::vector<Example>> draw_bucketed(const Task& task, std::int64_t batch_size, std::int64_t buckets,
                                                Generator& gen) {
    if (batch_size < 1 || buckets < 1)
        fail("draw_bucketed", "batch_size and buckets must be >= 1, got ", batch_size, " and ", buckets);
    std::vector<Example> pool;
    for (std::int64_t i = 0; i < batch_size * buckets; ++i) pool.push_back(task.sample(gen));
    std::stable_sort(pool.begin(), pool.end(),
                     [](const Example& a, const Example& b) { return a.src.size() < b.src.size(); });
    std::vector<std::vector<Example>> batches;
    for (std::int64_t k = 0; k < buckets; ++k)
        batches.emplace_back(pool.begin() + k * batch_size, pool.begin() + (k + 1) * batch_size);
    for (std::int64_t i = buckets - 1; i > 0; --i)  // Fisher-Yates: short and long batches interleave
        std::swap(batches[static_cast<std::size_t>(i)], batches[gen.below(static_cast<std::uint64_t>(i + 1))]);
    return batches;
}

Trained train(const Task& task, const TrainConfig& c, const std::function<void(std::int64_t, double)>& on_step) {
    nn::Seq2SeqConfig mc;
    mc.src_vocab = task.src_vocab.size();
    mc.tgt_vocab = task.tgt_vocab.size();
    mc.embed_size = c.embed_size, mc.hidden_size = c.hidden_size, mc.attention_size = c.attention_size;
    mc.use_attention = c.use_attention;
    mc.pad_id = task.tgt_vocab.pad_id();
    Generator gen(c.seed);
    Trained t{nn::Seq2Seq(mc, gen), {}};
    nn::Adam opt(t.model.named_parameters(), c.lr);
    // Straight down from lr to lr/10: large steps early, fine ones at the end.
    nn::Scheduler schedule(opt, nn::WarmupLinear(c.lr, 0, std::max<std::int64_t>(c.steps, 1), c.lr / 10));
    const std::vector<Var> params = t.model.parameters();
    CrossEntropyOptions ce;
    ce.ignore_index = mc.pad_id;  // padded target positions carry no loss

    std::vector<std::vector<Example>> batches;
    for (std::int64_t step = 1; step <= c.steps; ++step) {
        if (batches.empty()) {
            batches = draw_bucketed(task, c.batch_size, c.buckets, gen);
            std::reverse(batches.begin(), batches.end());  // taken from the back
        }
        const Seq2SeqBatch batch = make_batch(batches.back(), task.tgt_vocab);
        batches.pop_back();
        const nn::Seq2SeqOutput out = c.forward ? c.forward(t.model, batch.src, batch.src_lengths, batch.tgt_in)
                                                  : t.model(batch.src, batch.src_lengths, batch.tgt_in);
        const Var loss = cross_entropy(out.logits, batch.tgt_out, ce);  // mean over real target tokens
        opt.zero_grad();
        loss.backward();
        nn::clip_grad_norm_(params, c.max_grad_norm);
        opt.step();
        schedule.step();
        t.losses.push_back(loss.item());
        if (on_step) on_step(step, t.losses.back());
    }
    return t;
}

double Evaluation::accuracy_at(std::int64_t len) const {
    const std::int64_t total = total_at(len);
    return total ? static_cast<double>(correct_by_len[static_cast<std::size_t>(len)]) / static_cast<double>(total) : 0;
}

std::int64_t Evaluation::total_at(std::int64_t len) const {
    const auto k = static_cast<std::size_t>(len);
    return len >= 0 && k < total_by_len.size() ? total_by_len[k] : 0;
}

namespace {

std::int64_t sum_over(const std::vector<std::int64_t>& v, std::int64_t first, std::int64_t last) {
    std::int64_t total = 0;
    for (std::int64_t i = std::max<std::int64_t>(first, 0); i <= last && i < static_cast<std::int64_t>(v.size()); ++i)
        total += v[static_cast<std::size_t>(i)];
    return total;
}

}  // namespace

std::int64_t Evaluation::counted_over(std::int64_t first, std::int64_t last) const {
    return sum_over(counted_at, first, last);
}

double Evaluation::alignment_over(std::int64_t first, std::int64_t last) const {
    const std::int64_t n = counted_over(first, last);
    return n ? static_cast<double>(sum_over(aligned_at, first, last)) / static_cast<double>(n) : 0;
}

Evaluation evaluate(nn::Seq2Seq& model, const Task& task, std::int64_t batch_size) {
    Evaluation ev;
    std::int64_t correct = 0;
    const auto n = static_cast<std::int64_t>(task.heldout.size());
    const std::int64_t bos = task.tgt_vocab.bos_id(), eos = task.tgt_vocab.eos_id();
    for (std::int64_t first = 0; first < n; first += batch_size) {
        const std::int64_t count = std::min(batch_size, n - first);
        const std::vector<Example> examples(task.heldout.begin() + first, task.heldout.begin() + first + count);
        const Seq2SeqBatch batch = make_batch(examples, task.tgt_vocab);
        const nn::GreedyOutput out =
            model.greedy_decode(batch.src, batch.src_lengths, task.max_target_len + 1, bos, eos);
        const std::int64_t steps = out.attention.size(1);
        for (std::int64_t b = 0; b < count; ++b) {
            const Example& e = examples[static_cast<std::size_t>(b)];
            const auto len = static_cast<std::int64_t>(e.src.size());
            const auto k = static_cast<std::size_t>(len);
            if (ev.total_by_len.size() <= k) ev.total_by_len.resize(k + 1), ev.correct_by_len.resize(k + 1);
            const std::vector<std::int64_t>& got = out.tokens[static_cast<std::size_t>(b)];
            const bool ok = got == e.tgt;
            correct += ok, ev.total_by_len[k] += 1, ev.correct_by_len[k] += ok;
            // This example's alignment: the steps it decoded (with its [EOS]), its real source positions.
            const std::int64_t rows = std::min<std::int64_t>(steps, static_cast<std::int64_t>(got.size()) + 1);
            const Tensor a = out.attention.select(0, b).narrow(0, 0, rows).narrow(1, 0, len).contiguous();
            if (ev.counted_at.size() < e.align.size())
                ev.counted_at.resize(e.align.size()), ev.aligned_at.resize(e.align.size());
            for (std::size_t i = 0; i < e.align.size(); ++i) {
                if (e.align[i] < 0) continue;
                ++ev.counted, ++ev.counted_at[i];
                const auto row = static_cast<std::int64_t>(i);
                if (row < rows && static_cast<std::int64_t>(argmax(a.select(0, row), 0).item()) == e.align[i])
                    ++ev.aligned, ++ev.aligned_at[i];
            }
            ev.decoded.push_back(got);
            ev.attention.push_back(a);
        }
    }
    ev.exact_match = n ? static_cast<double>(correct) / static_cast<double>(n) : 0;
    return ev;
}

}  // namespace qkv::lesson04
