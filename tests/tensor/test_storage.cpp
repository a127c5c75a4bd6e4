// The cache of freed large blocks behind Storage: a recycled block still gives a zero-filled
// tensor, the cache hands back the block it kept, and clear() empties it. (Under
// AddressSanitizer the cache is off, so only the zero-fill is checked there.)
#include <doctest/doctest.h>

#include "tensor/creation.hpp"
#include "tensor/elementwise.hpp"
#include "tensor/reduce.hpp"
#include "tensor/storage.hpp"

#include <vector>

using namespace qkv;

TEST_SUITE("tensor") {

TEST_CASE("a tensor made from a recycled block is still all zeros") {
    storage_cache::clear();  // so the block handed back can only be the one freed below
    const Shape shape{512, 300};  // 600 KB: large enough to be cached
    const void* first = nullptr;
    {
        const Tensor t = full(shape, 7.0);
        first = t.storage()->bytes();
        CHECK(sum(t).item() == doctest::Approx(7.0 * 512 * 300));
    }
    const Tensor again(shape, DType::Float32);
    CHECK(max(abs(again)).item() == 0.0);
    CHECK(min(again).item() == 0.0);
#if !defined(QKV_ASAN)
    CHECK(again.storage()->bytes() == first);  // the block the first tensor freed
#else
    (void)first;
#endif
}

TEST_CASE("storage_use counts the bytes tensors hold, small and large, cached or not") {
    const std::size_t base = storage_use::live_bytes();
    storage_use::reset_peak();
    CHECK(storage_use::peak_bytes() == base);
    {
        const Tensor big({1024, 256}, DType::Float32);  // 1 MB, a cached size
        const Tensor small({3}, DType::Float64);        // 24 bytes, straight from operator new
        CHECK(storage_use::live_bytes() == base + 1024 * 256 * 4 + 24);
        const Tensor view = big.narrow(0, 0, 10);  // a view holds no new storage
        CHECK(storage_use::live_bytes() == base + 1024 * 256 * 4 + 24);
    }
    CHECK(storage_use::live_bytes() == base);
    CHECK(storage_use::peak_bytes() == base + 1024 * 256 * 4 + 24);  // freed bytes leave the peak as it was
    { const Tensor again({1024, 256}, DType::Float32); }  // from the cache (not under asan): counted all the same
    CHECK(storage_use::peak_bytes() == base + 1024 * 256 * 4 + 24);
    storage_use::reset_peak();
    CHECK(storage_use::peak_bytes() == base);
}

TEST_CASE("the storage cache keeps freed large blocks and clear empties it") {
    storage_cache::clear();
    CHECK(storage_cache::cached_bytes() == 0);
    { const Tensor t({1024, 256}, DType::Float32); }  // 1 MB freed
#if !defined(QKV_ASAN)
    CHECK(storage_cache::cached_bytes() >= 1024 * 256 * 4);
    { const Tensor small({4}, DType::Float32); }  // small blocks are not cached
    CHECK(storage_cache::cached_bytes() < 1024 * 256 * 4 + 4096);
    { const Tensor reuse({1024, 256}, DType::Float32); CHECK(storage_cache::cached_bytes() == 0); }
#endif
    storage_cache::clear();
    CHECK(storage_cache::cached_bytes() == 0);
}

TEST_CASE("the storage cache holds no more than its maximum, and nothing when the maximum is 0") {
#if !defined(QKV_ASAN)
    storage_cache::clear();
    storage_cache::set_max_bytes(std::size_t{2} << 20);  // 2 MB
    {
        std::vector<Tensor> live;  // 8 MB in use at once, then freed together
        for (int i = 0; i < 8; ++i) live.emplace_back(Shape{1024, 256}, DType::Float32);
        CHECK(storage_cache::limit_bytes() == std::size_t{2} << 20);
    }
    CHECK(storage_cache::cached_bytes() == std::size_t{2} << 20);  // two of the eight kept
    { const Tensor big({4096, 256}, DType::Float32); }              // 4 MB: more than the cache may hold
    CHECK(storage_cache::cached_bytes() <= std::size_t{2} << 20);
    storage_cache::set_max_bytes(0);
    CHECK(storage_cache::cached_bytes() == 0);
    CHECK(storage_cache::limit_bytes() == 0);
    { const Tensor t({1024, 256}, DType::Float32); }
    CHECK(storage_cache::cached_bytes() == 0);
    storage_cache::set_max_bytes(std::size_t{256} << 20);
#else
    CHECK(storage_cache::limit_bytes() == 0);
#endif
}

}  // TEST_SUITE
