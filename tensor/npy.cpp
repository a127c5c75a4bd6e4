// The .npy format (NumPy's NEP 1), as laid out in a file:
//
//     bytes 0-5   magic "\x93NUMPY"
//     bytes 6-7   format version, major then minor: 1.0, 2.0 or 3.0
//     then        HEADER_LEN, little-endian: 2 bytes (uint16) in 1.0, 4 bytes (uint32) in 2.0/3.0
//     then        HEADER_LEN bytes of header: a Python dict literal such as
//                     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//                 padded with spaces and ending in '\n', so the data that follows starts at a
//                 multiple of 64 bytes (older NumPy aligned to 16); 3.0 allows UTF-8 in it
//     then        the elements, numel * itemsize bytes, in C (row-major) order here.
//
// 'descr' is byte order + kind + itemsize: '<' little-endian, '>' big-endian, '|' not
// applicable (one-byte types); 'f' float, 'i' signed int, 'b' bool. So '<f4' is float32.
// A 0-d array has shape (), a 1-d one (n,) -- Python's one-element tuple.
#include "tensor/npy.hpp"

#include <cstring>
#include <limits>
#include <string_view>

#include "tensor/atomic_file.hpp"
#include "tensor/file_format.hpp"

namespace qkv {

namespace {

constexpr std::string_view npy_magic = "\x93NUMPY";
constexpr std::size_t npy_alignment = 64;
// NumPy 2 refuses arrays with more dims than this; the cap also bounds what a hostile header
// can make us allocate.
constexpr std::size_t npy_max_dims = 64;

constexpr FileFormat npy{".npy", "load_npy"};

std::uint64_t read_le(std::string_view bytes, std::size_t at, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t k = width; k-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes[at + k]);
    return value;
}

void append_le(std::string& out, std::uint64_t value, std::size_t width) {
    for (std::size_t k = 0; k < width; ++k) out.push_back(static_cast<char>(value >> (8 * k) & 0xFF));
}

// ---- reading the header dict -------------------------------------------------------------------

struct NpyHeader {
    std::string descr;
    bool fortran_order = false;
    Shape shape;
};

// A parser for the one Python literal NumPy writes: a dict with the keys 'descr' (a string),
// 'fortran_order' (True/False) and 'shape' (a tuple of non-negative ints), each exactly once.
class HeaderParser {
public:
    HeaderParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

    NpyHeader parse() {
        NpyHeader header;
        bool seen_descr = false, seen_order = false, seen_shape = false;
        skip_space();
        expect('{', "'{'");
        while (true) {
            skip_space();
            if (at('}')) break;
            const std::string key = parse_quoted();
            skip_space();
            expect(':', "':'");
            skip_space();
            if (key == "descr") {
                once(seen_descr, key);
                if (at('[')) npy.bad_file(path_, "descr is a list (a structured dtype), which is not supported");
                header.descr = parse_quoted();
            } else if (key == "fortran_order") {
                once(seen_order, key);
                header.fortran_order = parse_bool();
            } else if (key == "shape") {
                once(seen_shape, key);
                header.shape = parse_shape();
            } else {
                npy.bad_file(path_, "header has an unexpected key '", key,
                             "' (expected 'descr', 'fortran_order', 'shape')");
            }
            skip_space();
            if (!at(',')) break;
            ++pos_;
        }
        expect('}', "',' or '}'");
        skip_space();
        if (pos_ != text_.size()) syntax_error("the end of the header after the dict");
        if (!seen_descr || !seen_order || !seen_shape)
            npy.bad_file(path_, "header dict lacks the key '",
                         !seen_descr ? "descr" : !seen_order ? "fortran_order" : "shape", "'");
        return header;
    }

private:
    [[noreturn]] void syntax_error(const char* expected) const {
        // Show the header (printable characters only, at most 200 of them) to help find the fault.
        std::string shown;
        for (char c : text_.substr(0, 200)) shown += (c >= 0x20 && c < 0x7F) ? c : '?';
        npy.bad_file(path_, "header is not a valid dict: expected ", expected, " at character ", pos_, " of \"", shown,
                 text_.size() > 200 ? "...\"" : "\"");
    }

    void once(bool& seen, const std::string& key) const {
        if (seen) npy.bad_file(path_, "header dict has the key '", key, "' twice");
        seen = true;
    }

    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    bool at_digit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }
    void skip_space() {
        while (at(' ') || at('\t') || at('\n') || at('\r')) ++pos_;
    }
    void expect(char c, const char* expected) {
        if (!at(c)) syntax_error(expected);
        ++pos_;
    }

