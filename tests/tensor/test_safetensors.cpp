#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/safetensors.hpp"

using namespace qkv;
namespace fs = std::filesystem;
using qkv::testing::TempDir;
using qkv::testing::read_bytes;
using qkv::testing::write_bytes;

namespace {

std::string le64(std::uint64_t value) {
    std::string out;
    for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
    return out;
}

std::uint64_t read_le64(const std::string& bytes) {
    std::uint64_t value = 0;
    for (int k = 7; k >= 0; --k) value = value << 8 | static_cast<unsigned char>(bytes[static_cast<std::size_t>(k)]);
    return value;
}

// The raw bytes of some values (this is a little-endian machine, as safetensors data is).
template <class T> std::string raw(const std::vector<T>& values) {
    std::string out(values.size() * sizeof(T), '\0');
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
    return out;
}

// A safetensors file put together from the format description: the header length as 8
// little-endian bytes, the JSON header, the data buffer.
std::string st_file(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("save_safetensors then load_safetensors gives back tensors of every dtype and the metadata") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    const Tensor square = from_vector<double>({1, 2, 3, 4}, {2, 2});
    TensorMap tensors = {
        {"layer.0.bias", from_vector<float>({0.5f, -1.0f, 2.0f})},
        {"layer.0.weight_t", square.t()},  // non-contiguous: written as [[1, 3], [2, 4]]
        {"ids", from_vector<std::int64_t>({std::numeric_limits<std::int64_t>::min(), -1, 0,
                                           std::numeric_limits<std::int64_t>::max()})},
        {"mask", from_vector<std::uint8_t>({1, 0, 0, 1, 1, 0}, {2, 3})},
        {"scale", from_vector<float>({7.0f}, {})},
        {"empty", Tensor({0, 5}, DType::Float64)},
    };
    const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"step", "1200"}, {"note", "caf\xC3\xA9 \"q\"\n"}};
    save_safetensors(path, tensors, metadata);

    const SafetensorsFile back = load_safetensors(path);
    CHECK(back.metadata == metadata);
    REQUIRE(back.tensors.size() == 6);
    const Tensor& bias = back.tensors.at("layer.0.bias");
    CHECK(bias.dtype() == DType::Float32);
    CHECK(bias.shape() == Shape{3});
    CHECK(bias.to_vector<float>() == std::vector<float>{0.5f, -1.0f, 2.0f});
    const Tensor& w = back.tensors.at("layer.0.weight_t");
    CHECK(w.dtype() == DType::Float64);
    CHECK(w.shape() == Shape{2, 2});
    CHECK(w.to_vector<double>() == std::vector<double>{1, 3, 2, 4});
    const Tensor& ids = back.tensors.at("ids");
    CHECK(ids.dtype() == DType::Int64);
    CHECK(ids.to_vector<std::int64_t>() == tensors.at("ids").to_vector<std::int64_t>());
    const Tensor& mask = back.tensors.at("mask");
    CHECK(mask.dtype() == DType::Bool);
    CHECK(mask.shape() == Shape{2, 3});
    CHECK(mask.to_vector<std::uint8_t>() == std::vector<std::uint8_t>{1, 0, 0, 1, 1, 0});
    const Tensor& scale = back.tensors.at("scale");
    CHECK(scale.dim() == 0);
    CHECK(scale.item() == 7.0);
    const Tensor& empty = back.tensors.at("empty");
    CHECK(empty.shape() == Shape{0, 5});
    CHECK(empty.dtype() == DType::Float64);
}

TEST_CASE("save_safetensors lays the data out in name order after a header padded to 8 bytes") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    // Inserted out of order on purpose: the file follows the names' order.
    TensorMap tensors;
    tensors["c"] = from_vector<std::int64_t>({-5}, {1});
    tensors["a"] = from_vector<float>({1.0f, 2.0f});
    tensors["b"] = from_vector<std::uint8_t>({1, 0, 1});
    save_safetensors(path, tensors);

    // a: 2 float32 = 8 bytes at [0, 8); b: 3 bools at [8, 11); c: 1 int64 at [11, 19).
    const std::string json = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"BOOL","shape":[3],"data_offsets":[8,11]},)"
                             R"("c":{"dtype":"I64","shape":[1],"data_offsets":[11,19]}})";
    const std::string data = raw<float>({1.0f, 2.0f}) + std::string("\x01\x00\x01", 3) + raw<std::int64_t>({-5});
    const std::string bytes = read_bytes(path);
    const std::uint64_t n = read_le64(bytes);
    CHECK(n % 8 == 0);
    CHECK(n >= json.size());
    CHECK(n < json.size() + 8);  // no more padding than needed
    REQUIRE(bytes.size() == 8 + n + data.size());
    CHECK(bytes.substr(8, json.size()) == json);
    CHECK(bytes.substr(8 + json.size(), n - json.size()) == std::string(n - json.size(), ' '));
    CHECK(bytes.substr(8 + n) == data);
}

