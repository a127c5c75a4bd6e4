// qkv's fuzz targets: one entry function per parser, each taking the bytes of one file.
//
// An entry function feeds the bytes to the parser as a file and returns normally when the
// parser accepts them or throws qkv::Error (a clear refusal is the right answer to garbage).
// Anything else is a finding: another exception escapes, a sanitizer reports, or a check below
// calls std::abort(). Each target also checks a round trip (an accepted file is saved, read
// back and compared) and, where a load writes into an existing object, that a failed load
// leaves it exactly as it was.
//
// Two drivers call the same functions: libFuzzer (libfuzzer_entry.cpp, the `fuzz` preset) and
// replay_main.cpp, which reads corpus files and committed reproducers on every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace qkv::fuzz {

using Entry = void (*)(const std::uint8_t* data, std::size_t size);

void npy(const std::uint8_t* data, std::size_t size);
void safetensors(const std::uint8_t* data, std::size_t size);
void json(const std::uint8_t* data, std::size_t size);
void vocab(const std::uint8_t* data, std::size_t size);       // vocab.txt, then WordPiece over it
void bert_config(const std::uint8_t* data, std::size_t size);  // config.json
void checkpoint(const std::uint8_t* data, std::size_t size);

struct Target {
    const char* name;
    Entry entry;
};
inline constexpr Target targets[] = {{"npy", npy},   {"safetensors", safetensors}, {"json", json},
                                     {"vocab", vocab}, {"bert_config", bert_config}, {"checkpoint", checkpoint}};

// Writes the seed corpus, one folder per target, under `root` (seeds.cpp).
void write_seeds(const std::string& root);

// The fuzzer's bytes as text, for the parsers that read strings.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Writes `bytes` to a file of this process (in the temp folder) and returns its path.
std::string scratch_file(std::string_view bytes, const char* tag);

// A failed invariant: print it and abort, which both drivers report with the input.
[[noreturn]] inline void broken(const char* target, const std::string& what) {
    std::fprintf(stderr, "fuzz %s: %s\n", target, what.c_str());
    std::fflush(stderr);
    std::abort();
}

}  // namespace qkv::fuzz
