#include "lessons/08_vision_and_local_attention/experiments.hpp"

namespace qkv::lesson08 {

VisionData make_vision_data(const LessonSettings& s, std::uint64_t seed) {
    return {make_shape_images(s.train_images, seed * 1000 + 1), make_shape_images(s.heldout_images, seed * 1000 + 2)};
}

VisionModels::VisionModels(const LessonSettings& s, std::uint64_t seed)
    : init_(seed), vit(s.vit, init_), baseline(s.vit, init_) {}

TrainResult train_vit(VisionModels& m, const VisionData& d, const TrainOptions& o, const StepCallback& on_step) {
    return train_classifier(m.vit, [&](const Tensor& x) { return m.vit.forward(Var(x)); }, d.train.images, d.train.labels,
                            d.heldout.images, d.heldout.labels, o, on_step);
}

TrainResult train_baseline(VisionModels& m, const VisionData& d, const TrainOptions& o, const StepCallback& on_step) {
    return train_classifier(m.baseline, [&](const Tensor& x) { return m.baseline.forward(Var(x)); }, d.train.images,
                            d.train.labels, d.heldout.images, d.heldout.labels, o, on_step);
}

LongRangeData make_long_range_data(const LessonSettings& s, std::uint64_t seed) {
    return {make_marked_sequences(s.train_sequences, seed * 1000 + 3, s.long_range),
            make_marked_sequences(s.heldout_sequences, seed * 1000 + 4, s.long_range)};
}

LongRangeClassifier make_long_range_model(AttentionKind kind, const LessonSettings& s, std::uint64_t seed) {
    Generator gen(seed + 10);
    return LongRangeClassifier(kind, s.long_range, gen);
}

TrainResult train_long_range(LongRangeClassifier& model, const LongRangeData& d, const TrainOptions& o,
                             const StepCallback& on_step) {
    return train_classifier(model, [&](const Tensor& x) { return model.forward(x); }, d.train.ids, d.train.labels,
                            d.heldout.ids, d.heldout.labels, o, on_step);
}

}  // namespace qkv::lesson08
