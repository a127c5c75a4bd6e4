// The cache of freed large blocks behind Storage.
//
// Blocks under min_cached_bytes go straight to operator new/delete: malloc already recycles
// small blocks well. Larger ones are kept, on release, in a list per rounded size (a multiple
// of 4 KB, so that shapes differing by a few elements share a size); allocate takes a cached
// block of the same rounded size when there is one. In a training loop every step asks for the
// sizes the last step released, so after the first step large tensors cost no system call and
// no page fault.
//
// How much it keeps: a cached block is memory the process holds but does not use, so the cache
// is bounded by what the process actually reuses. It never holds more than the working set
// (the most bytes of large blocks ever in use at once, `peak_live`): a training step that
// needed W bytes of activations can be served again from W cached bytes, and a block beyond
// that could only serve a size the step does not ask for (attention over a longer batch, an
// evaluation pass). Past the bound the oldest cached blocks are freed, so sizes that stop
// being asked for leave first. The resident memory of the tensors is then at most twice the
// working set. QKV_CACHE_MB caps it further (default 256 MB); QKV_CACHE_MB=0 turns the cache
// off.
//
// Under AddressSanitizer the cache is off: a recycled block would hide a use after free.
#include "tensor/storage.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <string>

namespace qkv::storage_cache {
namespace {

#if defined(QKV_ASAN)
constexpr bool enabled = false;
#else
constexpr bool enabled = true;
#endif
constexpr std::size_t min_cached_bytes = std::size_t{1} << 16;    // 64 KB
constexpr std::size_t default_max_bytes = std::size_t{256} << 20;  // 256 MB
constexpr std::size_t page = 4096;
constexpr std::align_val_t alignment{Storage::alignment};

std::size_t rounded(std::size_t nbytes) { return (nbytes + page - 1) / page * page; }

// QKV_CACHE_MB as bytes: a whole number of megabytes, or the default when unset or unreadable.
std::size_t max_bytes_from_environment() {
    const char* text = std::getenv("QKV_CACHE_MB");
    if (!text || !*text) return default_max_bytes;
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(text, &end, 10);
    if (*end != '\0' || text[0] == '-' || mb > (std::size_t{1} << 20)) {
        // Said once, when the cache is first used: a typo should not silently keep 256 MB.
        std::fprintf(stderr, "qkv: QKV_CACHE_MB=%s is not a whole number of megabytes from 0 to 1048576; "
                             "the storage cache keeps its default maximum of %zu MB\n",
                     text, default_max_bytes >> 20);
        return default_max_bytes;
    }
    return static_cast<std::size_t>(mb) << 20;
}

struct Cache {
    std::mutex mutex;
    std::multimap<std::size_t, std::byte*> free_blocks;            // rounded size -> block
    std::deque<std::pair<std::size_t, std::byte*>> release_order;  // oldest first
    std::size_t bytes = 0;                                          // held in free_blocks
    std::size_t live = 0, peak_live = 0;  // bytes of large blocks in use, now and at most
    std::size_t max_bytes = max_bytes_from_environment();

    std::size_t limit() const { return std::min(max_bytes, peak_live); }

    // Removes one (size, block) entry from release_order (mutex held).
    void forget(std::size_t size, std::byte* block) {
        for (auto it = release_order.begin(); it != release_order.end(); ++it)
            if (it->second == block) {
                release_order.erase(it);
                break;
            }
        bytes -= size;
    }

