#include <filesystem>
#include <fstream>
#include <random>

#include "fuzz_targets.hpp"

namespace qkv::fuzz {

std::string scratch_file(std::string_view bytes, const char* tag) {
    // One name per process and tag, reused for every input: libFuzzer runs millions of them.
    static const std::string stem = [] {
        std::random_device entropy;
        return (std::filesystem::temp_directory_path() / ("qkv_fuzz_" + std::to_string(entropy()))).string();
    }();
    const std::string path = stem + "_" + tag;
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

}  // namespace qkv::fuzz
