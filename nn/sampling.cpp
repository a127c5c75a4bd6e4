#include "nn/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace qkv::nn {

namespace {

// Token ids from most to least likely, ties toward the smaller id.
std::vector<std::size_t> by_probability(const std::vector<double>& probs) {
    std::vector<std::size_t> order(probs.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return probs[a] > probs[b]; });
    return order;
}

std::vector<double> normalised(std::vector<double> p) {
    double total = 0;
    for (double x : p) total += x;
    if (!(total > 0)) fail("sampling", "every token has probability 0 (all logits -inf?)");
    for (double& x : p) x /= total;
    return p;
}

}  // namespace

void check_sampling_options(const SamplingOptions& o) {
    if (!(o.temperature >= 0) || !std::isfinite(o.temperature))
        fail("sampling", "temperature must be >= 0 (0: greedy), got ", o.temperature);
    if (o.top_k < 0) fail("sampling", "top_k must be >= 0 (0: off), got ", o.top_k);
    if (!(o.top_p > 0 && o.top_p <= 1)) fail("sampling", "top_p must be in (0, 1] (1: off), got ", o.top_p);
}

std::vector<double> top_k_filter(const std::vector<double>& probs, std::int64_t k) {
    if (k <= 0 || k >= static_cast<std::int64_t>(probs.size())) return probs;
    const std::vector<std::size_t> order = by_probability(probs);
    std::vector<double> kept(probs.size(), 0.0);
    for (std::size_t r = 0; r < static_cast<std::size_t>(k); ++r) kept[order[r]] = probs[order[r]];
    return normalised(std::move(kept));
}

std::vector<double> top_p_filter(const std::vector<double>& probs, double p) {
    if (!(p > 0 && p <= 1)) fail("top_p_filter", "p must be in (0, 1], got ", p);
    const std::vector<std::size_t> order = by_probability(probs);
    std::vector<double> kept(probs.size(), 0.0);
    double before = 0;  // the mass of the tokens ranked above this one
    for (std::size_t i : order) {
        if (before >= p) break;
        kept[i] = probs[i];
        before += probs[i];
    }
    return normalised(std::move(kept));
}

std::vector<double> sampling_distribution(const Tensor& logits, const SamplingOptions& o) {
    check_sampling_options(o);
    if (logits.dim() != 1 || logits.size(0) < 1)
        fail("sampling", "logits must be (V) with V >= 1, got ", shape_str(logits.shape()));
    const std::vector<double> z = logits.to_vector<double>();
    for (double x : z)
        if (std::isnan(x) || x == INFINITY) fail("sampling", "logits hold ", x, ": the model's output is broken");
    const double top = *std::max_element(z.begin(), z.end());
    if (top == -INFINITY) fail("sampling", "every logit is -inf: no token may be chosen");
    std::vector<double> p(z.size(), 0.0);
    if (o.temperature == 0) {
        p[static_cast<std::size_t>(std::find(z.begin(), z.end(), top) - z.begin())] = 1;  // the first argmax
        return p;
    }
    // softmax(z / tau), shifted by the max so no exp overflows; a -inf logit gives exactly 0.
    for (std::size_t i = 0; i < z.size(); ++i) p[i] = std::exp((z[i] - top) / o.temperature);
    p = normalised(std::move(p));
    if (o.top_k > 0) p = top_k_filter(p, o.top_k);
    if (o.top_p < 1) p = top_p_filter(p, o.top_p);
    return p;
}

std::int64_t draw_from(const std::vector<double>& probs, Generator& gen) {
    if (probs.empty()) fail("sampling", "no probabilities to draw from");
    double total = 0;
    for (double x : probs) {
        if (!(x >= 0)) fail("sampling", "probabilities must be >= 0, got ", x);
        total += x;
    }
    if (!(total > 0)) fail("sampling", "the probabilities sum to 0");
    const double u = gen.uniform() * total;
    double running = 0;
    std::size_t last = 0;  // the last id with probability > 0: u lands at most there
    for (std::size_t i = 0; i < probs.size(); ++i) {
        if (probs[i] == 0) continue;
        running += probs[i];
        last = i;
        if (u < running) return static_cast<std::int64_t>(i);
    }
    return static_cast<std::int64_t>(last);  // rounding: u within an ulp of the total
}

std::int64_t sample_token(const Tensor& logits, const SamplingOptions& options, Generator& gen) {
    const std::vector<double> p = sampling_distribution(logits, options);
    if (options.temperature == 0)
        return static_cast<std::int64_t>(std::max_element(p.begin(), p.end()) - p.begin());
    return draw_from(p, gen);
}

}  // namespace qkv::nn
