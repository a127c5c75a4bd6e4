#include "nn/attention/recording.hpp"

namespace qkv::nn {

namespace {
// Per thread, as grad mode is: a plotting thread's recording does not reach a training thread.
thread_local bool recording = false;
}  // namespace

bool recording_attention() { return recording; }

Tensor recorded(const Var& weights) { return recording && weights.defined() ? weights.data() : Tensor(); }

RecordAttention::RecordAttention() : was_on_(recording) { recording = true; }
RecordAttention::~RecordAttention() { recording = was_on_; }

}  // namespace qkv::nn
