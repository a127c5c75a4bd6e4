// The thread pool: parallel_for covers [0, n) exactly once in contiguous chunks, really runs
// chunks at the same time, passes exceptions back, runs nested calls inline, and survives
// several callers at once; the thread count is validated.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tensor/error.hpp"
#include "tensor/thread_pool.hpp"

using namespace qkv;

namespace {

using Chunks = std::vector<std::pair<std::int64_t, std::int64_t>>;

// Runs parallel_for and returns the chunks it made, sorted, after checking that every index
// in [0, n) was visited exactly once.
Chunks run_and_collect(std::int64_t n, std::int64_t min_per_thread) {
    std::vector<std::atomic<int>> visits(static_cast<std::size_t>(n));
    std::mutex mutex;
    Chunks chunks;
    parallel_for(n, min_per_thread, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) visits[static_cast<std::size_t>(i)]++;
        const std::lock_guard lock(mutex);
        chunks.emplace_back(begin, end);
    });
    std::int64_t wrong = 0;
    for (const auto& v : visits) wrong += v.load() != 1;
    CHECK(wrong == 0);
    std::sort(chunks.begin(), chunks.end());
    return chunks;
}

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("parallel_for visits every index exactly once, in contiguous chunks of near-equal size") {
    for (int threads : {1, 2, 3, 4, 7}) {
        const ThreadCountGuard count(threads);
        for (std::int64_t n : {0, 1, 2, 3, 5, 17, 100, 1000, 4097}) {
            for (std::int64_t min_per_thread : {0, 1, 2, 3, 7, 64, 1000}) {
                INFO("threads ", threads, ", n ", n, ", min_per_thread ", min_per_thread);
                const Chunks chunks = run_and_collect(n, min_per_thread);
                // Expected number of chunks: one per thread, unless a thread's share would fall
                // under min_per_thread (0 counts as 1).
                const std::int64_t share = std::max<std::int64_t>(min_per_thread, 1);
                const std::int64_t expected =
                    n == 0 ? 0 : std::max<std::int64_t>(1, std::min<std::int64_t>(threads, n / share));
                CHECK(static_cast<std::int64_t>(chunks.size()) == expected);
                std::int64_t next = 0, smallest = n, largest = 0;
                for (const auto& [begin, end] : chunks) {
                    CHECK(begin == next);  // no gap, no overlap
                    CHECK(end > begin);
                    smallest = std::min(smallest, end - begin);
                    largest = std::max(largest, end - begin);
                    next = end;
                }
                CHECK(next == n);
                if (!chunks.empty()) CHECK(largest - smallest <= 1);
            }
        }
    }
}

TEST_CASE("parallel_for runs its chunks on different threads at the same time") {
    const ThreadCountGuard count(2);
    // Each chunk waits until the other has started: this only finishes in time if a worker
    // took the second chunk while the caller was still inside the first.
    std::atomic<int> started{0};
    std::atomic<bool> met{true};
    std::vector<std::thread::id> ids(2);
    parallel_for(2, 1, [&](std::int64_t begin, std::int64_t) {
        ids[static_cast<std::size_t>(begin)] = std::this_thread::get_id();
        started++;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (started.load() < 2) {
            if (std::chrono::steady_clock::now() > deadline) {
                met = false;
                return;
            }
            std::this_thread::yield();
        }
    });
    CHECK(met.load());
    CHECK(ids[0] != ids[1]);
}

TEST_CASE("parallel_for rethrows the exception of the lowest failing chunk after all chunks finish") {
    const ThreadCountGuard count(3);
    std::atomic<std::int64_t> done{0};
    // Every chunk but the first throws; the one starting lowest must be reported.
    CHECK_THROWS_WITH_AS(parallel_for(300, 1,
                                      [&](std::int64_t begin, std::int64_t end) {
                                          done += end - begin;
                                          if (begin > 0) fail("test", "chunk at ", begin);
                                      }),
                         "test: chunk at 100", qkv::Error);
    CHECK(done.load() == 300);
    // Other exception types pass through unchanged.
    CHECK_THROWS_AS(parallel_for(10, 1, [](std::int64_t, std::int64_t) { throw std::out_of_range("x"); }),
                    std::out_of_range);
    // Run inline (one thread), it still throws.
    CHECK_THROWS_WITH_AS(parallel_for(10, 100, [](std::int64_t, std::int64_t) { fail("test", "inline"); }),
                         "test: inline", qkv::Error);
    // The pool works normally afterwards.
    CHECK(run_and_collect(300, 1).size() == 3);
}