TEST_CASE("load_safetensors reads a hand-built file whose offsets count from the data buffer") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    // Listed out of order, with spaces after the JSON as the format allows.
    const std::string header = R"({"__metadata__":{"format":"pt"},)"
                               R"("y":{"dtype":"I64","shape":[2],"data_offsets":[8,24]},)"
                               R"("x":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]}})"
                               "     ";
    write_bytes(path, st_file(header, raw<float>({1.5f, -2.0f}) + raw<std::int64_t>({3, -4})));
    const SafetensorsFile f = load_safetensors(path);
    CHECK(f.metadata == std::map<std::string, std::string>{{"format", "pt"}});
    REQUIRE(f.tensors.size() == 2);
    CHECK(f.tensors.at("x").shape() == Shape{2, 1});
    CHECK(f.tensors.at("x").to_vector<float>() == std::vector<float>{1.5f, -2.0f});
    CHECK(f.tensors.at("y").to_vector<std::int64_t>() == std::vector<std::int64_t>{3, -4});
}

TEST_CASE("load_safetensors accepts empty tensors at any offset and gaps between tensors") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    // "e" is empty at offset 4, inside the range of "w": no byte is shared. Bytes 8..12 are unused.
    const std::string header = R"({"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                               R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    write_bytes(path, st_file(header, raw<float>({3.0f, 4.0f, 99.0f})));
    const SafetensorsFile f = load_safetensors(path);
    CHECK(f.tensors.at("e").numel() == 0);
    CHECK(f.tensors.at("w").to_vector<float>() == std::vector<float>{3.0f, 4.0f});
}

TEST_CASE("load_safetensors makes every non-zero bool byte 1") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    write_bytes(path, st_file(R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})", std::string("\x00\x02\x01", 3)));
    CHECK(load_safetensors(path).tensors.at("m").to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 1});
}

TEST_CASE("load_safetensors rejects an unknown dtype and names the tensor and the dtype") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    write_bytes(path, st_file(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", std::string(4, '\0')));
    CHECK_THROWS_WITH_AS(load_safetensors(path),
                         doctest::Contains(("load_safetensors: '" + path + "': tensor 'w' has unsupported dtype BF16").c_str()),
                         Error);
}

TEST_CASE("load_safetensors rejects malformed files and says what is wrong") {
    TempDir dir;
    struct Case {
        const char* what;
        std::string bytes;
        const char* message;
    };
    auto one = [](const std::string& entry) { return R"({"w":)" + entry + "}"; };
    const std::string eight = raw<float>({1.0f, 2.0f});
    const std::vector<Case> cases = {
        {"truncated length", std::string("\x10\x00\x00", 3), "file has 3 bytes, too few for the 8-byte header length"},
        {"header past the end", le64(100) + "{}", "header length 100 runs past the end of the file (2 bytes follow the length)"},
        {"absurd header length", le64(std::uint64_t{1} << 40) + "{}", "header length 1099511627776 is absurd"},
        {"huge header length", le64(std::numeric_limits<std::uint64_t>::max()) + "{}", "is absurd"},
        {"not an object", st_file("[]", ""), "header does not start with '{'"},
        {"empty header", st_file("", ""), "header does not start with '{'"},
        {"bad JSON", st_file(R"({"w": {"dtype": "F32",)", ""), "header is not valid JSON (parse_json: byte 22:"},
        {"repeated name", st_file(R"({"w":{},"w":{}})", ""), "object has the key \"w\" twice"},
        {"offsets past the end", st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), eight.substr(0, 4)),
         "tensor 'w' has data_offsets [0, 8] past the end of the 4-byte data buffer"},
        {"begin after end", st_file(one(R"({"dtype":"F32","shape":[0],"data_offsets":[8,0]})"), eight),
         "tensor 'w' has data_offsets [8, 0] with begin after end"},
        {"size not matching shape", st_file(one(R"({"dtype":"F32","shape":[2,3],"data_offsets":[0,8]})"), eight),
         "tensor 'w' has data_offsets [0, 8] holding 8 bytes, but shape (2, 3) of F32 needs 24"},
        {"overlapping ranges",
         st_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                 eight + eight),
         "tensors 'a' (bytes 0..8) and 'b' (bytes 4..12) overlap"},
        {"same range twice",
         st_file(R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                 eight),
         "overlap"},
        {"negative shape", st_file(one(R"({"dtype":"F32","shape":[2,-1],"data_offsets":[0,8]})"), eight),
         "tensor 'w' has a shape with a negative value -1"},
        {"negative offset", st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[-8,0]})"), eight),
         "tensor 'w' has data_offsets with a negative value -8"},
        {"shape overflow", st_file(one(R"({"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), eight),
         "tensor 'w' has shape (4294967296, 4294967296), too large to address"},
        {"shape not an array", st_file(one(R"({"dtype":"F32","shape":"2","data_offsets":[0,8]})"), eight),
         "tensor 'w' has a shape of the wrong type: expected an array of integers, got a string"},
        {"fractional offset", st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8.0]})"), eight),
         "tensor 'w' has data_offsets with a number where an integer belongs"},
        {"three offsets", st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,4,8]})"), eight),
         "tensor 'w' has 3 data_offsets; expected 2"},
        {"missing field", st_file(one(R"({"dtype":"F32","shape":[2]})"), eight), "tensor 'w' lacks the field 'data_offsets'"},
        {"unknown field", st_file(one(R"({"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1})"), eight),
         "tensor 'w' has an unknown field 'x'"},
        {"dtype not a string", st_file(one(R"({"dtype":32,"shape":[2],"data_offsets":[0,8]})"), eight),
         "tensor 'w' has a dtype that is an integer, not a string"},
        {"entry not an object", st_file(one("[0, 8]"), eight), "tensor 'w' must be an object with dtype, shape and data_offsets"},
        {"metadata not strings", st_file(R"({"__metadata__":{"step":1200}})", ""),
         "__metadata__ must map strings to strings, but 'step' maps to an integer"},
        {"metadata not an object", st_file(R"({"__metadata__":"pt"})", ""), "__metadata__ must be an object"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const std::string path = dir.file("bad.safetensors");
        write_bytes(path, c.bytes);
        CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains(c.message), Error);
        CHECK_THROWS_WITH_AS(load_safetensors(path), doctest::Contains(("load_safetensors: '" + path + "': ").c_str()), Error);
    }
}

