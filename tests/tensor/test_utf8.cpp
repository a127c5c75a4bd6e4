// The one UTF-8 codec (tensor/utf8.hpp) that the JSON reader and the tokenizers share: the
// boundaries of each sequence length, and every kind of invalid input (overlong forms,
// surrogates, code points above U+10FFFF, bad lead bytes, sequences cut short). Expected bytes
// are written out from the UTF-8 table in tensor/utf8.hpp.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "tensor/error.hpp"
#include "tensor/json.hpp"
#include "tensor/utf8.hpp"

using namespace qkv;

namespace {

struct Encoded {
    char32_t code_point;
    std::string bytes;
};

// The first and last code point of each length, and both sides of the surrogate gap.
const std::vector<Encoded> boundaries = {
    {0x0000, std::string(1, '\0')},   {0x007F, "\x7F"},
    {0x0080, "\xC2\x80"},             {0x07FF, "\xDF\xBF"},
    {0x0800, "\xE0\xA0\x80"},         {0xD7FF, "\xED\x9F\xBF"},
    {0xE000, "\xEE\x80\x80"},         {0xFFFF, "\xEF\xBF\xBF"},
    {0x10000, "\xF0\x90\x80\x80"},    {0x10FFFF, "\xF4\x8F\xBF\xBF"},
};

struct Invalid {
    std::string bytes;
    const char* reason;
};

const std::vector<Invalid> invalid = {
    {"\x80", "unexpected continuation byte 0x80"},
    {"\xBF", "unexpected continuation byte 0xBF"},
    {"\xF8\x88\x80\x80\x80", "invalid lead byte 0xF8"},
    {"\xFF", "invalid lead byte 0xFF"},
    {"\xC0\x80", "overlong 2-byte encoding of U+0000"},
    {"\xC1\xBF", "overlong 2-byte encoding of U+007F"},
    {"\xE0\x9F\xBF", "overlong 3-byte encoding of U+07FF"},
    {"\xF0\x8F\xBF\xBF", "overlong 4-byte encoding of U+FFFF"},
    {"\xED\xA0\x80", "encoded UTF-16 surrogate U+D800"},
    {"\xED\xBF\xBF", "encoded UTF-16 surrogate U+DFFF"},
    {"\xF4\x90\x80\x80", "code point U+110000 is above U+10FFFF"},
    {"\xF7\xBF\xBF\xBF", "code point U+1FFFFF is above U+10FFFF"},
    {"\xC3", "a 2-byte sequence is cut short by the end of the text"},
    {"\xF0\x9F\x98", "a 4-byte sequence is cut short by the end of the text"},
    {"\xE5\x41", "a 3-byte sequence is cut short by byte 0x41"},
    {"\xF0\x9F\xC0\x80", "a 4-byte sequence is cut short by byte 0xC0"},
};

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("utf8 encodes and decodes the first and last code point of each length") {
    for (const Encoded& e : boundaries) {  // (not structured bindings: Clang 14's INFO cannot capture them)
        INFO("code point ", static_cast<unsigned>(e.code_point));
        CHECK(utf8_encode(e.code_point) == e.bytes);
        const Utf8Char one = utf8_decode_one(e.bytes, 0);
        CHECK(one.error.empty());
        CHECK(one.code_point == e.code_point);
        CHECK(one.length == e.bytes.size());
    }
    std::u32string all;
    std::string joined;
    for (const Encoded& e : boundaries) all += e.code_point, joined += e.bytes;
    CHECK(utf8_decode(joined) == all);
    CHECK(utf8_encode(all) == joined);
    CHECK(utf8_is_valid(joined));
}

TEST_CASE("utf8 rejects overlong forms, surrogates, values above U+10FFFF and cut-short sequences") {
    for (const Invalid& bad : invalid) {
        const std::string& bytes = bad.bytes;
        const char* reason = bad.reason;
        INFO("bytes of length ", bytes.size(), ", expected: ", reason);
        const Utf8Char one = utf8_decode_one(bytes, 0);
        CHECK(one.length == 0);
        CHECK(one.error == reason);
        // The offset is named, and the same bytes behind valid text are found at that offset.
        const std::string message = "utf8_decode: invalid UTF-8 at byte 2: " + std::string(reason);
        CHECK_THROWS_WITH_AS(utf8_decode("ok" + bytes), message.c_str(), Error);
        CHECK(utf8_find_invalid("ok" + bytes) == std::optional<std::size_t>(2));
        CHECK_FALSE(utf8_is_valid(bytes));
        // JSON refuses the same bytes inside a string, reading and writing.
        CHECK_THROWS_WITH_AS(parse_json("\"" + bytes + "\""), doctest::Contains("invalid UTF-8"), Error);
        CHECK_THROWS_WITH_AS(Json(bytes).dump(), doctest::Contains("not valid UTF-8"), Error);
    }
}

TEST_CASE("utf8 refuses to encode surrogates and values above U+10FFFF") {
    for (char32_t c : {char32_t{0xD800}, char32_t{0xDFFF}, char32_t{0x110000}}) {
        INFO("code point ", static_cast<unsigned>(c));
        CHECK_THROWS_WITH_AS(utf8_encode(c), doctest::Contains("is not a Unicode scalar value"), Error);
    }
    CHECK_THROWS_WITH_AS(utf8_encode(char32_t{0xD800}),
                         "utf8_encode: U+D800 is not a Unicode scalar value (a surrogate or above U+10FFFF)", Error);
    std::string out = "a";
    CHECK_THROWS_AS(utf8_append(out, 0x110000), Error);
    CHECK(out == "a");  // nothing half-written
}

TEST_CASE("JSON's u-escapes become the codec's bytes") {
    CHECK(parse_json("\"\\u00e9\"").as_string() == utf8_encode(0xE9));
    CHECK(parse_json("\"\\uffff\"").as_string() == utf8_encode(0xFFFF));
    CHECK(parse_json("\"\\ud83d\\ude00\"").as_string() == utf8_encode(0x1F600));  // a surrogate pair
    CHECK(parse_json("\"\\udbff\\udfff\"").as_string() == utf8_encode(0x10FFFF));
}

}  // TEST_SUITE