    // 'text' or "text"; NumPy's keys and descrs never need escapes, so none are accepted.
    std::string parse_quoted() {
        if (!at('\'') && !at('"')) syntax_error("a quoted string");
        const char quote = text_[pos_++];
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != quote && text_[pos_] != '\\' && text_[pos_] != '\n') ++pos_;
        if (!at(quote)) syntax_error("a closing quote");
        std::string text(text_.substr(start, pos_ - start));
        ++pos_;
        return text;
    }

    bool parse_bool() {
        for (bool value : {true, false}) {
            const std::string_view word = value ? "True" : "False";
            if (text_.substr(pos_, word.size()) == word) {
                pos_ += word.size();
                return value;
            }
        }
        syntax_error("True or False");
    }

    // (), (n,), (n, m), ... ; a trailing comma is allowed, as in Python.
    Shape parse_shape() {
        expect('(', "'(' starting the shape tuple");
        Shape shape;
        skip_space();
        while (!at(')')) {
            shape.push_back(parse_size());
            if (shape.size() > npy_max_dims)
                npy.bad_file(path_, "shape has more than ", npy_max_dims, " dims (NumPy itself allows at most ",
                             npy_max_dims, ")");
            skip_space();
            if (!at(',')) break;
            ++pos_;
            skip_space();
        }
        expect(')', "',' or ')' in the shape tuple");
        return shape;
    }

    // A Python int. Old NumPy under Python 2 wrote longs with an 'L' suffix: (3L, 4L).
    std::int64_t parse_size() {
        const std::size_t start = pos_;
        const bool negative = at('-');
        if (negative) ++pos_;
        if (!at_digit()) syntax_error("an integer in the shape tuple");
        std::int64_t value = 0;
        bool too_big = false;
        for (; at_digit(); ++pos_) {
            const int digit = text_[pos_] - '0';
            too_big = too_big || value > (std::numeric_limits<std::int64_t>::max() - digit) / 10;
            if (!too_big) value = value * 10 + digit;
        }
        if (too_big)
            npy.bad_file(path_, "shape size ", text_.substr(start, pos_ - start), " is absurd (more than 2^63)");
        if (at('L')) ++pos_;
        return negative ? -value : value;
    }

    std::string_view text_;
    const std::string& path_;
    std::size_t pos_ = 0;
};

DType dtype_from_descr(const std::string& descr, const std::string& path) {
    if (descr == "<f4") return DType::Float32;
    if (descr == "<f8") return DType::Float64;
    if (descr == "<i8") return DType::Int64;
    if (descr == "|b1") return DType::Bool;
    if (!descr.empty() && descr[0] == '>')
        npy.bad_file(path, "big-endian data (dtype '", descr, "') is not supported; convert it with a.astype('<",
                 descr.substr(1), "')");
    npy.bad_file(path, "unsupported dtype '", descr,
                 "' (supported: '<f4' float32, '<f8' float64, '<i8' int64, '|b1' bool)");
}

const char* descr_of(DType dtype) {
    switch (dtype) {
        case DType::Float32: return "<f4";
        case DType::Float64: return "<f8";
        case DType::Int64: return "<i8";
        case DType::Bool: return "|b1";
    }
    return "?";
}

// Bytes the elements take, checked against overflow of numel and of numel * itemsize.
std::int64_t data_bytes(const Shape& shape, DType dtype, const std::string& path) {
    std::int64_t numel = 1;
    for (auto s : shape) {
        if (s < 0) npy.bad_file(path, "shape ", shape_str(shape), " has a negative size");
        if (s > 0 && numel > std::numeric_limits<std::int64_t>::max() / s)
            npy.bad_file(path, "shape ", shape_str(shape), " has too many elements (more than 2^63)");
        numel *= s;
    }
    const auto itemsize = static_cast<std::int64_t>(dtype_size(dtype));
    if (numel > std::numeric_limits<std::int64_t>::max() / itemsize)
        npy.bad_file(path, "shape ", shape_str(shape), " of ", dtype_name(dtype),
                     " is too large (more than 2^63 bytes)");
    return numel * itemsize;
}

