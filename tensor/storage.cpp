// The cache of freed large blocks behind Storage.
//
// Blocks under min_cached_bytes go straight to operator new/delete: malloc already recycles
// small blocks well. Larger ones are kept, on release, in a list per rounded size (a multiple
// of 4 KB, so that shapes differing by a few elements share a size), up to max_cached_bytes in
// all; past that the oldest cached blocks are freed. allocate takes a cached block of the same
// rounded size when there is one. In a training loop every step asks for the sizes the last
// step released, so after the first step large tensors cost no system call and no page fault.
//
// Under AddressSanitizer the cache is off: a recycled block would hide a use after free.
#include "tensor/storage.hpp"

#include <deque>
#include <map>
#include <mutex>
#include <new>

namespace qkv::storage_cache {
namespace {

#if defined(QKV_ASAN)
constexpr bool enabled = false;
#else
constexpr bool enabled = true;
#endif
constexpr std::size_t min_cached_bytes = std::size_t{1} << 16;  // 64 KB
constexpr std::size_t max_cached_bytes = std::size_t{1} << 30;  // 1 GB
constexpr std::size_t page = 4096;
constexpr std::align_val_t alignment{Storage::alignment};

std::size_t rounded(std::size_t nbytes) { return (nbytes + page - 1) / page * page; }

struct Cache {
    std::mutex mutex;
    std::multimap<std::size_t, std::byte*> free_blocks;                   // rounded size -> block
    std::deque<std::pair<std::size_t, std::byte*>> release_order;  // oldest first
    std::size_t bytes = 0;

    // Removes one (size, block) entry from release_order (mutex held).
    void forget(std::size_t size, std::byte* block) {
        for (auto it = release_order.begin(); it != release_order.end(); ++it)
            if (it->second == block) {
                release_order.erase(it);
                break;
            }
        bytes -= size;
    }
};

Cache& cache() {
    static Cache* instance = new Cache;  // never destroyed: Storages may die after main returns
    return *instance;
}

}  // namespace

std::byte* allocate(std::size_t nbytes) {
    if (!enabled || nbytes < min_cached_bytes)
        return static_cast<std::byte*>(::operator new(nbytes ? nbytes : 1, alignment));
    const std::size_t size = rounded(nbytes);
    {
        Cache& c = cache();
        const std::lock_guard lock(c.mutex);
        if (const auto it = c.free_blocks.find(size); it != c.free_blocks.end()) {
            std::byte* block = it->second;
            c.free_blocks.erase(it);
            c.forget(size, block);
            return block;
        }
    }
    return static_cast<std::byte*>(::operator new(size, alignment));
}

void release(std::byte* bytes, std::size_t nbytes) {
    if (!enabled || nbytes < min_cached_bytes) {
        ::operator delete(bytes, alignment);
        return;
    }
    const std::size_t size = rounded(nbytes);
    Cache& c = cache();
    std::deque<std::byte*> evicted;
    {
        const std::lock_guard lock(c.mutex);
        c.free_blocks.emplace(size, bytes);
        c.release_order.emplace_back(size, bytes);
        c.bytes += size;
        while (c.bytes > max_cached_bytes) {
            const auto [old_size, old_block] = c.release_order.front();
            c.release_order.pop_front();
            c.bytes -= old_size;
            for (auto it = c.free_blocks.lower_bound(old_size); it != c.free_blocks.end(); ++it)
                if (it->second == old_block) {
                    c.free_blocks.erase(it);
                    break;
                }
            evicted.push_back(old_block);
        }
    }
    for (std::byte* block : evicted) ::operator delete(block, alignment);  // outside the lock
}

std::size_t cached_bytes() {
    Cache& c = cache();
    const std::lock_guard lock(c.mutex);
    return c.bytes;
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