    // Takes the oldest blocks out until the cache is within its limit (mutex held); the caller
    // frees them outside the lock.
    void evict_to_limit(std::deque<std::byte*>& evicted) {
        while (bytes > limit()) {
            const auto [old_size, old_block] = release_order.front();
            release_order.pop_front();
            bytes -= old_size;
            for (auto it = free_blocks.lower_bound(old_size); it != free_blocks.end(); ++it)
                if (it->second == old_block) {
                    free_blocks.erase(it);
                    break;
                }
            evicted.push_back(old_block);
        }
    }
};

Cache& cache() {
    static Cache* instance = new Cache;  // never destroyed: Storages may die after main returns
    return *instance;
}

void free_all(const std::deque<std::byte*>& blocks) {
    for (std::byte* block : blocks) ::operator delete(block, alignment);
}

// storage_use's counters. Relaxed order is enough: each is one atomic value, and a reader on
// another thread only asks for a figure, not for ordering with other memory.
std::atomic<std::size_t> live_storage{0}, peak_storage{0};

void count_allocated(std::size_t nbytes) {
    const std::size_t now = live_storage.fetch_add(nbytes, std::memory_order_relaxed) + nbytes;
    std::size_t peak = peak_storage.load(std::memory_order_relaxed);
    while (now > peak && !peak_storage.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
}

// A block for allocate(): a cached one of the same rounded size, or a new one.
std::byte* take_block(std::size_t nbytes) {
    if (!enabled || nbytes < min_cached_bytes)
        return static_cast<std::byte*>(::operator new(nbytes ? nbytes : 1, alignment));
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
    {
        const std::lock_guard lock(c.mutex);
        c.live += size;
        c.peak_live = std::max(c.peak_live, c.live);
        if (const auto it = c.free_blocks.find(size); it != c.free_blocks.end()) {
            std::byte* block = it->second;
            c.free_blocks.erase(it);
            c.forget(size, block);
            return block;
        }
    }
    try {
        return static_cast<std::byte*>(::operator new(size, alignment));
    } catch (...) {  // bad_alloc: the block was never in use, and release() will not be called
        const std::lock_guard lock(c.mutex);
        c.live -= size;
        throw;
    }
}

}  // namespace

std::byte* allocate(std::size_t nbytes) {
    std::byte* block = take_block(nbytes);
    count_allocated(nbytes);  // only once the block exists: a bad_alloc leaves the counts as they were
    return block;
}

void release(std::byte* bytes, std::size_t nbytes) {
    live_storage.fetch_sub(nbytes, std::memory_order_relaxed);
    if (!enabled || nbytes < min_cached_bytes) {
        ::operator delete(bytes, alignment);
        return;
    }
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
    std::deque<std::byte*> evicted;
    {
        const std::lock_guard lock(c.mutex);
        c.live -= size;
        if (c.limit() >= size) {
            c.free_blocks.emplace(size, bytes);
            c.release_order.emplace_back(size, bytes);
            c.bytes += size;
            c.evict_to_limit(evicted);
        } else {
            evicted.push_back(bytes);  // larger than the whole cache may be
        }
    }
    free_all(evicted);  // outside the lock
}

std::size_t cached_bytes() {
    Cache& c = cache();
    const std::lock_guard lock(c.mutex);
    return c.bytes;
}

std::size_t limit_bytes() {
    Cache& c = cache();
    const std::lock_guard lock(c.mutex);
    return enabled ? c.limit() : 0;
}

void set_max_bytes(std::size_t max_bytes) {
    Cache& c = cache();
    std::deque<std::byte*> evicted;
    {
        const std::lock_guard lock(c.mutex);
        c.max_bytes = max_bytes;
        c.evict_to_limit(evicted);
    }
    free_all(evicted);
}

void clear() {
    Cache& c = cache();
    std::multimap<std::size_t, std::byte*> blocks;
    {
        const std::lock_guard lock(c.mutex);
        blocks.swap(c.free_blocks);
        c.release_order.clear();
        c.bytes = 0;
    }
    for (const auto& [size, block] : blocks) ::operator delete(block, alignment);
}

}  // namespace qkv::storage_cache

namespace qkv::storage_use {

std::size_t live_bytes() { return storage_cache::live_storage.load(std::memory_order_relaxed); }
std::size_t peak_bytes() { return storage_cache::peak_storage.load(std::memory_order_relaxed); }
void reset_peak() { storage_cache::peak_storage.store(live_bytes(), std::memory_order_relaxed); }

}  // namespace qkv::storage_use
