#include "nn/gpt/generate.hpp"

#include <algorithm>
#include <cmath>

#include "nn/transformer/kv_cache.hpp"

namespace qkv::nn {

GPTCache start_gpt_cache(const GPT& model, std::int64_t rows) {
    const GPTConfig& c = model.config();
    if (rows < 1) fail("start_gpt_cache", "rows must be >= 1, got ", rows);
    GPTCache cache;
    for (std::int64_t l = 0; l < c.num_layers; ++l) {
        cache.keys.push_back(zeros({rows, c.num_heads, c.max_len, c.d_model / c.num_heads}, model.tokens.weight.dtype()));
        cache.values.push_back(zeros({rows, c.num_heads, c.max_len, c.d_model / c.num_heads}, model.tokens.weight.dtype()));
    }
    cache.last_weights.resize(static_cast<std::size_t>(c.num_layers));
    return cache;
}

Var gpt_step(GPT& model, const Tensor& tokens, GPTCache& cache) {
    const std::int64_t t = cache.length;
    // In training mode dropout would be on in the embedding, residual and feed-forward paths but
    // not in the cached attention row: the step would silently differ from forward.
    if (model.is_training()) fail("gpt_step", "call it in eval mode (model.eval(), or nn::EvalGuard)");
    if (cache.keys.size() != model.layers.size())
        fail("gpt_step", "the cache has ", cache.keys.size(), " layers, the model ", model.layers.size());
    if (tokens.dim() != 1 || tokens.size(0) != cache.keys[0].size(0))
        fail("gpt_step", "tokens must be (R) with R = the cache's ", cache.keys[0].size(0), " rows, got ",
             shape_str(tokens.shape()));
    if (t >= model.config().max_len)
        fail("gpt_step", "the cache is full: ", t, " positions, the model's max_len");
    // Position t's input, as GPT::hidden makes it (dropout is off in eval mode).
    const Tensor where = full({1, 1}, static_cast<double>(t), DType::Int64);
    Var x = model.dropout(model.tokens(tokens.unsqueeze(1)) + model.positions(where));  // (R, 1, D)
    for (std::size_t l = 0; l < model.layers.size(); ++l) {
        TransformerEncoderLayer& layer = model.layers[l];  // pre-norm, as GPT::hidden runs it
        x = x + layer.dropout1(cached_self_attention(layer.self_attn, layer.norm1(x), cache.keys[l], cache.values[l], t,
                                                     &cache.last_weights[l]));
        x = x + layer.dropout2(layer.feed_forward(layer.norm2(x)));  // (R, 1, D)
    }
    ++cache.length;
    return model.project(model.final_norm(x)).select(1, 0);  // (R, V)
}

namespace {

// Row r's next token from its logits (V), with the banned ids at -inf.
std::int64_t choose(const Tensor& logits, const GenerateOptions& o, Generator& gen) {
    Tensor z = logits.to(DType::Float64).contiguous();
    for (std::int64_t id : o.never) z.set({id}, -INFINITY);
    return sample_token(z, o.sampling, gen);
}

}  // namespace

std::vector<std::vector<std::int64_t>> generate(GPT& model, const std::vector<std::vector<std::int64_t>>& prompts,
                                                const GenerateOptions& o, Generator& gen) {
    check_sampling_options(o.sampling);
    const std::int64_t V = model.config().vocab_size, max_len = model.config().max_len;
    if (prompts.empty()) fail("generate", "no prompts");
    const std::size_t P = prompts[0].size();
    for (const auto& p : prompts)
        if (p.size() != P || P == 0)
            fail("generate", "every prompt must have one length >= 1 (rows are generated side by side), got lengths ",
                 P, " and ", p.size());
    if (o.max_new_tokens < 0 || static_cast<std::int64_t>(P) + o.max_new_tokens > max_len)
        fail("generate", "prompt length ", P, " + max_new_tokens ", o.max_new_tokens, " must lie within max_len ",
             max_len);
    for (std::int64_t id : o.never)
        if (id < 0 || id >= V) fail("generate", "banned id ", id, " is outside the vocabulary [0, ", V, ")");
    EvalGuard eval(model);
    NoGradGuard no_grad;
    const auto R = static_cast<std::int64_t>(prompts.size());
    std::vector<std::vector<std::int64_t>> sequences = prompts, out(prompts.size());
    std::vector<bool> stopped(prompts.size(), false);
    GPTCache cache;
    Tensor logits;  // (R, V): the prediction for the next position
    if (o.use_cache) {
        cache = start_gpt_cache(model, R);
        for (std::size_t i = 0; i < P; ++i) {  // the prompt, one position at a time
            std::vector<std::int64_t> column;
            for (const auto& s : sequences) column.push_back(s[i]);
            logits = gpt_step(model, from_vector(column), cache).data();
        }
    }
    for (std::int64_t step = 0; step < o.max_new_tokens; ++step) {
        if (!o.use_cache) {
            std::vector<std::int64_t> flat;
            for (const auto& s : sequences) flat.insert(flat.end(), s.begin(), s.end());
            const auto T = static_cast<std::int64_t>(sequences[0].size());
            logits = model.forward(from_vector(flat, {R, T})).data().select(1, T - 1);  // (R, V)
        }
        std::vector<std::int64_t> next(prompts.size());
        for (std::size_t r = 0; r < prompts.size(); ++r) {
            next[r] = stopped[r] ? sequences[r].back() : choose(logits.select(0, static_cast<std::int64_t>(r)), o, gen);
            if (stopped[r]) continue;
            out[r].push_back(next[r]);
            stopped[r] = next[r] == o.stop_id;
        }
        for (std::size_t r = 0; r < prompts.size(); ++r) sequences[r].push_back(next[r]);
        if (std::all_of(stopped.begin(), stopped.end(), [](bool s) { return s; })) break;
        if (o.use_cache && step + 1 < o.max_new_tokens) logits = gpt_step(model, from_vector(next), cache).data();
    }
    return out;
}

}  // namespace qkv::nn
