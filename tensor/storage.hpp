// A reference-counted, 64-byte-aligned, zero-initialised block of bytes. Tensors that are views
// of one another share one Storage; it is freed when the last of them goes.
#pragma once

#include <cstddef>
#include <cstring>
#include <new>

namespace qkv {

class Storage {
public:
    static constexpr std::size_t alignment = 64;  // a cache line; also the widest SIMD load

    explicit Storage(std::size_t nbytes)
        : nbytes_(nbytes),
          bytes_(static_cast<std::byte*>(::operator new(nbytes ? nbytes : 1, std::align_val_t(alignment)))) {
        std::memset(bytes_, 0, nbytes);
    }
    ~Storage() { ::operator delete(bytes_, std::align_val_t(alignment)); }
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;

    std::byte* bytes() const { return bytes_; }
    std::size_t nbytes() const { return nbytes_; }

private:
    std::size_t nbytes_;
    std::byte* bytes_;
};

}  // namespace qkv