// Checks the magic bytes, the version and the header length; returns the header text and
// sets `data_start` to the offset of the first data byte.
std::string_view find_header(std::string_view file, const std::string& path, std::size_t& data_start) {
    if (file.substr(0, npy_magic.size()) != npy_magic)
        npy.bad_file(path, "not a .npy file (it does not start with the magic bytes \\x93NUMPY)");
    if (file.size() < npy_magic.size() + 2) npy.bad_file(path, "file ends inside the format version");
    const int major = static_cast<unsigned char>(file[6]), minor = static_cast<unsigned char>(file[7]);
    if (minor != 0 || major < 1 || major > 3)
        npy.bad_file(path, "unsupported .npy format version ", major, '.', minor, " (1.0, 2.0 and 3.0 are supported)");
    const std::size_t length_width = major == 1 ? 2 : 4;
    const std::size_t header_start = npy_magic.size() + 2 + length_width;
    if (file.size() < header_start) npy.bad_file(path, "file ends inside the header length");
    const std::uint64_t header_len = read_le(file, npy_magic.size() + 2, length_width);
    if (header_len > file.size() - header_start)
        npy.bad_file(path, "truncated header: it claims ", header_len, " bytes but the file has only ",
                 file.size() - header_start, " after the preamble");
    data_start = header_start + header_len;
    return file.substr(header_start, header_len);
}

// ---- writing -----------------------------------------------------------------------------------

// NumPy's spelling: "()", "(3,)", "(2, 3)".
std::string python_tuple(const Shape& shape) {
    if (shape.size() == 1) return cat('(', shape[0], ",)");
    return shape_str(shape);
}

// Magic, version, HEADER_LEN and the header, padded with spaces so that the data after the
// final '\n' starts at a multiple of 64 bytes.
std::string npy_prefix(const Tensor& t) {
    const std::string dict = cat("{'descr': '", descr_of(t.dtype()), "', 'fortran_order': False, 'shape': ",
                                 python_tuple(t.shape()), ", }");
    auto header_length = [&](std::size_t preamble) {  // dict + spaces + '\n', rounded up
        const std::size_t unpadded = preamble + dict.size() + 1;
        return (unpadded + npy_alignment - 1) / npy_alignment * npy_alignment - preamble;
    };
    // 1.0 stores HEADER_LEN in 2 bytes; a longer header needs 2.0 and its 4-byte length.
    std::size_t length_width = 2;
    std::size_t header_len = header_length(npy_magic.size() + 2 + length_width);
    if (header_len > 0xFFFF) {
        length_width = 4;
        header_len = header_length(npy_magic.size() + 2 + length_width);
    }
    std::string out(npy_magic);
    out.push_back(static_cast<char>(length_width == 2 ? 1 : 2));
    out.push_back(0);
    append_le(out, header_len, length_width);
    out += dict;
    out.append(header_len - dict.size() - 1, ' ');
    out += '\n';
    return out;
}

}  // namespace

Tensor load_npy(const std::string& path) {
    npy.check_little_endian("load_npy");
    const std::string bytes = read_file(path, "load_npy", max_tensor_file_bytes);
    std::size_t data_start = 0;
    const NpyHeader header = HeaderParser(find_header(bytes, path, data_start), path).parse();
    if (header.fortran_order)
        npy.bad_file(path, "fortran_order=True is not supported; save with C order (np.ascontiguousarray)");
    const DType dtype = dtype_from_descr(header.descr, path);
    const std::int64_t needed = data_bytes(header.shape, dtype, path);
    const std::size_t available = bytes.size() - data_start;
    if (static_cast<std::uint64_t>(needed) > available)
        npy.bad_file(path, "data is truncated: shape ", shape_str(header.shape), " of ", dtype_name(dtype), " needs ",
                 needed, " bytes but the file has only ", available, " after the header");
    if (static_cast<std::uint64_t>(needed) < available)
        npy.bad_file(path, "file has ", available - static_cast<std::size_t>(needed),
                     " bytes after the data that shape ", shape_str(header.shape), " of ", dtype_name(dtype),
                     " does not account for");

    Tensor out(header.shape, dtype);
    if (needed > 0) std::memcpy(out.storage()->bytes(), bytes.data() + data_start, static_cast<std::size_t>(needed));
    if (dtype == DType::Bool) {
        // NumPy writes 0 and 1; any other byte would be a bool that is neither, so make it 1.
        std::uint8_t* b = out.data<std::uint8_t>();
        for (std::int64_t i = 0; i < needed; ++i) b[i] = b[i] != 0;
    }
    return out;
}

void save_npy(const std::string& path, const Tensor& t) {
    npy.check_little_endian("save_npy");
    t.check_defined("save_npy");
    std::string bytes = npy_prefix(t);
    append_elements(bytes, t);
    try {
        write_file_atomically(path, bytes);
    } catch (const Error& e) {
        fail("save_npy", e.what());
    }
}

}  // namespace qkv
