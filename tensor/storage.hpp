// A reference-counted, 64-byte-aligned, zero-initialised block of bytes. Tensors that are views
// of one another share one Storage; it is freed when the last of them goes.
//
// Large blocks come from a cache of freed ones (storage.cpp): a training step allocates the
// same sizes every step, and a fresh large block from the system costs a page fault per 4 KB
// page on first touch, which profiling showed costing more than the arithmetic in attention.
#pragma once

#include <cstddef>
#include <cstring>

// AddressSanitizer is on: GCC says so with __SANITIZE_ADDRESS__, Clang (14) only through
// __has_feature. Sanitizer builds turn the block cache off and poison uninitialised storage.
#if defined(__SANITIZE_ADDRESS__)
#define QKV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QKV_ASAN 1
#endif
#endif

namespace qkv {

namespace storage_cache {
// A block of at least nbytes (64-byte aligned), and its return. Exposed for the tests.
std::byte* allocate(std::size_t nbytes);
void release(std::byte* bytes, std::size_t nbytes);
// Bytes currently held by the cache, not in use by any Storage.
std::size_t cached_bytes();
// The most the cache may hold now: the smaller of its maximum (QKV_CACHE_MB, default 256 MB)
// and the most bytes of large blocks the process has had in use at once. 0 when it is off.
std::size_t limit_bytes();
// Sets the maximum (as QKV_CACHE_MB does at startup; 0 turns the cache off), freeing cached
// blocks past it.
void set_max_bytes(std::size_t max_bytes);
// Frees every cached block.
void clear();
}  // namespace storage_cache

// What the tensors of a computation hold: bytes of Storage in use now, and the most in use at
// once since the last reset_peak(). Counted where blocks are handed out and returned, so the
// figure does not depend on what malloc, the cache or a sanitizer do with freed memory (the
// resident-set size, which does, over- or under-states it). Lesson 09 measures attention's
// memory with it.
namespace storage_use {
std::size_t live_bytes();
std::size_t peak_bytes();
// The peak becomes the bytes in use now. For measuring one computation at a time: a peak
// another thread reaches between the reset's read and write is lost.
void reset_peak();
}  // namespace storage_use

class Storage {
public:
    static constexpr std::size_t alignment = 64;  // a cache line; also the widest SIMD load

    explicit Storage(std::size_t nbytes) : nbytes_(nbytes), bytes_(storage_cache::allocate(nbytes)) {
        std::memset(bytes_, 0, nbytes);
    }
    // Not zero-filled, for kernels that write every byte before anything reads it (saves a
    // pass over memory). Sanitizer builds fill it with 0xff bytes instead (NaN as floats), so a
    // kernel that forgets an element shows NaN in the tests rather than a plausible 0.
    struct Uninitialized {};
    Storage(std::size_t nbytes, Uninitialized) : nbytes_(nbytes), bytes_(storage_cache::allocate(nbytes)) {
#if defined(QKV_ASAN)
        std::memset(bytes_, 0xff, nbytes);
#endif
    }
    ~Storage() { storage_cache::release(bytes_, nbytes_); }
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    std::byte* bytes() const { return bytes_; }
    std::size_t nbytes() const { return nbytes_; }

private:
    std::size_t nbytes_;
    std::byte* bytes_;
};

}  // namespace qkv
