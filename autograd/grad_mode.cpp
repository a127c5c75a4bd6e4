#include "autograd/grad_mode.hpp"

namespace qkv {
namespace {
thread_local bool g_grad_enabled = true;
thread_local bool g_anomaly = false;
}  // namespace

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }
bool grad_enabled() { return g_grad_enabled; }

AnomalyMode::AnomalyMode(bool enabled) : previous_(g_anomaly) { g_anomaly = enabled; }
AnomalyMode::~AnomalyMode() { g_anomaly = previous_; }
bool anomaly_enabled() { return g_anomaly; }

}  // namespace qkv
