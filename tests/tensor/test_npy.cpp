#include <doctest/doctest.h>

#include "temp_dir.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tensor/atomic_file.hpp"
#include "tensor/core.hpp"
#include "tensor/creation.hpp"
#include "tensor/npy.hpp"

using namespace qkv;
namespace fs = std::filesystem;
using qkv::testing::TempDir;
using qkv::testing::read_bytes;
using qkv::testing::write_bytes;

namespace {

std::string little_endian(std::uint64_t value, int width) {
    std::string out;
    for (int k = 0; k < width; ++k) out.push_back(static_cast<char>((value >> (8 * k)) & 0xFF));
    return out;
}

// The raw bytes of some values (this is a little-endian machine, as .npy data is).
template <class T> std::string raw(const std::vector<T>& values) {
    std::string out(values.size() * sizeof(T), '\0');
    if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
    return out;
}

// An .npy file put together from the format description: magic, version, little-endian
// HEADER_LEN (2 bytes in 1.0, 4 in 2.0 and 3.0), the dict padded with spaces and ended by '\n'
// so that the data starts at a multiple of `align`, then the data.
std::string npy_file(int major, const std::string& dict, const std::string& data, std::size_t align = 64) {
    const std::size_t width = major == 1 ? 2 : 4;
    const std::size_t preamble = 6 + 2 + width;
    std::size_t header_len = dict.size() + 1;
    while ((preamble + header_len) % align != 0) ++header_len;
    return std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0' + little_endian(header_len, static_cast<int>(width)) +
           dict + std::string(header_len - dict.size() - 1, ' ') + '\n' + data;
}

std::string dict_for(const char* descr, const char* shape, const char* fortran = "False") {
    return std::string("{'descr': '") + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

template <class T> std::vector<std::uint64_t> bits_of(const std::vector<T>& values) {
    std::vector<std::uint64_t> out;
    for (T v : values) {
        if constexpr (sizeof(T) == 4) out.push_back(std::bit_cast<std::uint32_t>(v));
        else out.push_back(std::bit_cast<std::uint64_t>(v));
    }
    return out;
}

}  // namespace

TEST_SUITE("tensor") {

// ---- writing: the bytes on disk ----------------------------------------------------------------

TEST_CASE("save_npy writes the header the .npy format specifies byte for byte") {
    TempDir dir;
    const std::string path = dir.file("a.npy");
    const std::vector<float> values = {0.5f, -1.0f, 2.0f, 3.0f, 4.0f, 1e-3f};
    save_npy(path, from_vector(values, {2, 3}));

    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    REQUIRE(dict.size() == 59);
    // 10-byte preamble + 59-byte dict + 58 spaces + '\n' = 128 = 2 * 64, so HEADER_LEN = 118 = 0x76.
    const std::string expected = std::string("\x93NUMPY", 6) + std::string("\x01\x00", 2) + std::string("\x76\x00", 2) +
                                 dict + std::string(58, ' ') + "\n" + raw(values);
    CHECK(read_bytes(path) == expected);
}

TEST_CASE("save_npy spells shapes as Python tuples and pads every header to 64 bytes") {
    TempDir dir;
    struct Case {
        Tensor t;
        const char* header_start;
    };
    const std::vector<Case> cases = {
        {from_vector<std::uint8_t>({1, 0, 1}), "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }"},
        {from_vector<double>({2.5}, {}), "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"},
        {Tensor({0, 3}, DType::Int64), "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 3), }"},
        {Tensor({1, 2, 3, 4, 5, 6, 7}, DType::Float32),
         "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3, 4, 5, 6, 7), }"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.header_start);
        const std::string path = dir.file("t.npy");
        save_npy(path, c.t);
        const std::string bytes = read_bytes(path);
        REQUIRE(bytes.size() >= 10);
        CHECK(bytes[6] == 1);
        const std::size_t header_len = static_cast<unsigned char>(bytes[8]) | static_cast<unsigned char>(bytes[9]) << 8;
        CHECK((10 + header_len) % 64 == 0);
        CHECK(bytes.substr(10, std::strlen(c.header_start)) == c.header_start);
        CHECK(bytes[10 + header_len - 1] == '\n');
        CHECK(bytes.size() == 10 + header_len + static_cast<std::size_t>(c.t.numel()) * dtype_size(c.t.dtype()));
    }
}

TEST_CASE("save_npy switches to format 2.0 when the header would exceed 65535 bytes") {
    // 22000 dims of size 1: the shape alone, "(1, 1, ..., 1)", is 3 * 22000 = 66000 characters.
    TempDir dir;
    const std::string path = dir.file("wide.npy");
    save_npy(path, from_vector<float>({4.5f}, Shape(22000, 1)));
    const std::string bytes = read_bytes(path);
    REQUIRE(bytes.size() > 12);
    CHECK(bytes[6] == 2);
    CHECK(bytes[7] == 0);
    std::size_t header_len = 0;
    for (int k = 3; k >= 0; --k) header_len = header_len << 8 | static_cast<unsigned char>(bytes[8 + k]);
    CHECK(header_len > 65535);
    CHECK((12 + header_len) % 64 == 0);
    CHECK(bytes.size() == 12 + header_len + 4);
    CHECK(bytes.substr(12 + header_len) == raw<float>({4.5f}));
    // NumPy itself reads at most 64 dims, and so do we.
    CHECK_THROWS_WITH_AS(load_npy(path), doctest::Contains("shape has more than 64 dims"), Error);
}

// ---- round trips -------------------------------------------------------------------------------

TEST_CASE("save_npy then load_npy gives back float32 values bit for bit") {
    TempDir dir;
    const std::vector<float> values = {0.0f, -0.0f, 1.5f, -2.25f, std::numeric_limits<float>::infinity(),
                                       std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(),
                                       std::numeric_limits<float>::max()};
    save_npy(dir.file("f.npy"), from_vector(values, {2, 4}));
    const Tensor back = load_npy(dir.file("f.npy"));
    CHECK(back.dtype() == DType::Float32);
    CHECK(back.shape() == Shape{2, 4});
    CHECK(back.is_contiguous());
    CHECK(bits_of(back.to_vector<float>()) == bits_of(values));
}

TEST_CASE("save_npy then load_npy gives back float64 and int64 and bool values") {
    TempDir dir;
    const std::vector<double> f64 = {1.0 / 3.0, -1e300, 5e-324, 0.1};
    save_npy(dir.file("d.npy"), from_vector(f64, {4, 1}));
    const Tensor d = load_npy(dir.file("d.npy"));
    CHECK(d.dtype() == DType::Float64);
    CHECK(d.shape() == Shape{4, 1});
    CHECK(bits_of(d.to_vector<double>()) == bits_of(f64));

    const std::vector<std::int64_t> i64 = {std::numeric_limits<std::int64_t>::min(), -1, 0, 40000000000,
                                           std::numeric_limits<std::int64_t>::max(), 7};
    save_npy(dir.file("i.npy"), from_vector(i64, {3, 2}));
    const Tensor i = load_npy(dir.file("i.npy"));
    CHECK(i.dtype() == DType::Int64);
    CHECK(i.shape() == Shape{3, 2});
    CHECK(i.to_vector<std::int64_t>() == i64);

    const std::vector<std::uint8_t> mask = {1, 0, 0, 1, 1};
    save_npy(dir.file("b.npy"), from_vector(mask));
    const Tensor b = load_npy(dir.file("b.npy"));
    CHECK(b.dtype() == DType::Bool);
    CHECK(b.shape() == Shape{5});
    CHECK(b.to_vector<std::uint8_t>() == mask);
}

TEST_CASE("save_npy then load_npy keeps 0-d and zero-size shapes") {
    TempDir dir;
    save_npy(dir.file("s.npy"), from_vector<double>({-3.5}, {}));
    const Tensor s = load_npy(dir.file("s.npy"));
    CHECK(s.dim() == 0);
    CHECK(s.item() == -3.5);

    for (const Shape& shape : {Shape{0}, Shape{0, 3}, Shape{2, 0}, Shape{4, 0, 5}}) {
        CAPTURE(shape_str(shape));
        save_npy(dir.file("z.npy"), Tensor(shape, DType::Float32));
        const Tensor z = load_npy(dir.file("z.npy"));
        CHECK(z.shape() == shape);
        CHECK(z.numel() == 0);
    }
}

TEST_CASE("save_npy writes a non-contiguous view in C order") {
    TempDir dir;
    // m = [[0, 1, 2], [3, 4, 5]]
    const Tensor m = from_vector<double>({0, 1, 2, 3, 4, 5}, {2, 3});

    save_npy(dir.file("t.npy"), m.t());  // [[0, 3], [1, 4], [2, 5]]
    const Tensor t = load_npy(dir.file("t.npy"));
    CHECK(t.shape() == Shape{3, 2});
    CHECK(t.to_vector<double>() == std::vector<double>{0, 3, 1, 4, 2, 5});

    save_npy(dir.file("row.npy"), m.select(0, 1));  // contiguous but 3 elements into the storage
    CHECK(load_npy(dir.file("row.npy")).to_vector<double>() == std::vector<double>{3, 4, 5});

    save_npy(dir.file("cols.npy"), m.slice(1, 0, 3, 2));  // columns 0 and 2: [[0, 2], [3, 5]]
    const Tensor cols = load_npy(dir.file("cols.npy"));
    CHECK(cols.shape() == Shape{2, 2});
    CHECK(cols.to_vector<double>() == std::vector<double>{0, 2, 3, 5});
}

// ---- reading files written by others ----------------------------------------------------------

TEST_CASE("load_npy reads a hand-built version 2.0 file") {
    TempDir dir;
    const std::string path = dir.file("v2.npy");
    write_bytes(path, npy_file(2, dict_for("<i8", "(3,)"), raw<std::int64_t>({7, -1, 40000000000})));
    const Tensor t = load_npy(path);
    CHECK(t.dtype() == DType::Int64);
    CHECK(t.shape() == Shape{3});
    CHECK(t.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, -1, 40000000000});
}

TEST_CASE("load_npy reads version 3.0 files and older files padded to 16 bytes with keys in any order") {
    TempDir dir;
    write_bytes(dir.file("v3.npy"), npy_file(3, dict_for("<f4", "(2, 1)"), raw<float>({1.25f, -8.0f})));
    const Tensor v3 = load_npy(dir.file("v3.npy"));
    CHECK(v3.shape() == Shape{2, 1});
    CHECK(v3.to_vector<float>() == std::vector<float>{1.25f, -8.0f});

    // Old NumPy: 16-byte alignment, no trailing comma, and Python 2 longs (2L).
    const std::string old = npy_file(1, "{'shape': (2L,), 'fortran_order': False, 'descr': '<f8'}", raw<double>({0.5, 2.0}), 16);
    REQUIRE((old.size() - 16) % 64 != 0);  // the data really is not 64-aligned
    write_bytes(dir.file("old.npy"), old);
    const Tensor o = load_npy(dir.file("old.npy"));
    CHECK(o.dtype() == DType::Float64);
    CHECK(o.to_vector<double>() == std::vector<double>{0.5, 2.0});
}

TEST_CASE("load_npy makes every non-zero bool byte 1") {
    TempDir dir;
    write_bytes(dir.file("b.npy"), npy_file(1, dict_for("|b1", "(3,)"), std::string("\x00\x01\x07", 3)));
    CHECK(load_npy(dir.file("b.npy")).to_vector<std::uint8_t>() == std::vector<std::uint8_t>{0, 1, 1});
}

// ---- malformed files ---------------------------------------------------------------------------

TEST_CASE("load_npy rejects Fortran order with advice") {
    TempDir dir;
    const std::string path = dir.file("x.npy");
    write_bytes(path, npy_file(1, dict_for("<f4", "(2, 2)", "True"), raw<float>({1, 2, 3, 4})));
    const std::string expected =
        "load_npy: '" + path + "': fortran_order=True is not supported; save with C order (np.ascontiguousarray)";
    CHECK_THROWS_WITH_AS(load_npy(path), expected.c_str(), Error);
}

TEST_CASE("load_npy rejects malformed files and says what is wrong") {
    TempDir dir;
    struct Case {
        const char* what;
        std::string bytes;
        const char* message;
    };
    const std::string four_floats = raw<float>({1, 2, 3, 4});
    const std::vector<Case> cases = {
        {"truncated data", npy_file(1, dict_for("<f4", "(4,)"), four_floats.substr(0, 8)),
         "data is truncated: shape (4) of float32 needs 16 bytes but the file has only 8 after the header"},
        {"extra data", npy_file(1, dict_for("<f4", "(3,)"), four_floats),
         "file has 4 bytes after the data that shape (3) of float32 does not account for"},
        {"bad magic", "\x93NUMPZ" + npy_file(1, dict_for("<f4", "(4,)"), four_floats).substr(6), "not a .npy file"},
        {"empty file", "", "not a .npy file"},
        {"big-endian", npy_file(1, dict_for(">f4", "(4,)"), four_floats),
         "big-endian data (dtype '>f4') is not supported; convert it with a.astype('<f4')"},
        {"int32", npy_file(1, dict_for("<i4", "(4,)"), four_floats), "unsupported dtype '<i4'"},
        {"uint8", npy_file(1, dict_for("|u1", "(4,)"), four_floats.substr(0, 4)), "unsupported dtype '|u1'"},
        {"structured", npy_file(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", four_floats),
         "structured dtype"},
        {"too many elements", npy_file(1, dict_for("<f4", "(4611686018427387904, 4)"), four_floats),
         "shape (4611686018427387904, 4) has too many elements"},
        {"too many bytes", npy_file(1, dict_for("<f8", "(2305843009213693952,)"), four_floats),
         "is too large (more than 2^63 bytes)"},
        {"size past 2^63", npy_file(1, dict_for("<f4", "(99999999999999999999,)"), four_floats),
         "shape size 99999999999999999999 is absurd"},
        {"more data than the file", npy_file(1, dict_for("<f4", "(1000000000,)"), four_floats),
         "needs 4000000000 bytes but the file has only 16"},
        {"negative size", npy_file(1, dict_for("<f4", "(2, -2)"), four_floats), "shape (2, -2) has a negative size"},
        {"not a dict", npy_file(1, "[1, 2]", four_floats), "header is not a valid dict: expected '{' at character 0"},
        {"unclosed dict", npy_file(1, "{'descr': '<f4'", four_floats), "header is not a valid dict: expected ',' or '}'"},
        {"missing key", npy_file(1, "{'descr': '<f4', 'shape': (4,)}", four_floats),
         "header dict lacks the key 'fortran_order'"},
        {"unknown key", npy_file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", four_floats),
         "header has an unexpected key 'x'"},
        {"repeated key", npy_file(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", four_floats),
         "header dict has the key 'descr' twice"},
        {"bad bool", npy_file(1, dict_for("<f4", "(4,)", "false"), four_floats), "expected True or False"},
        {"header past the end", std::string("\x93NUMPY\x01\x00", 8) + little_endian(1000, 2) + "{}", "truncated header"},
        {"no header length", std::string("\x93NUMPY\x02\x00\x10", 9), "file ends inside the header length"},
        {"version 4.0", std::string("\x93NUMPY\x04\x00", 8) + little_endian(0, 4), "unsupported .npy format version 4.0"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        const std::string path = dir.file("bad.npy");
        write_bytes(path, c.bytes);
        CHECK_THROWS_WITH_AS(load_npy(path), doctest::Contains(c.message), Error);
        CHECK_THROWS_WITH_AS(load_npy(path), doctest::Contains(("load_npy: '" + path + "': ").c_str()), Error);
    }
}

TEST_CASE("load_npy rejects a shape of more than 64 dims") {
    TempDir dir;
    std::string shape = "(";
    for (int k = 0; k < 65; ++k) shape += "1, ";
    shape += ")";
    write_bytes(dir.file("deep.npy"), npy_file(1, dict_for("<f4", shape.c_str()), raw<float>({1})));
    CHECK_THROWS_WITH_AS(load_npy(dir.file("deep.npy")),
                         doctest::Contains("shape has more than 64 dims (NumPy itself allows at most 64)"), Error);
}

TEST_CASE("load_npy names the path and the OS reason when it cannot read the file") {
    TempDir dir;
    const std::string missing = dir.file("missing.npy");
    CHECK_THROWS_WITH_AS(load_npy(missing), ("load_npy: cannot open '" + missing + "': No such file or directory").c_str(),
                         Error);
    CHECK_THROWS_WITH_AS(load_npy(dir.path().string()), doctest::Contains("Is a directory"), Error);
}

// ---- atomic writes ----------------------------------------------------------------------------

TEST_CASE("save_npy into a missing directory throws and leaves no file behind") {
    TempDir dir;
    const std::string path = dir.file("no_such_dir/x.npy");
    CHECK_THROWS_WITH_AS(save_npy(path, from_vector<float>({1, 2})), doctest::Contains("save_npy: "), Error);
    CHECK_THROWS_WITH_AS(save_npy(path, from_vector<float>({1, 2})),
                         doctest::Contains(("for '" + path + "': No such file or directory").c_str()), Error);
    CHECK(dir.entries().empty());
}

TEST_CASE("write_file_atomically removes its temporary file when the rename fails") {
    TempDir dir;
    const std::string target = dir.file("target");
    fs::create_directory(target);  // rename() cannot put a file where a directory is
    CHECK_THROWS_WITH_AS(write_file_atomically(target, "abc"),
                         ("write_file_atomically: cannot rename the temporary file over '" + target + "': Is a directory")
                             .c_str(),
                         Error);
    CHECK(dir.entries() == std::vector<std::string>{"target"});
    CHECK(fs::is_empty(target));
}

TEST_CASE("saving over an existing file replaces it whole") {
    TempDir dir;
    const std::string path = dir.file("x.npy");
    write_bytes(path, std::string(1000, 'x'));
    save_npy(path, from_vector<float>({1.5f, -2.0f}));
    // 10-byte preamble + 57-byte dict + '\n' = 68 bytes, padded to 128; then 2 floats. Nothing of
    // the old 1000 bytes is left.
    CHECK(fs::file_size(path) == 128 + 8);
    CHECK(load_npy(path).to_vector<float>() == std::vector<float>{1.5f, -2.0f});
    CHECK(dir.entries() == std::vector<std::string>{"x.npy"});

    write_file_atomically(path, "");
    CHECK(fs::file_size(path) == 0);
    write_file_atomically(path, "new");
    CHECK(read_bytes(path) == "new");
    CHECK(dir.entries() == std::vector<std::string>{"x.npy"});
}

}  // TEST_SUITE
