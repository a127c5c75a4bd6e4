// Issue 20's reproducers at the tensor layer: shapes whose arithmetic overflows, files that
// never end or cost many times their size in memory, safetensors names that cannot be written
// back, temporary file names too long for the filesystem, and temporaries left by a kill.
// Each expects the clear qkv::Error (or the repaired behaviour), never a crash or a wrap.
#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "tensor/atomic_file.hpp"
#include "tensor/creation.hpp"
#include "tensor/json.hpp"
#include "tensor/npy.hpp"
#include "tensor/safetensors.hpp"

using namespace qkv;
using qkv::testing::TempDir;
using qkv::testing::write_bytes;
namespace fs = std::filesystem;

namespace {

std::string le64(std::uint64_t v) {
    std::string out(8, '\0');
    for (int k = 0; k < 8; ++k) out[static_cast<std::size_t>(k)] = static_cast<char>(v >> (8 * k) & 0xFF);
    return out;
}

std::string st_file(const std::string& header) { return le64(header.size()) + header; }

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("hostile shapes: reshape, zeros and views whose size arithmetic overflows throw qkv::Error") {
    // (2^62, 4) has 2^64 elements: the product used to wrap to 0 and the error said "(0 elements)".
    CHECK_THROWS_WITH_AS(ones({2, 3}).reshape({std::int64_t{1} << 62, 4}),
                         doctest::Contains("reshape: size arithmetic overflows"), Error);
    CHECK_THROWS_WITH_AS(ones({2, 3}).reshape({-1, std::int64_t{1} << 62, 4}),
                         doctest::Contains("reshape: size arithmetic overflows"), Error);
    // The Tensor constructor computed strides before checking the shape.
    CHECK_THROWS_WITH_AS(zeros({std::int64_t{1} << 40, std::int64_t{1} << 40}),
                         doctest::Contains("Tensor: shape (1099511627776, 1099511627776) has too many elements"), Error);
    // An empty shape whose other sizes still overflow the strides.
    CHECK_THROWS_WITH_AS(zeros({0, std::int64_t{1} << 40, std::int64_t{1} << 40}),
                         doctest::Contains("size arithmetic overflows: a tensor of shape (0, 1099511627776, "
                                           "1099511627776) has more elements than 64-bit sizes can count"),
                         Error);
    // Element count fits in int64, bytes do not.
    CHECK_THROWS_WITH_AS(zeros({std::int64_t{1} << 61, 2}, DType::Float64),
                         doctest::Contains("size arithmetic overflows"), Error);
}

TEST_CASE("hostile files: loaders refuse what is not a regular file instead of reading forever") {
    CHECK_THROWS_WITH_AS(load_npy("/dev/zero"), "load_npy: '/dev/zero' is not a regular file", Error);
    CHECK_THROWS_WITH_AS(load_safetensors("/dev/zero"), "load_safetensors: '/dev/zero' is not a regular file", Error);
    TempDir dir;
    const std::string big = dir.file("big.bin");
    write_bytes(big, std::string(100, 'x'));
    const std::string expected = "reader: '" + big + "' is larger than the limit of 99 bytes";
    CHECK_THROWS_WITH_AS(read_file(big, "reader", 99), doctest::Contains(expected.c_str()), Error);
    CHECK(read_file(big, "reader", 100).size() == 100);
}

TEST_CASE("hostile files: parse_json bounds the tree it builds, not only the text") {
    CHECK_THROWS_WITH_AS(parse_json("[1, 2, 3]", {.max_array_items = 2}),
                         "parse_json: byte 7: more than 2 items in one array", Error);
    CHECK_THROWS_WITH_AS(parse_json(R"({"a": 1, "b": 2})", {.max_object_members = 1}),
                         doctest::Contains("more than 1 members in one object"), Error);
    CHECK_THROWS_WITH_AS(parse_json("[[], [], []]", {.max_values = 3}), doctest::Contains("more than 3 values"), Error);
    CHECK(parse_json("[[], []]", {.max_values = 3}).as_array().size() == 2);
}

TEST_CASE("hostile files: safetensors headers cannot cost many times their size") {
    TempDir dir;
    const std::string path = dir.file("x.safetensors");
    // 65 dims: refused while parsing, before a tree of the whole list is built (the issue's
    // 98 MB file of [1] * 49,000,000 took 3.2 GB this way).
    std::string dims = "1";
    for (int k = 0; k < 64; ++k) dims += ",1";
    write_bytes(path, st_file(R"({"w":{"dtype":"F32","shape":[)" + dims + R"(],"data_offsets":[0,4]}})"));
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("more than 64 items in one array"), Error);
    // 64 dims are fine.
    write_bytes(path, st_file(R"({"w":{"dtype":"F32","shape":[)" + dims.substr(2) + R"(],"data_offsets":[0,4]}})") +
                          std::string(4, '\0'));
    CHECK(load_safetensors(path).tensors.at("w").dim() == 64);
    // More than 100,000 tensors (100,001, and then 100,002: past the parser's bound too).
    std::string header = "{";
    for (int k = 0; k <= 100'000; ++k)
        header += (k ? "," : "") + ("\"t" + std::to_string(k) + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]})");
    write_bytes(path, st_file(header + "}"));
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("header lists more than 100000 tensors"), Error);
    write_bytes(path, st_file(header + R"(,"extra":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})"));
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("more than 100001 members in one object"), Error);
    // Many values in total: 33,000 tensors of 63 sizes each pass the other bounds.
    std::string sizes = "0";
    for (int k = 0; k < 62; ++k) sizes += ",1";
    header = "{";
    for (int k = 0; k < 33'000; ++k)
        header += (k ? "," : "") + ("\"t" + std::to_string(k) + R"(":{"dtype":"F32","shape":[)" + sizes +
                                    R"(],"data_offsets":[0,0]})");
    write_bytes(path, st_file(header + "}"));
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("more than 2000000 values"), Error);
}

