// Lesson 08's pass criteria at the documented budget and default seed (0), run by the very
// functions the program runs (experiments.hpp), so these are the README's numbers.
#include <doctest/doctest.h>

#include "lessons/08_vision_and_local_attention/experiments.hpp"

using namespace qkv;
using namespace qkv::lesson08;

TEST_SUITE("lesson08_slow") {

TEST_CASE("lesson08 slow: the ViT reaches >= 0.95 held-out accuracy on 1000 images, beside its baseline") {
    const LessonSettings s;
    const VisionData data = make_vision_data(s, 0);
    VisionModels m(s, 0);
    const TrainResult vit = train_vit(m, data, s.vit_train);
    const TrainResult base = train_baseline(m, data, s.baseline_train);
    MESSAGE("ViT " << vit.heldout_accuracy << ", bag of patches " << base.heldout_accuracy);
    CHECK(data.heldout.labels.size(0) >= 1000);
    CHECK(vit.heldout_accuracy >= 0.95);
    CHECK(base.heldout_accuracy < vit.heldout_accuracy);
}

TEST_CASE("lesson08 slow: global >= 0.95, local (w = 2) < 0.60, both combinations >= 0.90") {
    const LessonSettings s;
    const LongRangeData data = make_long_range_data(s, 0);
    double acc[4] = {0, 0, 0, 0};
    const AttentionKind kinds[4] = {AttentionKind::Global, AttentionKind::Local, AttentionKind::GlobalLocal,
                                    AttentionKind::LocalGlobalTokens};
    for (int k = 0; k < 4; ++k) {
        LongRangeClassifier model = make_long_range_model(kinds[k], s, 0);
        acc[k] = train_long_range(model, data, s.long_train).heldout_accuracy;
        MESSAGE(std::string(kind_name(kinds[k])) << " " << acc[k]);
    }
    CHECK(data.heldout.labels.size(0) >= 1000);
    CHECK(acc[0] >= 0.95);
    CHECK(acc[1] < 0.60);
    CHECK(acc[2] >= 0.90);
    CHECK(acc[3] >= 0.90);
}

}  // TEST_SUITE
