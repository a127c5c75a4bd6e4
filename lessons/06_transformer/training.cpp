#include "lessons/06_transformer/training.hpp"

#include <algorithm>
#include <filesystem>

#include "nn/data/batch.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/transformer/label_smoothing.hpp"

namespace qkv::lesson06 {

TrainConfig quick_config(Task task, TrainConfig c) {
    const bool copy = task == Task::Copy;
    c.steps = std::min(c.steps, copy ? quick_copy_steps : quick_other_steps);
    c.batch_size = copy ? 64 : 32;
    if (copy) c.warmup = std::min<std::int64_t>(c.warmup, 40), c.lr_factor = std::max(c.lr_factor, 0.3);
    c.held_out = 200;
    c.curve_items = 20;
    return c;
}

nn::TransformerConfig model_config(const TaskSpec& spec, const TrainConfig& c) {
    nn::TransformerConfig m;
    m.src_vocab_size = static_cast<std::int64_t>(spec.src_words.size());
    m.tgt_vocab_size = static_cast<std::int64_t>(spec.tgt_words.size());
    m.d_model = c.d_model;
    m.num_heads = c.num_heads;
    m.num_encoder_layers = m.num_decoder_layers = c.num_layers;
    m.d_ff = c.d_ff;
    m.dropout = c.dropout;
    m.max_len = std::max(spec.max_src_len, spec.max_tgt_len) + 2;
    m.norm_first = c.norm_first;
    m.share_embeddings = c.share_embeddings;
    m.pad_id = kPad;
    return m;
}

Batch make_batch(const std::vector<Example>& examples) {
    std::vector<std::vector<std::int64_t>> src, tgt_in, tgt_out;
    for (const Example& e : examples) {
        src.push_back(e.src);
        tgt_in.push_back({kBos});
        tgt_in.back().insert(tgt_in.back().end(), e.tgt.begin(), e.tgt.end());
        tgt_out.push_back(e.tgt);
        tgt_out.back().push_back(kEos);
    }
    const nn::PaddedBatch s = nn::pad_batch(src, kPad);
    // The decoder needs no padding mask of its own: padding comes after the real tokens, and
    // the causal mask already keeps every real position from seeing anything after it. The
    // padded positions' predictions are dropped by the loss (target [PAD]).
    return {s.ids, s.padding_mask, nn::pad_batch(tgt_in, kPad).ids, nn::pad_batch(tgt_out, kPad).ids};
}

double evaluate_loss(nn::Transformer& model, const std::vector<Example>& examples, double label_smoothing) {
    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    NoGradGuard no_grad;
    const Batch b = make_batch(examples);
    const Var logits = model.forward(b.src, b.tgt_in, b.src_padding);  // (B, Tt, V)
    const double loss = nn::label_smoothed_cross_entropy(logits, b.tgt_out, label_smoothing, kPad).item();
    return loss;
}

TrainResult train(const TaskSpec& spec, const TrainConfig& c,
                  const std::function<void(std::int64_t, double, nn::Transformer&)>& on_step) {
    TrainResult r;
    // Three streams from one seed: the model's initialisation (and dropout), the training
    // items, the held-out items.
    Generator init_gen(c.seed), data_gen(c.seed + 1);
    r.data = make_held_out(spec, c.held_out, c.seed + 2);
    r.model = std::make_shared<nn::Transformer>(model_config(spec, c), init_gen);
    nn::Transformer& model = *r.model;
    model.train();

    nn::Adam optimizer(model.named_parameters(), 0.0, {0.9, 0.98}, 1e-9);
    const nn::InverseSqrt schedule(c.d_model, c.warmup, c.lr_factor);
    const std::vector<Var> params = model.parameters();
    const std::vector<Example> curve_set(r.data.held_out.begin(),
                                         r.data.held_out.begin() + std::min<std::int64_t>(c.curve_items, c.held_out));
    const std::int64_t curve_every = std::max<std::int64_t>(1, c.steps / std::max<std::int64_t>(1, c.curve_points));

    // Everything the run's numbers depend on, so a checkpoint of another run is refused.
    const std::string run = cat(std::filesystem::path(c.checkpoint.path).filename().string(), " d_model=", c.d_model,
                                " heads=", c.num_heads, " layers=", c.num_layers, " d_ff=", c.d_ff, " dropout=", c.dropout,
                                " norm_first=", c.norm_first, " share=", c.share_embeddings, " steps=", c.steps,
                                " batch=", c.batch_size, " warmup=", c.warmup, " lr_factor=", c.lr_factor,
                                " smoothing=", c.label_smoothing, " clip=", c.clip_norm, " seed=", c.seed,
                                " held_out=", c.held_out, " curve=", c.curve_items, "/", c.curve_points);
    lesson::RunCheckpoint checkpoint(c.checkpoint, model, optimizer, {{"init", &init_gen}, {"data", &data_gen}},
                                     {{"steps", &r.steps}, {"train_loss", &r.train_loss}, {"lr", &r.lr},
                                      {"curve_steps", &r.curve_steps}, {"held_loss", &r.held_loss}},
                                     run);
    for (std::int64_t step = checkpoint.first_step(); step <= c.steps; ++step) {
        std::vector<Example> items;
        for (std::int64_t i = 0; i < c.batch_size; ++i) items.push_back(sample_training(spec, r.data, data_gen));
        const Batch b = make_batch(items);

        // Update `step` uses lr(step), the paper's step_num counted from 1, so the peak
        // factor / sqrt(d_model * warmup) is the lr of update number `warmup`. (A Scheduler
        // would give update k lr_at(k - 1): the library's count from 0.)
        optimizer.set_lr(schedule.lr_at(step));
        r.lr.push_back(optimizer.lr());
        optimizer.zero_grad();
        const Var logits = model.forward(b.src, b.tgt_in, b.src_padding);  // (B, Tt, V)
        const Var loss = nn::label_smoothed_cross_entropy(logits, b.tgt_out, c.label_smoothing, kPad);
        loss.backward();
        nn::clip_grad_norm_(params, c.clip_norm);
        optimizer.step();

        r.steps.push_back(static_cast<double>(step));
        r.train_loss.push_back(loss.item());
        if (step % curve_every == 0 || step == c.steps) {
            r.curve_steps.push_back(static_cast<double>(step));
            r.held_loss.push_back(evaluate_loss(model, curve_set, c.label_smoothing));
        }
        if (on_step) on_step(step, loss.item(), model);
        if (!checkpoint.after_step(step, c.steps)) break;
    }
    model.eval();
    return r;
}

EvalResult evaluate(nn::Transformer& model, const TaskSpec& spec, const std::vector<Example>& examples,
                    const TrainConfig& c) {
    EvalResult r;
    std::vector<std::vector<std::int64_t>> src;
    for (const Example& e : examples) src.push_back(e.src);
    const nn::PaddedBatch s = nn::pad_batch(src, kPad);
    nn::BeamOptions o;
    o.bos_id = kBos, o.eos_id = kEos;
    o.max_len = spec.max_tgt_len + 1;  // the longest target and its [EOS]
    o.beam_size = c.beam_size, o.length_alpha = c.length_alpha;
    r.greedy = nn::greedy_decode(model, s.ids, s.padding_mask, o);
    const std::vector<nn::Hypothesis> beams =
        c.beam_search ? c.beam_search(model, s.ids, s.padding_mask, o) : nn::beam_search(model, s.ids, s.padding_mask, o);
    for (const nn::Hypothesis& h : beams) r.beam.push_back(h.tokens);
    std::int64_t greedy_right = 0, beam_right = 0;
    for (std::size_t i = 0; i < examples.size(); ++i) {
        greedy_right += r.greedy[i] == examples[i].tgt;
        beam_right += r.beam[i] == examples[i].tgt;
    }
    const double n = static_cast<double>(examples.size());
    r.greedy_exact = static_cast<double>(greedy_right) / n;
    r.beam_exact = static_cast<double>(beam_right) / n;
    return r;
}

}  // namespace qkv::lesson06
