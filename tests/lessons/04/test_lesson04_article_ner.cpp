// Part 6 of lesson 04: the article's NERModel normalises over the batch. What the program prints
// is recomputed here from its definition, so the demonstration cannot claim a leak it did not
// measure.
#include <doctest/doctest.h>

#include <cmath>

#include "lessons/04_bahdanau_seq2seq/article_ner.hpp"

using namespace qkv;
using namespace qkv::lesson04;

TEST_SUITE("lesson04") {

TEST_CASE("the article's NERModel softmax(dim=1) sums to 1 over the batch, not over a sentence, and leaks across sentences") {
    for (std::uint64_t seed : {0ull, 1ull, 7ull}) {
        const NerSoftmax r = ner_softmax_over_batch(seed);
        INFO("seed " << seed);
        REQUIRE(r.article_sums_over_batch.numel() == r.T);
        for (const double s : r.article_sums_over_batch.to_vector<double>()) CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
        // Per sentence the T weights must sum to 1 for an attention over the sequence; over the
        // batch they sum to T / B on average, and here never to 1.
        double total = 0;
        for (const double s : r.article_sums_per_sentence.to_vector<double>()) {
            CHECK(std::abs(s - 1.0) > 0.05);
            total += s;
        }
        CHECK(total == doctest::Approx(static_cast<double>(r.T)));
        CHECK(r.article_leak > 1e-3);  // another sentence moved sentence 0's weights
        CHECK(r.right_leak == 0.0);    // over the sequence it cannot
        CHECK(r.article_pooled_shape == Shape{r.T, r.features});
        CHECK(r.right_pooled_shape == Shape{r.B, r.features});
    }
}

}  // TEST_SUITE
