#include "lessons/08_vision_and_local_attention/vision.hpp"

#include <algorithm>
#include <cmath>

namespace qkv::lesson08 {

PatchConvComparison compare_patch_embedding_with_conv(const nn::PatchEmbedding& embed, const Tensor& images) {
    NoGradGuard no_grad;
    PatchConvComparison c;
    const Tensor tokens = const_cast<nn::PatchEmbedding&>(embed).forward(Var(images)).data();  // (B, N, D)
    const Tensor conv = nn::conv2d(images, embed.conv_weight(), embed.proj.bias.data(), embed.patch());  // (B, D, g, g)
    c.linear_shape = tokens.shape();
    c.conv_shape = conv.shape();
    // (B, D, g, g) -> (B, D, N) -> (B, N, D): the conv's output positions, row by row, are the patches.
    const Tensor flat = conv.reshape({conv.size(0), conv.size(1), conv.size(2) * conv.size(3)}).transpose(1, 2);
    const std::vector<double> a = tokens.to_vector<double>(), b = flat.contiguous().to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i) c.max_abs_difference = std::max(c.max_abs_difference, std::abs(a[i] - b[i]));
    return c;
}

Tensor position_similarity(const nn::VisionTransformer& model) {
    const Tensor pos = model.pos_embed.data().select(0, 0);  // (N + 1, D)
    const std::int64_t N = pos.size(0) - 1, D = pos.size(1);
    const std::vector<double> p = pos.narrow(0, 1, N).contiguous().to_vector<double>();
    std::vector<double> norm(static_cast<std::size_t>(N), 0.0), sim(static_cast<std::size_t>(N * N));
    for (std::int64_t i = 0; i < N; ++i) {
        for (std::int64_t d = 0; d < D; ++d) norm[i] += p[i * D + d] * p[i * D + d];
        norm[i] = std::sqrt(norm[i]);
    }
    for (std::int64_t i = 0; i < N; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
            double dot = 0;
            for (std::int64_t d = 0; d < D; ++d) dot += p[i * D + d] * p[j * D + d];
            sim[static_cast<std::size_t>(i * N + j)] = dot / (norm[i] * norm[j]);
        }
    return from_vector(sim, {N, N});
}

GridScore grid_score(const Tensor& similarity, std::int64_t g) {
    const std::int64_t N = g * g;
    if (similarity.shape() != Shape{N, N}) fail("grid_score", "expected (", N, ", ", N, "), got ", shape_str(similarity.shape()));
    const std::vector<double> s = similarity.to_vector<double>();
    double nb = 0, ot = 0;
    std::int64_t n_nb = 0, n_ot = 0;
    for (std::int64_t i = 0; i < N; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
            if (i == j) continue;
            const bool next = std::abs(i / g - j / g) + std::abs(i % g - j % g) == 1;
            (next ? nb : ot) += s[static_cast<std::size_t>(i * N + j)];
            ++(next ? n_nb : n_ot);
        }
    return {nb / static_cast<double>(n_nb), ot / static_cast<double>(n_ot)};
}

ArticleImageAttention run_article_image_attention(std::int64_t side, std::uint64_t seed) {
    ArticleImageAttention r;
    r.side = side;
    r.spatial = (side - 4) * (side - 4);
    Generator gen(seed);
    const std::int64_t B = 2;
    const Tensor x = rand({B, 3, side, side}, 0.0, 1.0, DType::Float64, gen);          // (B, 3, side, side)
    const Tensor w1 = rand({32, 3, 3, 3}, -0.2, 0.2, DType::Float64, gen), b1 = zeros({32}, DType::Float64);
    const Tensor w2 = rand({64, 32, 3, 3}, -0.06, 0.06, DType::Float64, gen), b2 = zeros({64}, DType::Float64);
    const Tensor h = nn::conv2d(nn::conv2d(x, w1, b1), w2, b2);                          // (B, 64, side-4, side-4)
    nn::Linear attention(64, 1, gen);                                              // nn.Linear(64, 1)
    attention.to(DType::Float64);
    const Var flat(h.reshape({B, 64, -1}));                                             // x.view(B, 64, -1): (B, 64, H'W')
    Var weights;
    try {
        weights = tanh(attention(flat));                                                 // needs H'W' == 64: (B, 64, 1)
    } catch (const Error& e) {
        r.error = e.what();
        return r;
    }
    weights = softmax(weights, 2);                                                       // over an axis of size 1
    r.ran = true;
    r.weights_shape = weights.shape();
    const std::vector<double> w = weights.data().to_vector<double>();
    r.min_weight = *std::min_element(w.begin(), w.end());
    r.max_weight = *std::max_element(w.begin(), w.end());
    const Tensor attended = sum(mul(flat.data(), weights.data()), {2});                 // (B, 64)
    const Tensor plain = sum(flat.data(), {2});                                          // (B, 64): no attention at all
    const std::vector<double> a = attended.to_vector<double>(), p = plain.to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i) r.max_difference_from_sum = std::max(r.max_difference_from_sum, std::abs(a[i] - p[i]));
    return r;
}

}  // namespace qkv::lesson08
