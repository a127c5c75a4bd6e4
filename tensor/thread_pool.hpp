// A persistent pool of worker threads (std::thread), created on first use and reused by every
// parallel op. The thread count comes from the environment variable QKV_NUM_THREADS, else the
// number of hardware threads; set_num_threads() changes it at run time. A QKV_NUM_THREADS that
// is not a whole number from 1 to max_num_threads is ignored with a warning on stderr (the
// hardware count is used instead): a typo should not stop a training run.
//
// parallel_for splits [0, n) into contiguous chunks, one per thread, and blocks until all are
// done. Ops use it so that each output element is computed by exactly one task in a fixed
// order: the results never depend on the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace qkv {

inline constexpr int max_num_threads = 1024;

// The number of threads parallel_for uses, the calling thread included.
int num_threads();
// n from 1 to max_num_threads, else throws. Lowering the count leaves the extra workers asleep.
void set_num_threads(int n);

// Sets the thread count for a scope and restores the previous count when the scope ends, also
// when it ends by an exception (a test or benchmark that compares thread counts must not leave
// the rest of the program on its last setting):
//     { ThreadCountGuard one(1); run(); }  // num_threads() is back to what it was here
class ThreadCountGuard {
public:
    explicit ThreadCountGuard(int n) : previous_(num_threads()) { set_num_threads(n); }
    ~ThreadCountGuard() { set_num_threads(previous_); }
    ThreadCountGuard(const ThreadCountGuard&) = delete;
    ThreadCountGuard& operator=(const ThreadCountGuard&) = delete;

private:
    int previous_;
};

// Calls body(begin, end) on disjoint chunks covering [0, n) (nothing when n <= 0). Runs inline on the calling thread
// when n < 2 * min_per_thread or only one thread is set, so small problems pay no hand-off.
// Called from inside a chunk (on a worker or on the caller), it runs inline: no nested
// parallelism. If chunks throw, all chunks still finish, then the exception of the lowest
// chunk that threw is rethrown here (the lowest, not the earliest, so the error a user sees
// does not depend on timing).
void parallel_for(std::int64_t n, std::int64_t min_per_thread,
                  const std::function<void(std::int64_t begin, std::int64_t end)>& body);

// The thread count that QKV_NUM_THREADS=text asks for, or nullopt unless text is a whole
// number from 1 to max_num_threads (nothing else around it). Exposed for the tests.
std::optional<int> parse_num_threads(std::string_view text);

}  // namespace qkv
