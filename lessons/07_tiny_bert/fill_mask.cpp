#include "lessons/07_tiny_bert/fill_mask.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "nn/bert/hf_checkpoint.hpp"

namespace qkv::lesson07 {

FillResult fill_masks(nn::BertForPreTraining& model, const nn::BertTokenizer& tokenizer, const std::string& text,
                      std::int64_t top_k) {
    const nn::Vocab& vocab = tokenizer.vocab();
    const std::int64_t max_len = model.config().max_position_embeddings;
    const nn::BertEncoding enc = tokenizer.encode_single(text, max_len);
    if (static_cast<std::int64_t>(tokenizer.encode(text).size()) + 2 > max_len)
        fail("fill_masks", "the text has ", tokenizer.encode(text).size(), " tokens; this model takes at most ",
             max_len - 2, " besides [CLS] and [SEP]");
    const auto T = static_cast<std::int64_t>(enc.input_ids.size());
    FillResult result;
    result.tokens = vocab.tokens(enc.input_ids);

    nn::EvalGuard eval(model);  // dropout off; the mode comes back when the scope ends
    NoGradGuard no_grad;
    const nn::PreTrainingOutput out =
        model.forward(from_vector(enc.input_ids, {1, T}), from_vector(enc.token_type_ids, {1, T}));
    const Tensor probs = softmax(out.mlm_logits.data().select(0, 0), -1);  // (T, V)

    for (std::int64_t t = 0; t < T; ++t) {
        if (enc.input_ids[static_cast<std::size_t>(t)] != vocab.mask_id()) continue;
        const std::vector<double> p = probs.select(0, t).to(DType::Float64).to_vector<double>();
        std::vector<std::int64_t> order(p.size());
        std::iota(order.begin(), order.end(), 0);
        const auto k = static_cast<std::size_t>(std::min<std::int64_t>(top_k, static_cast<std::int64_t>(p.size())));
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                          [&](std::int64_t a, std::int64_t b) {
                              return p[static_cast<std::size_t>(a)] > p[static_cast<std::size_t>(b)] ||
                                     (p[static_cast<std::size_t>(a)] == p[static_cast<std::size_t>(b)] && a < b);
                          });
        MaskPrediction m;
        m.position = t;
        for (std::size_t i = 0; i < k; ++i) m.top.emplace_back(vocab.token(order[i]), p[static_cast<std::size_t>(order[i])]);
        result.masks.push_back(std::move(m));
    }
    if (result.masks.empty()) fail("fill_masks", "no [MASK] in \"", text, "\"");
    return result;
}

std::string format_fill(const FillResult& result) {
    std::string s;
    for (const MaskPrediction& m : result.masks) {
        s += "  [MASK] at " + std::to_string(m.position) + ":";
        for (std::size_t i = 0; i < m.top.size(); ++i) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "%s %s %.3f", i ? "," : "", m.top[i].first.c_str(), m.top[i].second);
            s += buf;
        }
        s += "\n";
    }
    return s;
}

FillResult run_load_hf(const std::string& dir, const std::string& text, std::ostream& out) {
    nn::HfBert hf = nn::load_hf_pretrained(dir);
    const nn::BertConfig& c = hf.config;
    char line[256];
    std::snprintf(line, sizeof line, "loaded %s: %lld layers, width %lld, %lld heads, vocab %lld, %lld parameters\n",
                  dir.c_str(), static_cast<long long>(c.num_hidden_layers), static_cast<long long>(c.hidden_size),
                  static_cast<long long>(c.num_attention_heads), static_cast<long long>(c.vocab_size),
                  static_cast<long long>(hf.model.num_parameters()));
    out << line;
    FillResult r = fill_masks(hf.model, hf.tokenizer, text, 5);
    out << "input:";
    for (const std::string& t : r.tokens) out << " " << t;
    out << "\n" << format_fill(r);
    return r;
}

}  // namespace qkv::lesson07
