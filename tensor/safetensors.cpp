// The safetensors format (Hugging Face), as laid out in a file:
//
//     bytes 0-7    N, the header length: an unsigned 64-bit little-endian integer
//     next N bytes the header: UTF-8 JSON starting with '{', possibly padded at the end with
//                  spaces, e.g.
//                      {"__metadata__": {"step": "1200"},
//                       "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}}
//     the rest     the data buffer. A tensor's data_offsets [begin, end) count bytes from the
//                  start of this buffer (not of the file); elements are little-endian, C order.
//
// A file is untrusted input: every number in the header is checked against the file before a
// single data byte is read, so a truncated or lying file is an error, never a read out of bounds.
#include "tensor/safetensors.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "tensor/atomic_file.hpp"
#include "tensor/file_format.hpp"
#include "tensor/json.hpp"

namespace qkv {

namespace {

// The reference reader's limit too; real headers are at most a few MB.
constexpr std::uint64_t max_header_bytes = 100'000'000;
constexpr std::size_t length_field_bytes = 8;
// The header's JSON tree is bounded, not only its text: "[1, 1, 1, ...]" costs ~40 bytes a
// value in memory for 3 in the file. A shape has at most 64 sizes (as in .npy; NumPy's own
// limit), a file at most 100,000 tensors (BERT-base has 200), and the whole header at most
// 2,000,000 values, so parsing the largest allowed header takes on the order of 100 MB.
constexpr std::size_t max_dims = 64;
constexpr std::size_t max_tensors = 100'000;
constexpr JsonLimits header_limits{.max_values = 2'000'000, .max_array_items = max_dims, .max_object_members = max_tensors + 1};

constexpr FileFormat safetensors{"safetensors", "load_safetensors"};

template <class... Parts>
[[noreturn]] void bad_entry(const std::string& path, const std::string& name, Parts&&... parts) {
    safetensors.bad_file(path, "tensor '", name, "' ", std::forward<Parts>(parts)...);
}

struct NamedDType {
    const char* name;
    DType dtype;
};
constexpr NamedDType safetensors_dtypes[] = {
    {"F32", DType::Float32}, {"F64", DType::Float64}, {"I64", DType::Int64}, {"BOOL", DType::Bool}};

const char* safetensors_name(DType dtype) {
    for (const auto& d : safetensors_dtypes)
        if (d.dtype == dtype) return d.name;
    return "?";
}

std::optional<DType> dtype_from_name(std::string_view name) {
    for (const auto& d : safetensors_dtypes)
        if (name == d.name) return d.dtype;
    return std::nullopt;
}

// ---- reading -----------------------------------------------------------------------------------

// One tensor of the header, checked: [begin, end) lies inside the data buffer and holds
// exactly numel * itemsize bytes.
struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::uint64_t begin = 0, end = 0;
};

// A JSON array of non-negative integers; `what` names it in errors.
std::vector<std::int64_t> parse_naturals(const Json& value, const char* what, const std::string& path,
                                         const std::string& name) {
    if (!value.is_array())
        bad_entry(path, name, "has ", what, " of the wrong type: expected an array of integers, got ",
                  json_kind_name(value.kind()));
    std::vector<std::int64_t> out;
    for (const Json& item : value.as_array()) {
        if (!item.is_int())
            bad_entry(path, name, "has ", what, " with ", json_kind_name(item.kind()), " where an integer belongs");
        if (item.as_int() < 0) bad_entry(path, name, "has ", what, " with a negative value ", item.as_int());
        out.push_back(item.as_int());
    }
    return out;
}

Entry parse_entry(const std::string& name, const Json& value, std::uint64_t buffer_size, const std::string& path) {
    if (!value.is_object())
        bad_entry(path, name, "must be an object with dtype, shape and data_offsets, got ", json_kind_name(value.kind()));
    for (const auto& member : value.as_object()) {
        const std::string& key = member.first;
        if (key != "dtype" && key != "shape" && key != "data_offsets") bad_entry(path, name, "has an unknown field '", key, "'");
    }
    auto field = [&](const char* key) -> const Json& {
        const Json* f = value.find(key);
        if (!f) bad_entry(path, name, "lacks the field '", key, "'");
        return *f;
    };

    Entry e;
    e.name = name;
    const Json& dtype = field("dtype");
    if (!dtype.is_string()) bad_entry(path, name, "has a dtype that is ", json_kind_name(dtype.kind()), ", not a string");
    const std::optional<DType> known = dtype_from_name(dtype.as_string());
    if (!known) bad_entry(path, name, "has unsupported dtype ", dtype.as_string(), " (supported: F32, F64, I64, BOOL)");
    e.dtype = *known;

    // Negative sizes are caught by parse_naturals; here the element and byte counts must fit.
    e.shape = parse_naturals(field("shape"), "a shape", path, name);
    std::uint64_t nbytes = dtype_size(e.dtype);
    for (auto s : e.shape) {
        if (s > 0 && nbytes > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(s))
            bad_entry(path, name, "has shape ", shape_str(e.shape), ", too large to address");
        nbytes *= static_cast<std::uint64_t>(s);
    }

    const std::vector<std::int64_t> offsets = parse_naturals(field("data_offsets"), "data_offsets", path, name);
    if (offsets.size() != 2) bad_entry(path, name, "has ", offsets.size(), " data_offsets; expected 2, [begin, end]");
    e.begin = static_cast<std::uint64_t>(offsets[0]);
    e.end = static_cast<std::uint64_t>(offsets[1]);
    if (e.begin > e.end) bad_entry(path, name, "has data_offsets [", e.begin, ", ", e.end, "] with begin after end");
    if (e.end > buffer_size)
        bad_entry(path, name, "has data_offsets [", e.begin, ", ", e.end, "] past the end of the ", buffer_size,
                  "-byte data buffer");
    if (e.end - e.begin != nbytes)
        bad_entry(path, name, "has data_offsets [", e.begin, ", ", e.end, "] holding ", e.end - e.begin,
                  " bytes, but shape ", shape_str(e.shape), " of ", safetensors_name(e.dtype), " needs ", nbytes);
    return e;
}

std::map<std::string, std::string> parse_metadata(const Json& value, const std::string& path) {
    if (!value.is_object())
        safetensors.bad_file(path, "__metadata__ must be an object mapping strings to strings, got ",
                             json_kind_name(value.kind()));
    std::map<std::string, std::string> out;
    for (const auto& [key, v] : value.as_object()) {
        if (!v.is_string())
            safetensors.bad_file(path, "__metadata__ must map strings to strings, but '", key, "' maps to ",
                                 json_kind_name(v.kind()));
        out.emplace(key, v.as_string());
    }
    return out;
}

// Two tensors sharing bytes would alias each other's data. Sorting by begin means each range
// only has to start at or after the end of the one before it. Empty ranges hold no bytes.
void check_no_overlap(std::vector<const Entry*> ranges, const std::string& path) {
    std::erase_if(ranges, [](const Entry* e) { return e->begin == e->end; });
    std::sort(ranges.begin(), ranges.end(), [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        const Entry& a = *ranges[i - 1];
        const Entry& b = *ranges[i];
        if (b.begin < a.end)
            safetensors.bad_file(path, "tensors '", a.name, "' (bytes ", a.begin, "..", a.end, ") and '", b.name,
                                 "' (bytes ", b.begin, "..", b.end, ") overlap");
    }
}

Tensor read_tensor(const Entry& e, const char* buffer) {
    Tensor t(e.shape, e.dtype);
    const std::size_t n = e.end - e.begin;
    if (n > 0) std::memcpy(t.storage()->bytes(), buffer + e.begin, n);
    if (e.dtype == DType::Bool) {
        // Make any non-zero byte 1, so a bool is always 0 or 1.
        std::uint8_t* b = t.data<std::uint8_t>();
        for (std::size_t i = 0; i < n; ++i) b[i] = b[i] != 0;
    }
    return t;
}

// A name save_safetensors could write back and a C string could hold: not empty, no U+0000.
const std::string& check_name(const std::string& name, const std::string& path) {
    if (name.empty()) safetensors.bad_file(path, "a tensor has the empty name \"\"");
    if (name.find('\0') != std::string::npos)
        safetensors.bad_file(path, "tensor name ", Json(name).dump(), " contains U+0000");
    return name;
}

// ---- writing -----------------------------------------------------------------------------------

void append_le64(std::string& out, std::uint64_t value) {
    for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>(value >> (8 * k) & 0xFF));
}

Json shape_json(const Shape& shape) {
    Json::Array sizes(shape.begin(), shape.end());
    return Json(std::move(sizes));
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
    safetensors.check_little_endian("load_safetensors");
    const std::string bytes = read_file(path, "load_safetensors", max_tensor_file_bytes);
    if (bytes.size() < length_field_bytes)
        safetensors.bad_file(path, "file has ", bytes.size(), " bytes, too few for the 8-byte header length");
    std::uint64_t header_len = 0;
    for (std::size_t k = length_field_bytes; k-- > 0;) header_len = header_len << 8 | static_cast<unsigned char>(bytes[k]);
    if (header_len > max_header_bytes)
        safetensors.bad_file(path, "header length ", header_len, " is absurd (the limit is ", max_header_bytes,
                             " bytes)");
    if (header_len > bytes.size() - length_field_bytes)
        safetensors.bad_file(path, "header length ", header_len, " runs past the end of the file (",
                             bytes.size() - length_field_bytes, " bytes follow the length)");
    const std::string_view header_text(bytes.data() + length_field_bytes, header_len);
    if (header_text.empty() || header_text[0] != '{') safetensors.bad_file(path, "header does not start with '{'");

    Json header;
    try {
        header = parse_json(header_text, header_limits);
    } catch (const Error& e) {
        safetensors.bad_file(path, "header is not valid JSON (", e.what(), ")");
    }

    const std::size_t data_start = length_field_bytes + header_len;
    const std::uint64_t buffer_size = bytes.size() - data_start;
    SafetensorsFile out;
    const std::size_t members = header.as_object().size();
    if (members - (header.find("__metadata__") ? 1 : 0) > max_tensors)
        safetensors.bad_file(path, "header lists more than ", max_tensors, " tensors");
    std::vector<Entry> entries;
    for (const auto& [name, value] : header.as_object()) {
        if (name == "__metadata__") out.metadata = parse_metadata(value, path);
        else entries.push_back(parse_entry(check_name(name, path), value, buffer_size, path));
    }
    std::vector<const Entry*> ranges;
    for (const Entry& e : entries) ranges.push_back(&e);
    check_no_overlap(std::move(ranges), path);

    for (const Entry& e : entries) out.tensors.emplace(e.name, read_tensor(e, bytes.data() + data_start));
    return out;
}

void save_safetensors(const std::string& path, const TensorMap& tensors, const std::map<std::string, std::string>& metadata) {
    safetensors.check_little_endian("save_safetensors");
    Json::Object header;
    if (!metadata.empty()) {
        Json::Object meta;
        for (const auto& [key, value] : metadata) meta.emplace_back(key, value);
        header.emplace_back("__metadata__", Json(std::move(meta)));
    }
    // The data follows the names' (std::map) order, each tensor right after the one before.
    std::string data;
    for (const auto& [name, t] : tensors) {
        if (name.empty()) fail("save_safetensors", "'", path, "': tensor names must not be empty");
        if (name.find('\0') != std::string::npos)
            fail("save_safetensors", "'", path, "': tensor name ", Json(name).dump(), " contains U+0000");
        if (name == "__metadata__")
            fail("save_safetensors", "'", path, "': the name __metadata__ is reserved for the metadata map");
        if (!t.defined()) fail("save_safetensors", "'", path, "': tensor '", name, "' is undefined");
        const std::size_t begin = data.size();
        append_elements(data, t);
        header.emplace_back(name, Json::object({{"dtype", safetensors_name(t.dtype())},
                                                {"shape", shape_json(t.shape())},
                                                {"data_offsets", Json::array({begin, data.size()})}}));
    }

    std::string header_text;
    try {
        header_text = Json(std::move(header)).dump();
    } catch (const Error& e) {
        fail("save_safetensors", "'", path, "': ", e.what());
    }
    // Spaces after the JSON make 8 + N a multiple of 8, so the data buffer starts 8-aligned.
    header_text.append((8 - header_text.size() % 8) % 8, ' ');

    std::string bytes;
    bytes.reserve(length_field_bytes + header_text.size() + data.size());
    append_le64(bytes, header_text.size());
    bytes += header_text;
    bytes += data;
    try {
        write_file_atomically(path, bytes);
    } catch (const Error& e) {
        fail("save_safetensors", e.what());
    }
}

}  // namespace qkv
