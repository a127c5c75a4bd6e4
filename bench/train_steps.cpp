// train_step_ms: one full training step (zero_grad, forward, loss, backward, AdamW update) of
// the two models the lessons train, at fixed sizes, the median over 20 steps after 3 warm-up
// steps. bench/torch_reference.py times the same steps in PyTorch.
//
//   tiny_bert:   BertForPreTraining, vocab 1000, D 128, 4 heads, 2 layers, FFN 512, T 64, B 32,
//                MLM loss over every position + NSP loss, dropout 0.1
//   transformer: encoder-decoder, vocab 1000, D 128, 4 heads, 2 + 2 layers, FFN 512,
//                source and target length 32, B 64, causal target mask, dropout 0.1
//
// train_peak_rss_mb: the process's peak resident memory while one model is built and trained
// (the high-water mark reset just before, with qkv's cache of freed blocks emptied);
// torch_reference.py measures PyTorch's the same way.
#include <cstddef>
#include <cstdio>
#include <utility>
#include <vector>

#include "bench/bench.hpp"
#include "nn/bert/pretraining.hpp"
#include "nn/optim/adam.hpp"
#include "nn/transformer/transformer.hpp"
#include "tensor/storage.hpp"
#include "tensor/tensor.hpp"

namespace qkv::bench {
namespace {

constexpr std::int64_t vocab = 1000;

// Median milliseconds of `step` over `runs` calls after `warmup`.
template <class Step> double step_ms(bool quick, Step&& step) {
    return median_seconds(quick ? 1 : 3, quick ? 3 : 20, step) * 1e3;
}

double tiny_bert_step_ms(bool quick) {
    const std::int64_t B = 32, T = 64;
    nn::BertConfig config;
    config.vocab_size = vocab;
    config.hidden_size = 128;
    config.num_hidden_layers = 2;
    config.num_attention_heads = 4;
    config.intermediate_size = 512;
    config.max_position_embeddings = T;
    Generator gen(1);
    nn::BertForPreTraining model(config, gen);
    model.train();
    nn::AdamW optimizer(model.named_parameters(), 1e-3);
    const Tensor ids = randint(0, vocab, {B, T}, gen);                                 // (B, T)
    std::vector<std::int64_t> segment_ids(static_cast<std::size_t>(B * T));  // sentence A, then sentence B
    for (std::size_t i = 0; i < segment_ids.size(); ++i) segment_ids[i] = static_cast<std::int64_t>(i % T) >= T / 2;
    const Tensor segments = from_vector(segment_ids, {B, T});                          // (B, T)
    const Tensor targets = randint(0, vocab, {B, T}, gen);                             // (B, T)
    const Tensor every_position = full({B, T}, 1.0, DType::Bool);                     // (B, T)
    const Tensor is_random_next = randint(0, 2, {B}, gen);                             // (B)
    return step_ms(quick, [&] {
        optimizer.zero_grad();
        const nn::PreTrainingOutput out = model.forward(ids, segments);
        const Var loss = nn::masked_lm_loss(out.mlm_logits, targets, every_position) +
                         nn::next_sentence_loss(out.nsp_logits, is_random_next);
        loss.backward();
        optimizer.step();
    });
}

double transformer_step_ms(bool quick) {
    const std::int64_t B = 64, T = 32;
    nn::TransformerConfig config;
    config.src_vocab_size = vocab;
    config.tgt_vocab_size = vocab;
    config.d_model = 128;
    config.num_heads = 4;
    config.num_encoder_layers = 2;
    config.num_decoder_layers = 2;
    config.d_ff = 512;
    config.dropout = 0.1;
    config.max_len = 64;
    Generator gen(2);
    nn::Transformer model(config, gen);
    model.train();
    nn::AdamW optimizer(model.named_parameters(), 1e-3);
    const Tensor src = randint(0, vocab, {B, T}, gen);      // (B, Ts)
    const Tensor tgt_in = randint(0, vocab, {B, T}, gen);   // (B, Tt)
    const Tensor tgt_out = randint(0, vocab, {B, T}, gen);  // (B, Tt)
    return step_ms(quick, [&] {
        optimizer.zero_grad();
        const Var logits = model.forward(src, tgt_in);  // (B, Tt, V), causal mask inside
        const Var loss = cross_entropy(logits, tgt_out);
        loss.backward();
        optimizer.step();
    });
}

// What one model's run cost in memory, MB: the process's peak resident memory, the resident
// memory before the model was built, and the most bytes of tensors held at once beyond those
// alive before.
struct MemoryUse {
    double peak_rss, rss_before, peak_tensors;
};

// Runs `bench` and returns its result with the memory it used.
template <class F> std::pair<double, MemoryUse> with_memory_use(F&& bench) {
    storage_cache::clear();
    reset_peak_rss();
    storage_use::reset_peak();
    const double before = proc_status_mb("VmRSS:");
    const std::size_t tensors_before = storage_use::live_bytes();
    const double result = bench();
    const double tensors = static_cast<double>(storage_use::peak_bytes() - tensors_before) / (1 << 20);
    return {result, {proc_status_mb("VmHWM:"), before, tensors}};
}

}  // namespace

void measure_train_steps(Report& report, bool quick) {
    const auto [bert, bert_mb] = with_memory_use([&] { return tiny_bert_step_ms(quick); });
    const auto [transformer, transformer_mb] = with_memory_use([&] { return transformer_step_ms(quick); });
    report.json["train_step_ms"] = Json::object({{"tiny_bert", bert}, {"transformer", transformer}});
    report.json["train_peak_rss_mb"] =
        Json::object({{"tiny_bert", bert_mb.peak_rss}, {"transformer", transformer_mb.peak_rss}});
    report.json["train_rss_before_mb"] =
        Json::object({{"tiny_bert", bert_mb.rss_before}, {"transformer", transformer_mb.rss_before}});
    report.json["train_peak_tensor_mb"] =
        Json::object({{"tiny_bert", bert_mb.peak_tensors}, {"transformer", transformer_mb.peak_tensors}});
    char line[200];
    std::snprintf(line, sizeof line, "train step (ms, median)     tiny_bert %8.2f   transformer %8.2f", bert,
                  transformer);
    report.lines.emplace_back(line);
    for (const auto& [name, use] : {std::pair{"tiny_bert", bert_mb}, std::pair{"transformer", transformer_mb}}) {
        std::snprintf(line, sizeof line,
                      "  %-12s peak RSS %7.1f MB (%.1f MB before the model), its tensors at most %.1f MB at once", name,
                      use.peak_rss, use.rss_before, use.peak_tensors);
        report.lines.emplace_back(line);
    }
}

}  // namespace qkv::bench
