#include "lessons/08_vision_and_local_attention/head_ablation.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "nn/attention/recording.hpp"

namespace qkv::lesson08 {

namespace {

Tensor head_columns(nn::BertForPreTraining& model, std::int64_t layer, std::int64_t head) {
    const nn::BertConfig& c = model.config();
    if (layer < 0 || layer >= c.num_hidden_layers || head < 0 || head >= c.num_attention_heads)
        fail("zero_head", "no head ", head, " in layer ", layer, " of a ", c.num_hidden_layers, "-layer, ",
             c.num_attention_heads, "-head model");
    const std::int64_t dh = c.hidden_size / c.num_attention_heads;
    const Tensor& w = model.bert.encoder.layer[static_cast<std::size_t>(layer)].attention_output.weight.data();  // (D, H dh)
    return w.narrow(1, head * dh, dh);  // (D, dh): a view into the weight
}

// Peakedness of every head over the held-out pairs: (mean max weight, mean entropy) per head,
// over the query rows of real (non-[PAD]) tokens.
std::vector<std::pair<double, double>> peakedness(nn::BertForPreTraining& model, const lesson07::HeldoutPairs& heldout) {
    const nn::BertConfig& c = model.config();
    const std::int64_t L = c.num_hidden_layers, H = c.num_attention_heads, N = heldout.batch.input_ids.size(0);
    std::vector<std::pair<double, double>> sums(static_cast<std::size_t>(L * H), {0.0, 0.0});
    std::int64_t rows = 0;
    nn::EvalGuard eval(model);
    NoGradGuard no_grad;
    for (std::int64_t start = 0; start < N; start += 250) {
        const std::int64_t n = std::min<std::int64_t>(250, N - start);
        const Tensor pad = heldout.batch.padding_mask.narrow(0, start, n).contiguous();  // (n, T)
        std::vector<Tensor> attention;  // per layer (n, H, T, T)
        {
            nn::RecordAttention record;
            model.forward(heldout.masked.input_ids.narrow(0, start, n).contiguous(),
                          heldout.batch.token_type_ids.narrow(0, start, n).contiguous(), pad);
            attention = model.attention_weights();
        }
        const std::vector<std::uint8_t> is_pad = pad.to_vector<std::uint8_t>();
        const std::int64_t T = pad.size(1);
        for (std::int64_t l = 0; l < L; ++l) {
            const std::vector<double> a = attention[static_cast<std::size_t>(l)].to_vector<double>();  // (n, H, T, T)
            for (std::int64_t b = 0; b < n; ++b)
                for (std::int64_t h = 0; h < H; ++h)
                    for (std::int64_t i = 0; i < T; ++i) {
                        if (is_pad[static_cast<std::size_t>(b * T + i)]) continue;
                        double top = 0, entropy = 0;
                        for (std::int64_t j = 0; j < T; ++j) {
                            const double p = a[static_cast<std::size_t>(((b * H + h) * T + i) * T + j)];
                            top = std::max(top, p);
                            if (p > 0) entropy -= p * std::log(p);
                        }
                        sums[static_cast<std::size_t>(l * H + h)].first += top;
                        sums[static_cast<std::size_t>(l * H + h)].second += entropy;
                        if (l == 0 && h == 0) ++rows;
                    }
        }
    }
    for (auto& s : sums) s.first /= static_cast<double>(rows), s.second /= static_cast<double>(rows);
    return sums;
}

std::vector<double> ranks(const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        for (std::size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * static_cast<double>(i + j);  // mean rank of the tie
        i = j + 1;
    }
    return r;
}

}  // namespace

Tensor zero_head(nn::BertForPreTraining& model, std::int64_t layer, std::int64_t head) {
    const Tensor cols = head_columns(model, layer, head);  // (D, dh), a view
    const Tensor saved = cols.contiguous().clone();
    copy_(cols, zeros_like(saved));
    return saved;
}

void restore_head(nn::BertForPreTraining& model, std::int64_t layer, std::int64_t head, const Tensor& saved) {
    copy_(head_columns(model, layer, head), saved);
}

AblationResult ablate_heads(nn::BertForPreTraining& model, const lesson07::LessonData& data,
                            const lesson07::HeldoutPairs& heldout) {
    AblationResult r;
    r.base_accuracy = lesson07::evaluate_pretraining(model, data, heldout).mlm_accuracy;
    const auto peaks = peakedness(model, heldout);
    const std::int64_t L = model.config().num_hidden_layers, H = model.config().num_attention_heads;
    for (std::int64_t l = 0; l < L; ++l)
        for (std::int64_t h = 0; h < H; ++h) {
            const Tensor saved = zero_head(model, l, h);
            HeadReport hr;
            hr.layer = l, hr.head = h;
            hr.ablated_accuracy = lesson07::evaluate_pretraining(model, data, heldout).mlm_accuracy;
            restore_head(model, l, h, saved);
            hr.drop = r.base_accuracy - hr.ablated_accuracy;
            hr.mean_max_weight = peaks[static_cast<std::size_t>(l * H + h)].first;
            hr.mean_entropy = peaks[static_cast<std::size_t>(l * H + h)].second;
            r.heads.push_back(hr);
        }
    return r;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size() || a.size() < 2) fail("spearman", "need two lists of one length >= 2, got ", a.size(), " and ", b.size());
    const std::vector<double> ra = ranks(a), rb = ranks(b);
    const double n = static_cast<double>(a.size()), mean = (n - 1) / 2;
    double cov = 0, va = 0, vb = 0;
    for (std::size_t i = 0; i < ra.size(); ++i) {
        cov += (ra[i] - mean) * (rb[i] - mean);
        va += (ra[i] - mean) * (ra[i] - mean);
        vb += (rb[i] - mean) * (rb[i] - mean);
    }
    return (va > 0 && vb > 0) ? cov / std::sqrt(va * vb) : 0.0;
}

}  // namespace qkv::lesson08