TEST_CASE("load_safetensors names the path and the OS reason when it cannot open the file") {
    TempDir dir;
    const std::string missing = dir.file("missing.safetensors");
    CHECK_THROWS_WITH_AS(load_safetensors(missing),
                         ("load_safetensors: cannot open '" + missing + "': No such file or directory").c_str(), Error);
}

TEST_CASE("save_safetensors rejects empty and reserved names and undefined tensors") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    CHECK_THROWS_WITH_AS(save_safetensors(path, {{"", from_vector<float>({1})}}),
                         ("save_safetensors: '" + path + "': tensor names must not be empty").c_str(), Error);
    CHECK_THROWS_WITH_AS(save_safetensors(path, {{"__metadata__", from_vector<float>({1})}}),
                         doctest::Contains("the name __metadata__ is reserved"), Error);
    CHECK_THROWS_WITH_AS(save_safetensors(path, {{"w", Tensor()}}), doctest::Contains("tensor 'w' is undefined"), Error);
    CHECK_THROWS_WITH_AS(save_safetensors(path, {{"bad\xFF", from_vector<float>({1})}}),
                         doctest::Contains("string is not valid UTF-8"), Error);
    CHECK(dir.entries().empty());  // nothing was written
}

TEST_CASE("save_safetensors replaces an existing file whole and leaves nothing behind on failure") {
    TempDir dir;
    const std::string path = dir.file("m.safetensors");
    write_bytes(path, std::string(5000, 'x'));
    save_safetensors(path, {{"w", from_vector<float>({1.0f, 2.0f})}});
    const std::string json = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
    // 8 (length) + the JSON padded to a multiple of 8 + 8 data bytes; none of the old 5000.
    CHECK(fs::file_size(path) == 8 + (json.size() + 7) / 8 * 8 + 8);
    CHECK(load_safetensors(path).tensors.at("w").to_vector<float>() == std::vector<float>{1.0f, 2.0f});
    CHECK(dir.entries() == std::vector<std::string>{"m.safetensors"});

    const std::string nowhere = dir.file("missing_dir/m.safetensors");
    CHECK_THROWS_WITH_AS(save_safetensors(nowhere, {{"w", from_vector<float>({1})}}),
                         doctest::Contains(("save_safetensors: write_file_atomically: cannot create the temporary file '" +
                                            nowhere)
                                               .c_str()),
                         Error);
    CHECK(dir.entries() == std::vector<std::string>{"m.safetensors"});
}

}  // TEST_SUITE
