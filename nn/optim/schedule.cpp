#include "nn/optim/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace qkv::nn {
namespace {

void check_step(const char* op, std::int64_t step) {
    if (step < 0) fail(op, "step must be >= 0, got ", step);
}

void check_lr(const char* op, const char* what, double lr) {
    if (!(lr >= 0.0 && std::isfinite(lr))) fail(op, what, " must be a finite number >= 0, got ", lr);
}

double ratio(std::int64_t a, std::int64_t b) { return static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

ConstantSchedule::ConstantSchedule(double lr) : lr_(lr) { check_lr("ConstantSchedule", "lr", lr); }

double ConstantSchedule::lr_at(std::int64_t step) const {
    check_step("ConstantSchedule", step);
    return lr_;
}

WarmupDecay::WarmupDecay(const char* name, double peak_lr, std::int64_t warmup_steps, std::int64_t total_steps,
                         double final_lr)
    : name_(name), peak_(peak_lr), final_(final_lr), warmup_(warmup_steps), total_(total_steps) {
    check_lr(name, "peak_lr", peak_lr);
    check_lr(name, "final_lr", final_lr);
    if (final_lr > peak_lr) fail(name, "final_lr ", final_lr, " is above peak_lr ", peak_lr);
    if (total_steps < 1) fail(name, "total_steps must be >= 1, got ", total_steps);
    if (warmup_steps < 0 || warmup_steps > total_steps)
        fail(name, "warmup_steps must be in [0, total_steps = ", total_steps, "], got ", warmup_steps);
}

double WarmupDecay::lr_at(std::int64_t step) const {
    check_step(name_, step);
    if (step < warmup_) return peak_ * ratio(step, warmup_);
    if (step >= total_) return final_;
    return final_ + (peak_ - final_) * remaining(step - warmup_, total_ - warmup_);
}

WarmupLinear::WarmupLinear(double peak_lr, std::int64_t warmup_steps, std::int64_t total_steps, double final_lr)
    : WarmupDecay("WarmupLinear", peak_lr, warmup_steps, total_steps, final_lr) {}

double WarmupLinear::remaining(std::int64_t done, std::int64_t span) const { return ratio(span - done, span); }

WarmupCosine::WarmupCosine(double peak_lr, std::int64_t warmup_steps, std::int64_t total_steps, double final_lr)
    : WarmupDecay("WarmupCosine", peak_lr, warmup_steps, total_steps, final_lr) {}

double WarmupCosine::remaining(std::int64_t done, std::int64_t span) const {
    return 0.5 * (1.0 + std::cos(std::numbers::pi * ratio(done, span)));
}

InverseSqrt::InverseSqrt(std::int64_t d_model, std::int64_t warmup_steps, double factor)
    : d_model_(static_cast<double>(d_model)), warmup_(static_cast<double>(warmup_steps)), factor_(factor) {
    if (d_model < 1) fail("InverseSqrt", "d_model must be >= 1, got ", d_model);
    if (warmup_steps < 1) fail("InverseSqrt", "warmup_steps must be >= 1, got ", warmup_steps);
    check_lr("InverseSqrt", "factor", factor);
}

double InverseSqrt::lr_at(std::int64_t step) const {
    check_step("InverseSqrt", step);
    const double s = static_cast<double>(std::max<std::int64_t>(step, 1));
    return factor_ * std::pow(d_model_, -0.5) * std::min(std::pow(s, -0.5), s * std::pow(warmup_, -1.5));
}

}  // namespace qkv::nn
