#include "lessons/05_multi_head_attention/model.hpp"

#include "nn/optim/adam.hpp"

namespace qkv::lesson05 {

std::string positions_name(Positions p) {
    switch (p) {
    case Positions::None: return "none";
    case Positions::Sinusoidal: return "sinusoidal";
    case Positions::Learned: return "learned";
    }
    return "?";
}

PairModel::PairModel(const TaskConfig& task, const ModelConfig& config, Generator& gen)
    : embed(task.num_ids(), config.d_model, gen),
      head(config.d_model, task.num_classes(), gen),
      config_(config) {
    if (config.positions == Positions::Sinusoidal) sinusoidal.emplace(task.length, config.d_model);
    if (config.positions == Positions::Learned) learned.emplace(task.length, config.d_model, gen);
    for (std::int64_t l = 0; l < config.num_layers; ++l)
        layers.emplace_back(config.d_model, config.num_heads, gen);
}

ModelOutput PairModel::forward(const Tensor& ids) {
    Var x = embed(ids);                     // (N, T, D)
    if (sinusoidal) x = (*sinusoidal)(x);  // (N, T, D) + (T, D)
    if (learned) x = (*learned)(x);
    ModelOutput out;
    for (nn::MultiHeadAttention& attn : layers) {
        // Self-attention, no mask: every token sees every token.
        const nn::MultiHeadOutput a = attention ? attention(attn, x) : attn.forward(x);
        x = x + a.output;                               // (N, T, D), the residual keeps the token's own embedding
        out.weights.push_back(a.weights);               // (N, H, T, T)
    }
    out.logits = head(x);  // (N, T, C)
    return out;
}

void PairModel::visit(nn::Visitor& v) {
    v.module("embed", embed);
    if (sinusoidal) v.module("pos", *sinusoidal);
    if (learned) v.module("pos", *learned);
    v.modules("layers", layers);
    v.module("head", head);
}

TaskBatch held_out_batch(const TaskConfig& task, std::int64_t n, std::uint64_t seed) {
    Generator gen(seed + 0x5eed0000ULL);  // a stream of its own: the training batches never use it
    return make_batch(task, n, gen);
}

double accuracy(PairModel& model, const TaskBatch& batch) {
    NoGradGuard no_grad;
    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    const Tensor predicted = argmax(model.forward(batch.ids).logits.data(), -1);  // (N, T)
    const std::vector<std::int64_t> p = predicted.to_vector<std::int64_t>();
    const std::vector<std::int64_t> t = batch.targets.to_vector<std::int64_t>();
    std::int64_t right = 0, scored = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i] == kIgnore) continue;
        ++scored;
        right += p[i] == t[i];
    }
    return static_cast<double>(right) / static_cast<double>(scored);
}

TrainResult train(PairModel& model, const TaskConfig& task, const TrainConfig& config,
                  const std::function<void(std::int64_t, double)>& on_step,
                  const std::function<void(const TaskBatch&)>& on_batch) {
    const TaskBatch held = held_out_batch(task, config.held_out, config.seed);
    const SequenceSet excluded = sequence_set(held.ids);
    Generator data_gen(config.seed + 1);  // training batches; the model's init used its own generator
    nn::Adam opt(model.named_parameters(), config.lr);
    model.train();
    TrainResult result;
    for (std::int64_t step = 1; step <= config.steps; ++step) {
        const TaskBatch b = make_batch(task, config.batch, data_gen, excluded);
        if (on_batch) on_batch(b);
        const Var logits = model.forward(b.ids).logits;    // (N, T, C)
        const Var loss = cross_entropy(logits, b.targets);  // mean over the scored positions t >= 1
        opt.zero_grad();
        loss.backward();
        opt.step();
        result.losses.push_back(loss.item());
        if (on_step) on_step(step, loss.item());
    }
    result.accuracy = accuracy(model, held);
    return result;
}

std::vector<std::vector<HeadFocus>> head_focus(PairModel& model, const TaskBatch& batch) {
    NoGradGuard no_grad;
    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    const ModelOutput out = model.forward(batch.ids);
    const std::int64_t N = batch.ids.size(0), T = batch.ids.size(1);
    const std::vector<std::int64_t> marked = batch.marked.to_vector<std::int64_t>();
    std::vector<std::vector<HeadFocus>> focus;
    for (const Var& w : out.weights) {  // (N, H, T, T)
        const Tensor weights = w.data();
        std::vector<HeadFocus> layer(static_cast<std::size_t>(weights.size(1)));
        for (std::int64_t h = 0; h < weights.size(1); ++h) {
            double prev = 0, mark = 0;
            std::int64_t count = 0;
            for (std::int64_t b = 0; b < N; ++b) {
                const std::int64_t m = marked[static_cast<std::size_t>(b)];
                for (std::int64_t t = 1; t < T; ++t) {
                    if (t - 1 == m) continue;
                    prev += weights.at({b, h, t, t - 1});
                    mark += weights.at({b, h, t, m});
                    ++count;
                }
            }
            layer[static_cast<std::size_t>(h)] = {prev / static_cast<double>(count), mark / static_cast<double>(count)};
        }
        focus.push_back(layer);
    }
    return focus;
}

}  // namespace qkv::lesson05
