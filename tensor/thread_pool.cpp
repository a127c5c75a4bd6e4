// The thread pool behind parallel_for.
//
// A parallel_for call becomes a Job: [0, n) cut into `chunks` fixed pieces. The caller hands
// chunks - 1 "tickets" for the job to the workers, then claims chunks itself, one at a time from
// an atomic counter, exactly as the workers do. Whoever is free takes the next chunk, so the job
// finishes even if no worker wakes up in time (or none could be started); which thread runs a
// chunk varies, but the chunks themselves depend only on n and the thread count.
//
// Synchronisation, for the reader checking it for races:
//   - Pool::mutex_ guards the ticket queue, the worker list and the stop flag; workers sleep on
//     Pool::wake_ until a ticket or the stop flag appears. Before sleeping a worker polls the
//     atomic copies queued_ and stopping_flag_ for spin_time; they are only hints (what it
//     then reads is read under the mutex), so a stale value costs a wait, never a wrong job.
//   - Job::next (atomic) hands out each chunk index exactly once.
//   - Job::mutex guards `finished` and the saved exception; the caller sleeps on Job::all_done
//     until finished == chunks (after polling its atomic copy for spin_time). Each chunk's writes happen-before its ++finished under the
//     mutex, which happens-before the caller's wake-up: the caller sees every chunk's results.
//   - A Job is shared (shared_ptr) with every ticket, so a worker that pops a ticket late, after
//     the caller has returned, finds no chunk left and touches nothing but the Job itself.
#include "tensor/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <iostream>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "tensor/error.hpp"