TEST_CASE("hostile files: a safetensors name that cannot be saved back is refused on load") {
    TempDir dir;
    const std::string path = dir.file("x.safetensors");
    write_bytes(path, st_file(R"({"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})") + std::string(4, '\0'));
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("a tensor has the empty name"), Error);
    write_bytes(path, st_file(R"({"a\u0000b":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})") + std::string(4, '\0'));
    CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains("contains U+0000"), Error);
    CHECK_THROWS_WITH_AS(save_safetensors(path, {{std::string("a\0b", 3), zeros({1})}}), doctest::Contains("contains U+0000"),
                         Error);
}

TEST_CASE("atomic writes: a 250-byte file name saves, and stale temporaries of the target are removed") {
    TempDir dir;
    // The temporary name used to add 24 bytes, so any name over 231 bytes failed to save.
    const std::string name = std::string(246, 'n') + ".npy";
    save_npy(dir.file(name), ones({2}));
    CHECK(load_npy(dir.file(name)).numel() == 2);
    CHECK(dir.entries().size() == 1);

    // A temporary left by a writer killed an hour ago goes on the next save of the same target;
    // a fresh one (a writer still at work) and those of other targets stay.
    const std::string target = dir.file("w.npy");
    write_bytes(dir.file("w.npy.qkvtmp.abcd1234"), "old");
    write_bytes(dir.file("w.npy.qkvtmp.zzzz0000"), "fresh");
    write_bytes(dir.file("v.npy.qkvtmp.abcd1234"), "other target");
    write_bytes(dir.file("w.npy.tmp.backup01"), "a user's file, not ours");
    fs::last_write_time(dir.file("w.npy.tmp.backup01"), fs::file_time_type::clock::now() - std::chrono::hours(1));
    fs::last_write_time(dir.file("w.npy.qkvtmp.abcd1234"), fs::file_time_type::clock::now() - std::chrono::hours(1));
    fs::last_write_time(dir.file("v.npy.qkvtmp.abcd1234"), fs::file_time_type::clock::now() - std::chrono::hours(1));
    save_npy(target, ones({3}));
    CHECK_FALSE(fs::exists(dir.file("w.npy.qkvtmp.abcd1234")));
    CHECK(fs::exists(dir.file("w.npy.qkvtmp.zzzz0000")));
    CHECK(fs::exists(dir.file("v.npy.qkvtmp.abcd1234")));
    CHECK(fs::exists(dir.file("w.npy.tmp.backup01")));
}

}  // TEST_SUITE
