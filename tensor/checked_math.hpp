// Overflow-checked size arithmetic. Every product of sizes, strides or byte counts goes through
// checked_mul, so a hostile shape (a file's, or a caller's (2^62, 4)) becomes a qkv::Error
// naming the op instead of signed overflow: undefined behaviour, and in practice a silent wrap
// to a small or negative size that later code would trust.
#pragma once

#include <cstdint>

#include "tensor/error.hpp"

namespace qkv {

// a * b, or throws "op: size arithmetic overflows: a * b does not fit in 64 bits".
inline std::int64_t checked_mul(std::int64_t a, std::int64_t b, const char* op) {
    std::int64_t product = 0;
    if (__builtin_mul_overflow(a, b, &product))
        fail(op, "size arithmetic overflows: ", a, " * ", b, " does not fit in 64 bits");
    return product;
}

// a + b, with the same error.
inline std::int64_t checked_add(std::int64_t a, std::int64_t b, const char* op) {
    std::int64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) fail(op, "size arithmetic overflows: ", a, " + ", b, " does not fit in 64 bits");
    return sum;
}

}  // namespace qkv