namespace qkv {

std::optional<int> parse_num_threads(std::string_view text) {
    int n = 0;
    const char* end = text.data() + text.size();
    const auto [stop, err] = std::from_chars(text.data(), end, n);
    if (err != std::errc() || stop != end || n < 1 || n > max_num_threads) return std::nullopt;
    return n;
}

namespace {

using Body = std::function<void(std::int64_t, std::int64_t)>;

// True on pool workers, and on a caller while it runs chunks of its own parallel_for: a
// parallel_for started there runs inline rather than waiting on threads that are busy with the
// enclosing one.
thread_local bool t_inside_parallel_for = false;

class InsideParallelFor {
public:
    InsideParallelFor() : was_(std::exchange(t_inside_parallel_for, true)) {}
    ~InsideParallelFor() { t_inside_parallel_for = was_; }
    InsideParallelFor(const InsideParallelFor&) = delete;
    InsideParallelFor& operator=(const InsideParallelFor&) = delete;

private:
    bool was_;
};

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();  // 0 when unknown
    return std::clamp(static_cast<int>(n), 1, max_num_threads);
}

int threads_from_environment() {
    const char* text = std::getenv("QKV_NUM_THREADS");
    if (text == nullptr || *text == '\0') return hardware_threads();
    if (const auto n = parse_num_threads(text)) return *n;
    std::cerr << "qkv: warning: ignoring QKV_NUM_THREADS=\"" << text << "\" (expected a whole number from 1 to "
              << max_num_threads << "); using " << hardware_threads() << " threads\n";
    return hardware_threads();
}

// The current thread count; read from the environment on first use.
std::atomic<int>& thread_setting() {
    static std::atomic<int> n{threads_from_environment()};
    return n;
}

// How long a thread that has run out of work polls for more before it goes to sleep. Waking a
// sleeping thread takes the kernel tens of microseconds, as long as a whole parallel op on a
// small tensor, and ops come one after another: a worker that polls briefly is there for the
// next one. Short enough that an idle program's threads are asleep almost at once.
constexpr std::chrono::microseconds spin_time{100};

// Polls ready() until it is true or spin_time has passed; returns its last value. Yielding
// between polls leaves the core to other programs when the machine is busy.
template <class Ready> bool spin_until(Ready ready) {
    const auto deadline = std::chrono::steady_clock::now() + spin_time;
    while (!ready()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// One parallel_for call.
class Job {
public:
    Job(const Body& body, std::int64_t n, std::int64_t chunks) : body_(&body), n_(n), chunks_(chunks) {}

    std::int64_t chunks() const { return chunks_; }

    // Claims and runs chunks until none is left.
    void work() {
        for (std::int64_t c = next_.fetch_add(1); c < chunks_; c = next_.fetch_add(1)) {
            std::exception_ptr thrown;
            try {
                (*body_)(chunk_begin(c), chunk_begin(c + 1));
            } catch (...) {
                thrown = std::current_exception();
            }
            const std::lock_guard lock(mutex_);
            if (thrown && (error_chunk_ < 0 || c < error_chunk_)) {
                error_ = thrown;
                error_chunk_ = c;
            }
            // Notify while holding the mutex: the caller cannot wake, return and destroy its
            // stack before this thread is done with the condition variable.
            finished_count_.store(++finished_, std::memory_order_release);
            if (finished_ == chunks_) all_done_.notify_all();
        }
    }

    // Blocks until every chunk has finished, then rethrows the lowest failing chunk's exception.
    // Spins for a moment first: the other chunks usually end within microseconds of the
    // caller's, sooner than a sleeping thread can be woken.
    void wait() {
        spin_until([&] { return finished_count_.load(std::memory_order_acquire) == chunks_; });
        std::unique_lock lock(mutex_);
        all_done_.wait(lock, [&] { return finished_ == chunks_; });
        if (error_) std::rethrow_exception(error_);
    }

private:
    // Chunk c is [chunk_begin(c), chunk_begin(c + 1)): n / chunks elements each, and the first
    // n % chunks chunks one more.
    std::int64_t chunk_begin(std::int64_t c) const {
        const std::int64_t base = n_ / chunks_, extra = n_ % chunks_;
        return c * base + std::min(c, extra);
    }

    const Body* body_;  // lives on the caller's stack; only used for claimed chunks
    std::int64_t n_, chunks_;
    std::atomic<std::int64_t> next_{0};
    std::mutex mutex_;
    std::condition_variable all_done_;
    std::int64_t finished_ = 0;      // guarded by mutex_
    std::atomic<std::int64_t> finished_count_{0};  // a copy of finished_, for spinning on
    std::int64_t error_chunk_ = -1;  // guarded by mutex_
    std::exception_ptr error_;       // guarded by mutex_
};

class Pool {
public:
    Pool() = default;
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Runs at exit: wakes every worker with the stop flag and joins it. Tickets still queued
    // are dropped; their callers run the chunks themselves.
    ~Pool() {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
            stopping_flag_ = true;
        }
        wake_.notify_all();
        for (auto& worker : workers_) {
            if (worker.get_id() == std::this_thread::get_id()) worker.detach();  // exit() called from a chunk
            else worker.join();
        }
    }

    void run(const std::shared_ptr<Job>& job) {
        const std::int64_t helpers = job->chunks() - 1;
        {
            const std::lock_guard lock(mutex_);
            start_workers(helpers);
            for (std::int64_t i = 0; i < helpers; ++i) tickets_.push_back(job);
            queued_.store(static_cast<std::int64_t>(tickets_.size()), std::memory_order_release);
        }
        for (std::int64_t i = 0; i < helpers; ++i) wake_.notify_one();
        {
            const InsideParallelFor inside;
            job->work();
        }
        job->wait();
    }

private:
    // Grows the pool to at least `count` workers (mutex_ held). If the system refuses a thread
    // we carry on with fewer: the caller runs whatever chunks no worker takes.
    void start_workers(std::int64_t count) {
        while (static_cast<std::int64_t>(workers_.size()) < count) {
            try {
                workers_.emplace_back([this] { worker_loop(); });
            } catch (const std::system_error&) {
                return;
            }
        }
    }

    void worker_loop() {
        t_inside_parallel_for = true;
        while (true) {
            spin_until([&] { return queued_.load(std::memory_order_acquire) > 0 || stopping_flag_.load(); });
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !tickets_.empty(); });
            if (stopping_) return;
            std::shared_ptr<Job> job = std::move(tickets_.front());
            tickets_.pop_front();
            queued_.store(static_cast<std::int64_t>(tickets_.size()), std::memory_order_release);
            lock.unlock();
            job->work();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::shared_ptr<Job>> tickets_;  // guarded by mutex_
    std::vector<std::thread> workers_;          // guarded by mutex_
    bool stopping_ = false;                     // guarded by mutex_
    // Copies of tickets_.size() and stopping_ that spinning workers poll without the mutex.
    std::atomic<std::int64_t> queued_{0};
    std::atomic<bool> stopping_flag_{false};
};

Pool& pool() {
    static Pool instance;
    return instance;
}

}  // namespace

int num_threads() { return thread_setting().load(); }

void set_num_threads(int n) {
    if (n < 1 || n > max_num_threads)
        fail("set_num_threads", "expected a thread count from 1 to ", max_num_threads, ", got ", n);
    thread_setting().store(n);
}

void parallel_for(std::int64_t n, std::int64_t min_per_thread, const Body& body) {
    if (n <= 0) return;
    const std::int64_t chunks = std::min<std::int64_t>(num_threads(), n / std::max<std::int64_t>(min_per_thread, 1));
    if (chunks < 2 || t_inside_parallel_for) {
        body(0, n);
        return;
    }
    pool().run(std::make_shared<Job>(body, n, chunks));
}

}  // namespace qkv
