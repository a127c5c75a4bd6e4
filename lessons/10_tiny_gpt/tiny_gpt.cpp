#include "lessons/10_tiny_gpt/tiny_gpt.hpp"

#include <algorithm>
#include <cmath>

#include "nn/losses.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/schedule.hpp"
#include "nn/state_dict.hpp"
#include "tensor/storage.hpp"

namespace qkv::lesson10 {

nn::GPTConfig tiny_gpt_config(std::int64_t vocab_size) {
    nn::GPTConfig c;
    c.vocab_size = vocab_size;
    c.d_model = 96;
    c.num_heads = 4;
    c.num_layers = 2;
    c.d_ff = 384;
    c.max_len = 256;
    c.dropout = 0.1;
    return c;
}

LMBatch poem_batch(const std::vector<Ids>& poems, const std::vector<std::int64_t>& chosen, std::int64_t max_len,
                   std::int64_t pad_id) {
    std::int64_t T = 0;
    for (std::int64_t i : chosen) {
        if (i < 0 || i >= static_cast<std::int64_t>(poems.size()))
            fail("poem_batch", "poem ", i, " is outside [0, ", poems.size(), ")");
        const auto n = static_cast<std::int64_t>(poems[static_cast<std::size_t>(i)].size());
        if (n < 2) fail("poem_batch", "poem ", i, " has ", n, " tokens: nothing to predict");
        T = std::max(T, std::min(n - 1, max_len));
    }
    const auto B = static_cast<std::int64_t>(chosen.size());
    std::vector<std::int64_t> inputs(static_cast<std::size_t>(B * T), pad_id), targets(static_cast<std::size_t>(B * T), -100);
    for (std::int64_t b = 0; b < B; ++b) {
        const Ids& p = poems[static_cast<std::size_t>(chosen[static_cast<std::size_t>(b)])];
        for (std::int64_t t = 0; t < T && t + 1 < static_cast<std::int64_t>(p.size()); ++t) {
            inputs[static_cast<std::size_t>(b * T + t)] = p[static_cast<std::size_t>(t)];
            targets[static_cast<std::size_t>(b * T + t)] = p[static_cast<std::size_t>(t + 1)];  // the next token
        }
    }
    return {from_vector(inputs, {B, T}), from_vector(targets, {B, T})};
}

TrainCurves train_gpt(nn::GPT& model, const std::vector<Ids>& train, const std::vector<Ids>& heldout,
                      const TrainOptions& o, const std::function<void(std::int64_t, double)>& on_step) {
    if (train.empty()) fail("train_gpt", "no training poems");
    nn::AdamW optimizer(model.named_parameters(), o.lr, {0.9, 0.95}, 1e-8, o.weight_decay);
    const auto warmup = static_cast<std::int64_t>(o.warmup_fraction * static_cast<double>(o.steps));
    nn::Scheduler scheduler(optimizer, nn::WarmupCosine(o.lr, warmup, o.steps, o.final_lr_fraction * o.lr));
    const std::vector<Var> params = model.parameters();
    Generator draw(o.seed * 2 + 101);  // which poems make each batch
    TrainCurves curves;
    model.train();
    // Sets every layer's attention path for the loop and puts the previous one back after it,
    // also when the loop ends by an exception.
    struct TiledAttention {
        nn::GPT& model;
        std::vector<bool> before;
        TiledAttention(nn::GPT& m, bool on) : model(m) {
            for (auto& layer : model.layers) before.push_back(layer.self_attn.memory_efficient);
            for (auto& layer : model.layers) layer.self_attn.memory_efficient = on;
        }
        ~TiledAttention() {
            for (std::size_t i = 0; i < before.size(); ++i) model.layers[i].self_attn.memory_efficient = before[i];
        }
    } tiled(model, o.memory_efficient_attention);
    for (std::int64_t step = 1; step <= o.steps; ++step) {
        std::vector<std::int64_t> chosen;
        for (std::int64_t b = 0; b < o.batch; ++b) chosen.push_back(static_cast<std::int64_t>(draw.below(train.size())));
        const LMBatch batch = poem_batch(train, chosen, model.config().max_len, o.pad_id);
        optimizer.zero_grad();
        const Var logits = model(batch.inputs);                // (B, T, V)
        const Var loss = cross_entropy(logits, batch.targets);  // mean over the real (not padding) targets
        loss.backward();
        nn::clip_grad_norm_(params, o.clip_norm);
        optimizer.step();
        scheduler.step();
        storage_cache::clear();  // every batch has its own length: freed blocks would only pile up
        curves.steps.push_back(static_cast<double>(step));
        curves.train_loss.push_back(loss.item());
        if (on_step) on_step(step, loss.item());
        if (step % o.eval_every == 0 || step == o.steps) {
            curves.eval_steps.push_back(static_cast<double>(step));
            curves.val_loss.push_back(gpt_cross_entropy(model, heldout));
        }
    }
    return curves;
}

double gpt_cross_entropy(nn::GPT& model, const std::vector<Ids>& poems) {
    nn::EvalGuard eval(model);
    NoGradGuard no_grad;
    const std::int64_t L = model.config().max_len;
    double nats = 0;
    std::int64_t n = 0;
    for (const Ids& p : poems) {
        // Target i (1 <= i < len) is predicted from inputs p[0..i-1]. A window of inputs
        // p[start, end) scores targets start + 1 .. end; the first takes the first L inputs, each
        // later one moves on by L / 2 (at least 1), keeping the L inputs before its last target.
        const auto last = static_cast<std::int64_t>(p.size()) - 1;  // the last target
        std::int64_t scored = 0;  // targets 1..scored are done
        while (scored < last) {
            const std::int64_t end = std::min(last, scored == 0 ? L : scored + std::max<std::int64_t>(1, L / 2));
            const std::int64_t start = std::max<std::int64_t>(0, end - L);
            const Ids inputs(p.begin() + start, p.begin() + end);
            const Tensor logp = log_softmax(model(from_vector(inputs, {1, end - start})).data(), -1);  // (1, W, V)
            for (std::int64_t i = scored + 1; i <= end; ++i) {  // target p[i], predicted at window position i - 1 - start
                nats -= logp.at({0, i - 1 - start, p[static_cast<std::size_t>(i)]});
                ++n;
            }
            scored = end;
        }
        storage_cache::clear();  // each poem's length is new: freed blocks would only pile up
    }
    if (n == 0) fail("gpt_cross_entropy", "no tokens to score");
    return nats / static_cast<double>(n);
}

void save_tiny_gpt(const std::string& path, nn::GPT& model, const CharTokens& tokens, std::uint64_t seed) {
    const nn::GPTConfig& c = model.config();
    nn::save_state_dict(path, model,
                        {{"qkv_lesson", "10_tiny_gpt"},
                         {"vocab_size", std::to_string(c.vocab_size)},
                         {"d_model", std::to_string(c.d_model)},
                         {"num_heads", std::to_string(c.num_heads)},
                         {"num_layers", std::to_string(c.num_layers)},
                         {"d_ff", std::to_string(c.d_ff)},
                         {"max_len", std::to_string(c.max_len)},
                         {"seed", std::to_string(seed)},
                         {"characters", tokens.characters()}});
}

namespace {

std::int64_t metadata_int(const std::map<std::string, std::string>& m, const std::string& key, const std::string& path) {
    const auto it = m.find(key);
    if (it == m.end()) fail("load_tiny_gpt", "'", path, "' has no '", key, "' in its metadata: not a lesson 10 model");
    std::size_t used = 0;
    std::int64_t v = 0;
    try {
        v = std::stoll(it->second, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != it->second.size() || v < 1 || v > 1'000'000)
        fail("load_tiny_gpt", "'", path, "': metadata ", key, " = '", it->second, "' is not a size");
    return v;
}

}  // namespace

LoadedGPT load_tiny_gpt(const std::string& path) {
    const SafetensorsFile file = load_safetensors(path);  // validates the whole file
    const auto& m = file.metadata;
    if (m.count("characters") == 0)
        fail("load_tiny_gpt", "'", path, "' has no 'characters' in its metadata: not a lesson 10 model");
    CharTokens tokens = CharTokens::from_characters(m.at("characters"));
    nn::GPTConfig c = tiny_gpt_config(metadata_int(m, "vocab_size", path));
    c.d_model = metadata_int(m, "d_model", path);
    c.num_heads = metadata_int(m, "num_heads", path);
    c.num_layers = metadata_int(m, "num_layers", path);
    c.d_ff = metadata_int(m, "d_ff", path);
    c.max_len = metadata_int(m, "max_len", path);
    if (c.vocab_size != tokens.size())
        fail("load_tiny_gpt", "'", path, "': vocab_size ", c.vocab_size, " but the saved characters make ", tokens.size(),
             " tokens");
    // The metadata must describe the tensors before a model of that size is built: a file that
    // lies (max_len = 1000000) would otherwise allocate gigabytes before load_state_dict refuses.
    const auto expect = [&](const std::string& name, const Shape& shape) {
        const auto it = file.tensors.find(name);
        if (it == file.tensors.end()) fail("load_tiny_gpt", "'", path, "' has no tensor ", name);
        if (it->second.shape() != shape)
            fail("load_tiny_gpt", "'", path, "': ", name, " is ", shape_str(it->second.shape()), " but the metadata says ",
                 shape_str(shape));
    };
    expect("tokens.weight", {c.vocab_size, c.d_model});
    expect("positions.weight", {c.max_len, c.d_model});
    for (std::int64_t l = 0; l < c.num_layers; ++l)
        expect("layers." + std::to_string(l) + ".feed_forward.linear1.weight", {c.d_ff, c.d_model});
    if (file.tensors.count("layers." + std::to_string(c.num_layers) + ".norm1.weight"))
        fail("load_tiny_gpt", "'", path, "' holds more layers than its metadata's num_layers = ", c.num_layers);
    try {
        Generator gen(0);  // the weights are overwritten below
        nn::GPT model(c, gen);
        nn::load_state_dict(model, file.tensors);  // strict: every name and shape must match
        return {std::move(model), std::move(tokens)};
    } catch (const Error& e) {
        fail("load_tiny_gpt", "'", path, "': ", e.what());
    }
}

}  // namespace qkv::lesson10
