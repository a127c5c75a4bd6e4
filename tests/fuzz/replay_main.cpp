// Replays files through a fuzz target's entry function without libFuzzer, so every build (the
// GCC release and asan presets too) checks the seed corpus and each committed reproducer:
//
//   qkv_fuzz_replay TARGET PATH...    PATH: a file, or a folder whose files are all replayed
//   qkv_fuzz_replay --write-seeds DIR  writes the seed corpus (seeds.cpp) into DIR/<target>/
//
// Prints one line per failing file and exits 1 if any failed (an exception other than the
// parser's qkv::Error escaped; a broken invariant or a sanitizer aborts the process, naming
// the file on the line before). Exits 2 when no file was found: an empty corpus tests nothing.
#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "fuzz_targets.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "--write-seeds") == 0) {
        qkv::fuzz::write_seeds(argv[2]);
        return 0;
    }
    if (argc < 3) {
        std::cerr << "usage: qkv_fuzz_replay TARGET PATH...\n";
        return 2;
    }
    const qkv::fuzz::Target* target = nullptr;
    for (const auto& t : qkv::fuzz::targets)
        if (std::strcmp(t.name, argv[1]) == 0) target = &t;
    if (!target) {
        std::cerr << "qkv_fuzz_replay: unknown target '" << argv[1] << "'\n";
        return 2;
    }
    std::vector<fs::path> files;
    for (int i = 2; i < argc; ++i) {
        const fs::path p(argv[i]);
        if (fs::is_directory(p)) {
            for (const auto& e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
        } else if (fs::exists(p)) {
            files.push_back(p);
        }
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::cerr << "qkv_fuzz_replay " << target->name << ": no files to replay\n";
        return 2;
    }
    int failed = 0;
    for (const fs::path& file : files) {
        std::ifstream in(file, std::ios::binary);
        const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        std::cerr << "replay " << target->name << " " << file.string() << "\n";
        try {
            target->entry(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
        } catch (const std::exception& e) {
            std::cout << "FAIL " << file.string() << ": uncaught exception: " << e.what() << "\n";
            ++failed;
        }
    }
    std::cout << target->name << ": " << files.size() - static_cast<std::size_t>(failed) << " of " << files.size()
              << " files passed\n";
    return failed ? 1 : 0;
}
