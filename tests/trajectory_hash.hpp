// A hash of a run's numbers, for the tests that pin a lesson's --quick trajectory to the bits
// recorded on x86-64 with FMA (tests/tensor/test_width_independence.cpp explains why those
// bits do not depend on the vector width). Builds without FMA or optimisation (the sanitizer
// build's baseline x86-64, the debug build) round a * b + c twice where the release build
// rounds once, so there the tests print why they skip.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace qkv::test {

#if defined(__FMA__) && defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && defined(__GNUC__) && \
    !defined(__clang__)
inline constexpr bool recorded_numbers_apply = true;
#else
inline constexpr bool recorded_numbers_apply = false;
#endif
inline constexpr const char* recorded_numbers_skip_reason =
    "skipped: the recorded hashes are for optimised GCC builds with FMA; this build has no FMA (the sanitizer "
    "build's baseline x86-64) or no optimisation";

// FNV-1a over the bits of the values, in order.
inline std::uint64_t hash_bits(const std::vector<double>& values) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (double v : values) {
        const auto b = std::bit_cast<std::uint64_t>(v);
        for (int k = 0; k < 8; ++k) h = (h ^ ((b >> (8 * k)) & 0xff)) * 0x100000001b3ULL;
    }
    return h;
}

inline std::string hex(std::uint64_t h) {
    char text[20];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

}  // namespace qkv::test
