// Switches that change what ops record: no-grad mode and anomaly detection. Both are
// thread-local, so one thread evaluating a model without gradients does not affect another.
#pragma once

namespace qkv {

// While a NoGradGuard is alive (on this thread), ops build no graph: their results are plain
// constants. Use it for evaluation, and for optimizer updates on parameters.
class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};
bool grad_enabled();

// While an AnomalyMode is alive, every op checks its forward output, and backward() checks
// every gradient it computes, for NaN or Inf, and throws naming the first op that made one.
// Slow; for debugging.
class AnomalyMode {
public:
    explicit AnomalyMode(bool enabled = true);
    ~AnomalyMode();
    AnomalyMode(const AnomalyMode&) = delete;
    AnomalyMode& operator=(const AnomalyMode&) = delete;

private:
    bool previous_;
};
bool anomaly_enabled();

}  // namespace qkv
