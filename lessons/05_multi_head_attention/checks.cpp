#include "lessons/05_multi_head_attention/checks.hpp"

#include <algorithm>
#include <cmath>

#include "nn/positional.hpp"

namespace qkv::lesson05 {

namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(a - b)).item(); }

}  // namespace

nn::AttentionOutput single_head(const nn::MultiHeadAttention& mha, std::int64_t head, const Var& query,
                                const Var& key, const Var& value, const Tensor& mask) {
    const std::int64_t dh = mha.d_head(), first = head * dh;
    // Rows [first, first + dh) of a Linear's weight (out, in) are the outputs head `head` owns.
    const auto project = [&](const nn::Linear& proj, const Var& x) {
        const Var y = matmul(x, proj.weight.narrow(0, first, dh).t());     // (B, T, D) @ (D, dh) -> (B, T, dh)
        return proj.bias.defined() ? y + proj.bias.narrow(0, first, dh) : y;  // (B, T, dh)
    };
    return nn::scaled_dot_product_attention(project(mha.q_proj, query), project(mha.k_proj, key),
                                            project(mha.v_proj, value), mask);  // (B, Tq, dh), (B, Tq, Tk)
}

JointVsSeparate joint_vs_separate(std::uint64_t seed) {
    Generator gen(seed);
    JointVsSeparate r;
    r.B = 2, r.T = 5, r.D = 12, r.H = 4;
    nn::MultiHeadAttention mha(r.D, r.H, gen);
    const Var x(randn({r.B, r.T, r.D}, 0, 1, DType::Float32, gen));  // (B, T, D)
    const nn::MultiHeadOutput joint = mha.forward(x);                  // (B, T, D), (B, H, T, T)

    std::vector<Var> outputs, weights;
    for (std::int64_t h = 0; h < r.H; ++h) {
        const nn::AttentionOutput one = single_head(mha, h, x, x, x);
        outputs.push_back(one.output);   // (B, T, dh)
        weights.push_back(one.weights);  // (B, T, T)
    }
    const Var separate = mha.out_proj(concat(outputs, -1));  // (B, T, H*dh) -> (B, T, D)
    r.output_diff = max_abs_diff(joint.output.data(), separate.data());
    r.weights_diff = max_abs_diff(joint.weights.data(), stack(weights, 1).data());  // (B, H, T, T)
    return r;
}

Var split_heads_by_reshape(const Var& x, std::int64_t num_heads) {
    const std::int64_t B = x.size(0), T = x.size(1), dh = x.size(2) / num_heads;
    return x.reshape({B, num_heads, T, dh});  // (B, H, T, dh) in name only: "row" t of head h mixes tokens
}

Var merge_heads_by_reshape(const Var& x) {
    return x.reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});  // (B, H, T, dh) -> (B, T, D)
}

CausalLeak causal_leak(std::uint64_t seed) {
    Generator gen(seed);
    CausalLeak r;
    r.T = 8, r.t = 3;
    const std::int64_t D = 8, H = 2, after = r.T - r.t - 1;
    nn::MultiHeadAttention mha(D, H, gen);
    const Tensor x = randn({1, r.T, D}, 0, 1, DType::Float32, gen);  // (1, T, D)
    Tensor changed = x.clone();
    copy_(changed.narrow(1, r.t + 1, after), randn({1, after, D}, 0, 3, DType::Float32, gen));  // tokens t+1..T-1

    const nn::AttentionMasks causal{Tensor(), nn::causal_mask(r.T)};  // (T, T), true above the diagonal
    const Tensor a = mha.forward(Var(x), causal).output.data();        // (1, T, D)
    const Tensor b = mha.forward(Var(changed), causal).output.data();
    r.prefix_identical = equal(a.narrow(1, 0, r.t + 1), b.narrow(1, 0, r.t + 1));
    r.prefix_change = max_abs_diff(a.narrow(1, 0, r.t + 1), b.narrow(1, 0, r.t + 1));
    r.suffix_change = max_abs_diff(a.narrow(1, r.t + 1, after), b.narrow(1, r.t + 1, after));

    return r;
}

