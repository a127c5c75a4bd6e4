// The pieces of qkv-bench, one file per concern, and the timing helpers they share.
//
// Every figure is a median over repeated runs after a warm-up: the median ignores the odd run
// slowed by another process, which matters on a laptop where the benchmark shares the cores.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor/json.hpp"

namespace qkv::bench {

// Seconds taken by one call of f.
template <class F> double seconds(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The median of `runs` timings of f, after `warmup` untimed calls.
template <class F> double median_seconds(int warmup, int runs, F&& f) {
    for (int i = 0; i < warmup; ++i) f();
    std::vector<double> t;
    for (int i = 0; i < runs; ++i) t.push_back(seconds(f));
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

// Repeats f until `budget` seconds have passed (at least 3 times) and returns the median time
// per call: quick calls get many repeats, slow ones few.
template <class F> double median_seconds_within(double budget, F&& f) {
    f();  // warm-up: first-touch page faults, scratch buffers, the thread pool's start
    std::vector<double> t;
    double total = 0;
    while (t.size() < 3 || (total < budget && t.size() < 1000)) {
        t.push_back(seconds(f));
        total += t.back();
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

// Like median_seconds_within, but returns the fastest and the median time per call.
struct Timing {
    double best, median;
};
template <class F> Timing timing_within(double budget, F&& f) {
    f();
    std::vector<double> t;
    double total = 0;
    while (t.size() < 3 || (total < budget && t.size() < 1000)) {
        t.push_back(seconds(f));
        total += t.back();
    }
    std::sort(t.begin(), t.end());
    return {t.front(), t[t.size() / 2]};
}

// Each measurement fills its part of the report: `json` under the key, and rows of the
// printed table.
struct Report {
    Json json = Json::object();
    std::vector<std::string> lines;
};

void measure_fma_peak(Report& report);                 // peak.cpp
void measure_sgemm(Report& report, bool quick);        // sgemm.cpp
void measure_kernels(Report& report, bool quick);      // kernels.cpp
void measure_attention(Report& report, bool quick);    // attention.cpp
void measure_train_steps(Report& report, bool quick);  // train_steps.cpp
void measure_peak_rss(Report& report);                 // rss.cpp
void measure_memory_efficient(Report& report, bool quick);  // memory_efficient.cpp
void measure_kv_cache(Report& report, bool quick);          // memory_efficient.cpp

// A figure of /proc/self/status (VmRSS:, VmHWM:) in MB, 0 where there is no /proc; and a reset
// of the high-water mark VmHWM to the current resident memory, after malloc has handed back what
// it kept, so that a part can measure its own peak (rss.cpp).
double proc_status_mb(const char* key);
void reset_peak_rss();

}  // namespace qkv::bench
