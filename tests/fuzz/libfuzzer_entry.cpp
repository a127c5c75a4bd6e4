// libFuzzer's entry point for one target, chosen at compile time (QKV_FUZZ_TARGET, e.g. npy).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    qkv::fuzz::QKV_FUZZ_TARGET(data, size);
    return 0;
}