PaddingLeak padding_leak(std::uint64_t seed) {
    Generator gen(seed);
    PaddingLeak r;
    r.T = 8, r.length = 5;
    const std::int64_t D = 8, H = 2, pad = r.T - r.length;
    nn::MultiHeadAttention mha(D, H, gen);
    const Tensor x = randn({1, r.T, D}, 0, 1, DType::Float32, gen);  // (1, T, D)
    Tensor changed = x.clone();
    copy_(changed.narrow(1, r.length, pad), randn({1, pad, D}, 0, 3, DType::Float32, gen));  // the padding tokens
    const Tensor key_padding =
        nn::padding_mask(from_vector(std::vector<std::int64_t>{r.length}), r.T).squeeze(1);  // (1, T), true at padding

    const auto with_split_heads = [&](const Tensor& input) {
        return mha.forward(Var(input), nn::AttentionMasks{key_padding, Tensor()}).output.data();  // (1, T, D)
    };
    // The same layer with the heads cut by a bare reshape: the mask now hides "rows" of a
    // scrambled layout, not tokens.
    const auto with_reshape = [&](const Tensor& input) {
        const Var in(input);
        const Var q = split_heads_by_reshape(mha.q_proj(in), H);  // (1, H, T, dh), scrambled
        const Var k = split_heads_by_reshape(mha.k_proj(in), H);
        const Var v = split_heads_by_reshape(mha.v_proj(in), H);
        const Tensor mask = key_padding.reshape({1, 1, 1, r.T});                       // (1, 1, 1, T)
        const Var heads = nn::scaled_dot_product_attention(q, k, v, mask).output;     // (1, H, T, dh)
        return mha.out_proj(merge_heads_by_reshape(heads)).data();                      // (1, T, D)
    };
    const auto valid = [&](const Tensor& out) { return out.narrow(1, 0, r.length); };  // (1, length, D)
    r.split_heads_change = max_abs_diff(valid(with_split_heads(x)), valid(with_split_heads(changed)));
    r.reshape_change = max_abs_diff(valid(with_reshape(x)), valid(with_reshape(changed)));
    return r;
}

MaskBroadcast mask_broadcast(std::uint64_t seed) {
    Generator gen(seed);
    const std::int64_t B = 2, H = 2, Tq = 3, Tk = 4, dh = 2;
    const Var q(randn({B, H, Tq, dh}, 0, 1, DType::Float32, gen));  // (B, H, Tq, dh), heads already split
    const Var k(randn({B, H, Tk, dh}, 0, 1, DType::Float32, gen));
    const Var v(randn({B, H, Tk, dh}, 0, 1, DType::Float32, gen));
    const Tensor key_padding = nn::padding_mask(from_vector(std::vector<std::int64_t>{4, 2}), Tk).squeeze(1);  // (B, Tk)

    // (B, Tk) -> (B, 1, Tk), which right-aligns with (B, H, Tq, Tk) as (1, B, 1, Tk): its B sits on H.
    const Tensor article = nn::scaled_dot_product_attention(q, k, v, key_padding.unsqueeze(1)).weights.data();
    const Tensor right =
        nn::scaled_dot_product_attention(q, k, v, nn::combine_masks({key_padding, Tensor()}, B, Tq, Tk)).weights.data();
    // (Tq, 2): the weights query by query on keys 2 and 3, of one (sequence, head).
    const auto on_last_two = [](const Tensor& w, std::int64_t b, std::int64_t h) {
        return sum(w.select(0, b).select(0, h).narrow(1, 2, 2)).item() / static_cast<double>(w.size(2));
    };
    MaskBroadcast r;
    r.article_padding_weight = on_last_two(article, 1, 0);  // sequence 1, head 0 got sequence 0's (empty) mask
    r.qkv_padding_weight = std::max(on_last_two(right, 1, 0), on_last_two(right, 1, 1));
    r.article_valid_weight = on_last_two(article, 0, 1);  // sequence 0, head 1 got sequence 1's mask
    r.qkv_valid_weight = on_last_two(right, 0, 1);
    return r;
}

double pe_rotation_error(std::int64_t max_len, std::int64_t d_model, std::int64_t max_k) {
    const Tensor pe = nn::sinusoidal_table(max_len, d_model, DType::Float64);  // (max_len, d)
    double worst = 0;
    for (std::int64_t k = 1; k <= max_k; ++k)
        for (std::int64_t i = 0; i < d_model / 2; ++i) {
            const double w = std::pow(10000.0, -2.0 * static_cast<double>(i) / static_cast<double>(d_model));
            const double c = std::cos(static_cast<double>(k) * w), s = std::sin(static_cast<double>(k) * w);
            for (std::int64_t pos = 0; pos + k < max_len; ++pos) {
                const double sp = pe.at({pos, 2 * i}), cp = pe.at({pos, 2 * i + 1});
                // sin(a + b) = sin a cos b + cos a sin b,  cos(a + b) = cos a cos b - sin a sin b
                worst = std::max(worst, std::abs(pe.at({pos + k, 2 * i}) - (c * sp + s * cp)));
                worst = std::max(worst, std::abs(pe.at({pos + k, 2 * i + 1}) - (-s * sp + c * cp)));
            }
        }
    return worst;
}

}  // namespace qkv::lesson05
