// Lesson 07's pre-training stopped after k steps and resumed from its checkpoint ends with
// exactly the numbers of a run that was never stopped (issue 20).
#include <doctest/doctest.h>

#include <string>

#include "lessons/07_tiny_bert/pretrain.hpp"
#include "nn/state_dict.hpp"
#include "temp_dir.hpp"
#include "tensor/print.hpp"

using namespace qkv;
using namespace qkv::lesson07;

TEST_SUITE("lesson07") {

TEST_CASE("lesson07 pre-training resumes from a checkpoint to exactly the numbers of an uninterrupted run") {
    qkv::testing::TempDir dir;
    const LessonData data = make_lesson_data(3, 60, 30, 200);
    PretrainOptions o;
    o.steps = 10;
    o.batch_size = 8;
    nn::BertForPreTraining full = make_tiny_bert(data.tokenizer.vocab().size(), 7);
    const PretrainCurves full_curves = pretrain(full, data, o);

    PretrainOptions first = o;
    first.checkpoint = {dir.file("ck.safetensors"), 3, false, 4};  // saves at 3, stops after 4
    nn::BertForPreTraining stopped = make_tiny_bert(data.tokenizer.vocab().size(), 7);
    REQUIRE(pretrain(stopped, data, first).mlm_loss.size() == 4);

    // A fresh process would build the model from the seed again; the checkpoint overwrites it.
    PretrainOptions second = o;
    second.checkpoint = {dir.file("ck.safetensors"), 3, true, 0};
    nn::BertForPreTraining resumed = make_tiny_bert(data.tokenizer.vocab().size(), 99);
    const PretrainCurves resumed_curves = pretrain(resumed, data, second);
    CHECK(resumed_curves.mlm_loss == full_curves.mlm_loss);
    CHECK(resumed_curves.nsp_loss == full_curves.nsp_loss);
    CHECK(resumed_curves.steps == full_curves.steps);
    const TensorMap a = nn::state_dict(full), b = nn::state_dict(resumed);
    REQUIRE(a.size() == b.size());
    for (const auto& entry : a) {  // not a structured binding: Clang 14 cannot capture one, as INFO does
        const std::string& name = entry.first;
        INFO(name);
        CHECK(equal(entry.second, b.at(name)));
    }
}

}  // TEST_SUITE
