// Learning-rate schedules: the learning rate as a function of the step.
//
// Convention (PyTorch's LambdaLR, and Hugging Face's get_*_schedule_with_warmup built on it):
// lr_at(step) is the learning rate of the update made after `step` updates, so step counts
// from 0: the first optimizer.step() uses lr_at(0). A Scheduler applies it:
//
//   Scheduler sched(optimizer, WarmupCosine(3e-4, 100, 1000));  // sets lr_at(0) now
//   for (...) { ...; optimizer.step(); sched.step(); }          // then lr_at(1), lr_at(2), ...
//
// Shapes of the schedules (peak = the largest lr, reached at step = warmup):
//   ConstantSchedule   ________
//   WarmupLinear       /\_                 up linearly, then straight down to final_lr
//   WarmupCosine       /~\_                up linearly, then half a cosine down to final_lr
//   InverseSqrt (Noam) /\.....             up linearly, then ~ 1/sqrt(step)
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "nn/optim/optimizer.hpp"

namespace qkv::nn {

class Schedule {
public:
    virtual ~Schedule() = default;
    // The learning rate after `step` updates (step >= 0, else throws).
    virtual double lr_at(std::int64_t step) const = 0;
};

class ConstantSchedule : public Schedule {
public:
    explicit ConstantSchedule(double lr);
    double lr_at(std::int64_t step) const override;

private:
    double lr_;
};

// The two warmup-then-decay schedules share everything but the decay's curve:
// step < warmup:           peak * step / warmup                      (0 at step 0)
// warmup <= step < total:  final + (peak - final) * remaining(step - warmup, total - warmup)
// step >= total:           final
// Needs 0 <= warmup <= total, total >= 1, 0 <= final_lr <= peak.
class WarmupDecay : public Schedule {
public:
    double lr_at(std::int64_t step) const override;

protected:
    WarmupDecay(const char* name, double peak_lr, std::int64_t warmup_steps, std::int64_t total_steps,
                double final_lr);
    // The fraction of (peak - final) left after `done` of the decay's `span` steps: 1 at done = 0,
    // falling towards 0 at done = span.
    virtual double remaining(std::int64_t done, std::int64_t span) const = 0;

private:
    const char* name_;  // for error messages
    double peak_, final_;
    std::int64_t warmup_, total_;
};

// Straight down: remaining = (span - done) / span. With final_lr = 0 this is Hugging Face's
// get_linear_schedule_with_warmup (BERT's schedule).
class WarmupLinear : public WarmupDecay {
public:
    WarmupLinear(double peak_lr, std::int64_t warmup_steps, std::int64_t total_steps, double final_lr = 0.0);

protected:
    double remaining(std::int64_t done, std::int64_t span) const override;
};

// Half a cosine: remaining = (1 + cos(pi * progress)) / 2, progress = done / span in [0, 1).
// Half-way through the decay (progress 1/2) the lr is (peak + final) / 2. After total it stays at
// final (Hugging Face's version would rise again).
class WarmupCosine : public WarmupDecay {
public:
    WarmupCosine(double peak_lr, std::int64_t warmup_steps, std::int64_t total_steps, double final_lr = 0.0);

protected:
    double remaining(std::int64_t done, std::int64_t span) const override;
};

// "Attention Is All You Need" (section 5.3), with a factor as in the Annotated Transformer:
//   lr = factor * d_model^-0.5 * min(s^-0.5, s * warmup^-1.5),   s = max(step, 1)
// Linear growth for s < warmup, then decay as 1/sqrt(s); the two meet at s = warmup, the peak
// factor / sqrt(d_model * warmup). The paper's step_num starts at 1; under our count from 0
// the first update would be s = 0, where the formula is 0 (and 0^-0.5 infinite), so step 0
// uses s = 1, as the Annotated Transformer does. Use it with the optimizer's lr as set here
// (the paper: Adam, betas (0.9, 0.98), eps 1e-9).
class InverseSqrt : public Schedule {
public:
    InverseSqrt(std::int64_t d_model, std::int64_t warmup_steps, double factor = 1.0);
    double lr_at(std::int64_t step) const override;

private:
    double d_model_, warmup_, factor_;
};

// Sets the optimizer's lr to schedule.lr_at(optimizer.step_count()): on construction, and
// at each step() (call it after optimizer.step()). It keeps no count of its own, so a run
// resumed from a checkpoint (which restores the optimizer's step count) continues its
// schedule where it stopped.
class Scheduler {
public:
    // Keeps its own copy of the schedule, and a reference to the optimizer (which must outlive it).
    template <class S>
    Scheduler(Optimizer& optimizer, S schedule)
        : optimizer_(optimizer), schedule_(std::make_shared<S>(std::move(schedule))) {
        static_assert(std::is_base_of_v<Schedule, S>, "Scheduler takes a Schedule (WarmupCosine, ...)");
        step();
    }
    void step() { optimizer_.set_lr(schedule_->lr_at(optimizer_.step_count())); }
    double lr() const { return optimizer_.lr(); }
    const Schedule& schedule() const { return *schedule_; }

private:
    Optimizer& optimizer_;
    std::shared_ptr<const Schedule> schedule_;
};

}  // namespace qkv::nn
