// The lesson's experiments as functions, so the program and its outcome tests run the very
// same thing: the data each part draws from the seed, the models it builds, how it trains them.
#pragma once

#include "lessons/08_vision_and_local_attention/settings.hpp"
#include "lessons/08_vision_and_local_attention/shapes.hpp"

namespace qkv::lesson08 {

using StepCallback = std::function<void(std::int64_t, double)>;

// ---- part 1 ----
struct VisionData {
    ShapeImages train, heldout;  // generated apart, from two streams of the seed
};
VisionData make_vision_data(const LessonSettings& s, std::uint64_t seed);

class VisionModels {
    Generator init_;  // declared first: draws both models' initial weights, the ViT's first

public:
    VisionModels(const LessonSettings& s, std::uint64_t seed);
    nn::VisionTransformer vit;
    nn::BagOfPatches baseline;
};
TrainResult train_vit(VisionModels& m, const VisionData& d, const TrainOptions& o, const StepCallback& on_step = {});
TrainResult train_baseline(VisionModels& m, const VisionData& d, const TrainOptions& o,
                           const StepCallback& on_step = {});

// ---- part 2 ----
struct LongRangeData {
    MarkedSequences train, heldout;
};
LongRangeData make_long_range_data(const LessonSettings& s, std::uint64_t seed);

// The four models start from the same seed, so the parts they share start equal.
LongRangeClassifier make_long_range_model(AttentionKind kind, const LessonSettings& s, std::uint64_t seed);
TrainResult train_long_range(LongRangeClassifier& model, const LongRangeData& d, const TrainOptions& o,
                             const StepCallback& on_step = {});

}  // namespace qkv::lesson08
