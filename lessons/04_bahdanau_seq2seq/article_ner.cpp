#include "lessons/04_bahdanau_seq2seq/article_ner.hpp"

#include "tensor/random.hpp"

namespace qkv::lesson04 {
namespace {

double max_abs_diff(const Tensor& a, const Tensor& b) { return max(abs(sub(a, b))).item(); }

}  // namespace

NerSoftmax ner_softmax_over_batch(std::uint64_t seed) {
    NerSoftmax r;
    r.T = 5, r.B = 3, r.features = 4;
    Generator gen(seed);
    const Tensor rnn_output = randn({r.T, r.B, r.features}, 0, 1, DType::Float64, gen);  // (T, B, 2H)
    const Tensor w = randn({r.features, 1}, 0, 1, DType::Float64, gen);                 // Linear(2H, 1), no bias
    const auto scores = [&](const Tensor& out) { return tanh(matmul(out, w)); };         // (T, B, 1)

    const Tensor article = softmax(scores(rnn_output), 1);  // over the batch: the bug
    r.article_sums_over_batch = sum(article, {1, 2});       // (T)
    r.article_sums_per_sentence = sum(article, {0, 2});     // (B)

    // Sentence 1 alone changes; sentence 0's weights should not care.
    Tensor changed = rnn_output.clone();
    const Tensor other = randn({r.T, r.features}, 0, 1, DType::Float64, gen);
    copy_(changed.select(1, 1), other);
    r.article_leak = max_abs_diff(article.select(1, 0), softmax(scores(changed), 1).select(1, 0));
    r.right_leak = max_abs_diff(softmax(scores(rnn_output), 0).select(1, 0), softmax(scores(changed), 0).select(1, 0));

    r.article_pooled_shape = sum(mul(rnn_output, article), {1}).shape();                       // (T, 2H)
    r.right_pooled_shape = sum(mul(rnn_output, softmax(scores(rnn_output), 0)), {0}).shape();  // (B, 2H)
    return r;
}

}  // namespace qkv::lesson04