TEST_CASE("a parallel_for inside a chunk runs inline on that chunk's thread") {
    const ThreadCountGuard count(2);
    std::mutex mutex;
    std::vector<std::pair<std::int64_t, std::int64_t>> inner_chunks;
    std::atomic<int> visits{0}, inner_on_other_thread{0};
    parallel_for(4, 1, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const auto outer_thread = std::this_thread::get_id();
            parallel_for(100, 1, [&](std::int64_t b, std::int64_t e) {
                visits += static_cast<int>(e - b);
                if (std::this_thread::get_id() != outer_thread) inner_on_other_thread++;
                const std::lock_guard lock(mutex);
                inner_chunks.emplace_back(b, e);
            });
        }
    });
    CHECK(visits.load() == 400);
    CHECK(inner_on_other_thread.load() == 0);
    REQUIRE(inner_chunks.size() == 4);  // one whole-range chunk per inner call
    for (const auto& chunk : inner_chunks) CHECK(chunk == std::make_pair(std::int64_t{0}, std::int64_t{100}));
}

TEST_CASE("parallel_for can be called from several threads at once") {
    const ThreadCountGuard count(3);
    std::atomic<int> failures{0};
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) {
        callers.emplace_back([&failures, t] {
            for (int round = 0; round < 50; ++round) {
                const std::int64_t n = 50 + 37 * t + round;
                std::vector<std::atomic<int>> visits(static_cast<std::size_t>(n));
                parallel_for(n, 4, [&](std::int64_t begin, std::int64_t end) {
                    for (std::int64_t i = begin; i < end; ++i) visits[static_cast<std::size_t>(i)]++;
                });
                for (const auto& v : visits) failures += v.load() != 1;
            }
        });
    }
    for (auto& caller : callers) caller.join();
    CHECK(failures.load() == 0);
}

TEST_CASE("set_num_threads accepts 1 to max_num_threads and rejects the rest") {
    const ThreadCountGuard count(1);
    CHECK(num_threads() == 1);
    set_num_threads(5);
    CHECK(num_threads() == 5);
    CHECK_THROWS_WITH_AS(set_num_threads(0), "set_num_threads: expected a thread count from 1 to 1024, got 0",
                         qkv::Error);
    CHECK_THROWS_WITH_AS(set_num_threads(-3), doctest::Contains("got -3"), qkv::Error);
    CHECK_THROWS_WITH_AS(set_num_threads(max_num_threads + 1), doctest::Contains("got 1025"), qkv::Error);
    CHECK(num_threads() == 5);  // a rejected value changes nothing
}

TEST_CASE("ThreadCountGuard sets the count for its scope and restores it, also when the scope throws") {
    const ThreadCountGuard outer(3);
    {
        const ThreadCountGuard inner(2);
        CHECK(num_threads() == 2);
    }
    CHECK(num_threads() == 3);
    CHECK_THROWS_AS(([] {
                        const ThreadCountGuard inner(1);
                        throw std::runtime_error("leaving the scope early");
                    }()),
                    std::runtime_error);
    CHECK(num_threads() == 3);
    // A count set_num_threads refuses throws from the constructor and leaves the count alone.
    CHECK_THROWS_AS(ThreadCountGuard(0), qkv::Error);
    CHECK(num_threads() == 3);
}

TEST_CASE("QKV_NUM_THREADS must be a plain whole number from 1 to max_num_threads") {
    CHECK(parse_num_threads("1") == 1);
    CHECK(parse_num_threads("4") == 4);
    CHECK(parse_num_threads("1024") == 1024);
    for (const char* bad : {"", "0", "-2", "1025", "99999999999999", "abc", "4x", " 4", "4 ", "2.5", "+3"}) {
        INFO("QKV_NUM_THREADS=\"", bad, "\"");
        CHECK_FALSE(parse_num_threads(bad).has_value());
    }
}

}  // TEST_SUITE
