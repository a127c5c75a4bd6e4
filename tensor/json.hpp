// A small JSON value with a strict reader and a writer: enough for safetensors headers and for
// the benchmark's --json report.
//
// A Json holds one of: null, a boolean, an integer (int64), a number (double), a string, an
// array, an object. Integers are kept apart from doubles so that a byte offset such as
// 9007199254740993 survives a round trip exactly (a double holds only 53 bits of it); the
// reader makes an integer of any number written without '.', 'e' or 'E'.
//
// An object is a vector of (key, value) pairs in insertion order, not a std::map: the writer
// then emits keys in the order they were added (a report reads top to bottom as it was built)
// and the reader keeps the file's order. Lookup is a linear scan, which is what a handful of
// keys wants. Keys are unique: the reader rejects a repeated key (two readers could otherwise
// disagree on which one counts) and operator[] updates an existing key instead of adding one.
//
// Building a value:
//     Json report = Json::object({{"op", "matmul"}, {"n", 512}, {"gflops", 3.25}});
//     report["runs"].push_back(Json::array({1.5, 1.25}));
//     std::cout << report.dump(2);
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "tensor/error.hpp"

namespace qkv {

class Json {
public:
    using Array = std::vector<Json>;
    using Object = std::vector<std::pair<std::string, Json>>;
    enum class Kind : std::uint8_t { Null, Bool, Int, Double, String, Array, Object };

    Json() = default;  // null
    Json(std::nullptr_t) {}
    Json(bool b) : value_(b) {}
    template <std::integral I>
        requires(!std::same_as<I, bool> && !std::same_as<I, char>)  // Json('a') is not 97
    Json(I i) : value_(checked_int(i)) {}
    template <std::floating_point F> Json(F x) : value_(static_cast<double>(x)) {}
    Json(const char* s) : value_(std::string(s)) {}
    Json(std::string s) : value_(std::move(s)) {}
    Json(std::string_view s) : value_(std::string(s)) {}
    Json(Array a) : value_(std::move(a)) {}
    Json(Object o) : value_(std::move(o)) {}

    static Json array(std::initializer_list<Json> items = {});
    // Throws on a repeated key.
    static Json object(std::initializer_list<std::pair<std::string, Json>> members = {});

    // ---- what it is ------------------------------------------------------------------------
    Kind kind() const { return static_cast<Kind>(value_.index()); }
    bool is_null() const { return kind() == Kind::Null; }
    bool is_bool() const { return kind() == Kind::Bool; }
    bool is_int() const { return kind() == Kind::Int; }
    bool is_number() const { return kind() == Kind::Int || kind() == Kind::Double; }  // int or double
    bool is_string() const { return kind() == Kind::String; }
    bool is_array() const { return kind() == Kind::Array; }
    bool is_object() const { return kind() == Kind::Object; }

    // ---- reading: each throws "Json: expected a string, got an integer" on the wrong kind ----
    bool as_bool() const;
    std::int64_t as_int() const;
    double as_double() const;  // an integer converts
    const std::string& as_string() const;
    const Array& as_array() const;
    Array& as_array();
    const Object& as_object() const;
    Object& as_object();
    // The member named `key`, or nullptr when there is none (throws if this is not an object).
    const Json* find(std::string_view key) const;
    // Array element `index`; throws if this is not an array or the index is out of range.
    const Json& operator[](std::size_t index) const;
    Json& operator[](std::size_t index);

    // ---- building ----------------------------------------------------------------------------
    // The member named `key`, added as null at the end if missing; a null value becomes {} first.
    Json& operator[](std::string_view key);
    // Appends to an array; a null value becomes [] first.
    void push_back(Json item);

    // ---- writing -----------------------------------------------------------------------------
    // indent 0: compact, no spaces. indent > 0: one member per line, nested `indent` spaces deeper.
    // Throws for NaN or infinity (JSON has no spelling for them) and for strings that are not
    // valid UTF-8. Integral doubles are written with ".0" so they read back as doubles.
    std::string dump(int indent = 0) const;

    // Same kind and same contents (so Json(1) != Json(1.0)); object member order matters.
    bool operator==(const Json& other) const = default;

private:
    template <class I> static std::int64_t checked_int(I i) {
        if (!std::in_range<std::int64_t>(i)) fail("Json", "integer ", i, " does not fit in int64");
        return static_cast<std::int64_t>(i);
    }

    // The alternatives' order matches Kind.
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Array, Object> value_;
};

// "null", "a boolean", "an integer", "a number", "a string", "an array", "an object".
const char* json_kind_name(Json::Kind kind);

// Nesting deeper than this is rejected, so hostile input cannot exhaust the stack of the
// recursive reader.
inline constexpr int json_max_depth = 64;

// Parses a whole JSON text (RFC 8259; surrounding whitespace allowed). Strict: no comments, no
// trailing commas, no NaN, no single quotes, no leading zeros, no raw control characters in
// strings, valid UTF-8 only, no repeated object keys, integers must fit in int64. Errors read
// "parse_json: byte 12: expected ':' after an object key, got '1'".
Json parse_json(std::string_view text);

// Bounds for untrusted text whose tree would otherwise cost far more than the text: "[[],[],..."
// is 3 bytes a value in the text and ~40 in the tree. A reader that knows its format (a
// safetensors header: shapes of at most 64 sizes) passes tight ones; past a bound parse_json
// throws "parse_json: byte 12: more than 64 items in one array" before building more.
struct JsonLimits {
    std::size_t max_values = static_cast<std::size_t>(-1);       // every value, nested ones included
    std::size_t max_array_items = static_cast<std::size_t>(-1);  // items of any one array
    std::size_t max_object_members = static_cast<std::size_t>(-1);  // members of any one object
};
Json parse_json(std::string_view text, const JsonLimits& limits);

std::ostream& operator<<(std::ostream& out, const Json& value);  // compact dump()

}  // namespace qkv
