// Lesson 07's --quick pre-training, pinned to the bits recorded on x86-64 with FMA: the same on
// AVX2 and AVX-512 machines (see tests/trajectory_hash.hpp).
#include <doctest/doctest.h>

#include "lessons/07_tiny_bert/pretrain.hpp"
#include "lessons/07_tiny_bert/settings.hpp"
#include "trajectory_hash.hpp"

using namespace qkv;
using namespace qkv::lesson07;

TEST_CASE("lesson07 --quick pre-training losses match the hash recorded for x86-64 with FMA") {
    if (!test::recorded_numbers_apply) {
        MESSAGE(test::recorded_numbers_skip_reason);
        return;
    }
    const LessonSettings s = LessonSettings::quick();  // what `lesson07 --quick` runs, seed 0
    const LessonData data = make_lesson_data(0, s.train_docs, s.heldout_docs, s.vocab_size);
    nn::BertForPreTraining model = make_tiny_bert(data.tokenizer.vocab().size(), 0);
    const PretrainCurves curves = pretrain(model, data, s.pretrain);
    std::vector<double> numbers = curves.mlm_loss;
    numbers.insert(numbers.end(), curves.nsp_loss.begin(), curves.nsp_loss.end());
    const PretrainMetrics m = evaluate_pretraining(model, data, make_heldout_pairs(data, s.heldout_pairs, 0));
    numbers.push_back(m.mlm_loss);
    numbers.push_back(m.mlm_accuracy);
    numbers.push_back(m.nsp_accuracy);
    const std::string hash = test::hex(test::hash_bits(numbers));
    MESSAGE("lesson07 --quick: MLM loss at the last step " << curves.mlm_loss.back() << ", trajectory hash " << hash);
    CHECK(hash == "585bbb739a23d06f");  // re-recorded when --quick became 100 steps of 64 pairs
}
