#include <doctest/doctest.h>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tensor/json.hpp"

using qkv::Json;
using qkv::parse_json;

namespace {

// Every way a test expects parsing to fail: the input and a piece of the message.
struct BadInput {
    std::string text;
    const char* message;
};

}  // namespace

TEST_SUITE("tensor") {

TEST_CASE("parse_json reads every kind of value") {
    const Json v = parse_json(
        R"( {"n": null, "t": true, "f": false, "i": -42, "x": 2.5e3, "s": "hi", "a": [1, [], {}], "o": {"k": "v"}} )");
    REQUIRE(v.is_object());
    CHECK(v.as_object().size() == 8);
    CHECK(v.find("n")->is_null());
    CHECK(v.find("t")->as_bool() == true);
    CHECK(v.find("f")->as_bool() == false);
    CHECK(v.find("i")->as_int() == -42);
    CHECK(v.find("x")->kind() == Json::Kind::Double);
    CHECK(v.find("x")->as_double() == 2500.0);
    CHECK(v.find("s")->as_string() == "hi");
    const Json::Array& a = v.find("a")->as_array();
    REQUIRE(a.size() == 3);
    CHECK(a[0].as_int() == 1);
    CHECK(a[1].as_array().empty());
    CHECK(a[2].as_object().empty());
    CHECK(v.find("o")->find("k")->as_string() == "v");
    CHECK(v.find("missing") == nullptr);
}

TEST_CASE("parse_json keeps object members in the order of the text") {
    const Json v = parse_json(R"({"b": 1, "a": 2, "c": 3})");
    const Json::Object& members = v.as_object();
    REQUIRE(members.size() == 3);
    CHECK(members[0].first == "b");
    CHECK(members[1].first == "a");
    CHECK(members[2].first == "c");
}

TEST_CASE("parse_json makes integers of numbers without a fraction or exponent") {
    CHECK(parse_json("3").kind() == Json::Kind::Int);
    CHECK(parse_json("-0").as_int() == 0);
    CHECK(parse_json("3.0").kind() == Json::Kind::Double);
    CHECK(parse_json("3e0").kind() == Json::Kind::Double);
    CHECK(parse_json("-1.25E-2").as_double() == -0.0125);
    // 2^53 + 1 has no exact double; as an integer it survives.
    CHECK(parse_json("9007199254740993").as_int() == 9007199254740993);
}

TEST_CASE("parse_json reads integers at the int64 limits and rejects one past them") {
    CHECK(parse_json("9223372036854775807").as_int() == std::numeric_limits<std::int64_t>::max());
    CHECK(parse_json("-9223372036854775808").as_int() == std::numeric_limits<std::int64_t>::min());
    CHECK_THROWS_WITH_AS(parse_json("9223372036854775808"),
                         "parse_json: byte 0: integer 9223372036854775808 does not fit in 64 bits", qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json("[-9223372036854775809]"),
                         "parse_json: byte 1: integer -9223372036854775809 does not fit in 64 bits", qkv::Error);
}

TEST_CASE("parse_json decodes escapes and turns u-escapes and surrogate pairs into UTF-8") {
    CHECK(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")").as_string() == "a\"b\\c/d\b\f\n\r\t");
    CHECK(parse_json(R"("\u0041")").as_string() == "A");
    // U+00E9 = 000 1110 1001 -> 110.00011 10.101001 = C3 A9
    CHECK(parse_json(R"("\u00e9")").as_string() == "\xC3\xA9");
    // U+20AC = 0010 000010 101100 -> 1110.0010 10.000010 10.101100 = E2 82 AC
    CHECK(parse_json(R"("\u20AC")").as_string() == "\xE2\x82\xAC");
    // D83D DE00: 0x10000 + 0x3D * 0x400 + 0x200 = U+1F600 -> F0 9F 98 80
    CHECK(parse_json(R"("\ud83d\ude00")").as_string() == "\xF0\x9F\x98\x80");
    CHECK(parse_json(R"("\u0000")").as_string() == std::string(1, '\0'));
    CHECK(parse_json("\"h\xC3\xA9\"").as_string() == "h\xC3\xA9");  // raw UTF-8 passes through
}

TEST_CASE("parse_json rejects lone surrogates") {
    CHECK_THROWS_WITH_AS(parse_json(R"("\ud83d")"), doctest::Contains("high surrogate without a low one"), qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json(R"("\ud83d\u0041")"), doctest::Contains("high surrogate without a low one"),
                         qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json(R"("x\ude00")"), "parse_json: byte 2: \\u escape is a low surrogate without a high one before it",
                         qkv::Error);
}

TEST_CASE("parse_json errors name the byte where the text went wrong") {
    // {"a" 1}: '{' is byte 0, '"a"' bytes 1-3, the space 4, '1' byte 5.
    CHECK_THROWS_WITH_AS(parse_json(R"({"a" 1})"), "parse_json: byte 5: expected ':' after an object key, got '1'",
                         qkv::Error);
    // [1, 2,]: ']' is byte 6.
    CHECK_THROWS_WITH_AS(parse_json("[1, 2,]"), "parse_json: byte 6: expected a value, got ']'", qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json("[1 2]"), "parse_json: byte 3: expected ']' or ',' in an array, got '2'", qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json(R"({"a":1}x)"), "parse_json: byte 7: unexpected 'x' after the JSON value", qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json(""), "parse_json: byte 0: expected a value, got end of input", qkv::Error);
    CHECK_THROWS_WITH_AS(parse_json(R"("abc)"), "parse_json: byte 4: unterminated string", qkv::Error);
}

TEST_CASE("parse_json rejects what strict JSON forbids") {
    const std::vector<BadInput> cases = {
        {"01", "leading zeros"},
        {"[1,]", "expected a value, got ']'"},
        {"{'a': 1}", "expected a string key"},
        {R"({"a": 1,})", "expected a string key"},
        {"NaN", "expected a value"},
        {"tru", "expected a value"},
        {"1.", "expected a digit after '.'"},
        {"-", "expected a digit"},
        {"1e", "expected a digit in the exponent"},
        {"+1", "expected a value"},
        {"1e999", "out of the range of a double"},
        {"// note\n1", "expected a value"},
        {"[1] [2]", "after the JSON value"},
        {"\"a\tb\"", "control character 0x09 must be escaped"},
        {"\"\xFF\"", "invalid UTF-8"},
        {"\"\xC0\xAF\"", "invalid UTF-8"},      // overlong encoding of '/'
        {"\"\xED\xA0\x80\"", "invalid UTF-8"},  // UTF-16 surrogate encoded as UTF-8
        {"\"\xF4\x90\x80\x80\"", "invalid UTF-8"},  // above U+10FFFF
        {"\"\xE2\x82\"", "invalid UTF-8"},      // cut short
        {R"("\x41")", "unknown escape sequence in a string: '\\x'"},
        {R"("\u12G4")", "expected 4 hex digits after \\u, got 'G'"},
        {R"({"a": 1, "a": 2})", "byte 0: object has the key \"a\" twice"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        CHECK_THROWS_WITH_AS(parse_json(c.text), doctest::Contains(c.message), qkv::Error);
    }
}

TEST_CASE("parse_json accepts nesting 64 levels deep and rejects 65") {
    Json v = parse_json(std::string(64, '[') + std::string(64, ']'));
    int depth = 0;
    for (const Json* p = &v; p->is_array(); p = &p->as_array()[0]) {
        ++depth;
        if (p->as_array().empty()) break;
    }
    CHECK(depth == 64);
    CHECK_THROWS_WITH_AS(parse_json(std::string(65, '[') + std::string(65, ']')),
                         "parse_json: byte 64: arrays and objects nested deeper than 64 levels", qkv::Error);
    // Hostile input: a million levels must fail cleanly, not overflow the stack.
    CHECK_THROWS_WITH_AS(parse_json(std::string(1000000, '[')), doctest::Contains("nested deeper than 64"), qkv::Error);
    std::string objects;
    for (int i = 0; i < 200000; ++i) objects += R"({"a":)";
    CHECK_THROWS_WITH_AS(parse_json(objects), doctest::Contains("nested deeper than 64"), qkv::Error);
}

TEST_CASE("Json::dump writes compact JSON in insertion order") {
    const Json v = Json::object({{"b", 1}, {"a", Json::array({true, nullptr, 2.5, "x"})}, {"e", Json::object()}});
    CHECK(v.dump() == R"({"b":1,"a":[true,null,2.5,"x"],"e":{}})");
}

TEST_CASE("Json::dump indents nested values one level per depth") {
    const Json v = Json::object({{"op", "matmul"}, {"sizes", Json::array({2, 3})}, {"empty", Json::array()}});
    CHECK(v.dump(2) ==
          "{\n"
          "  \"op\": \"matmul\",\n"
          "  \"sizes\": [\n"
          "    2,\n"
          "    3\n"
          "  ],\n"
          "  \"empty\": []\n"
          "}");
}

TEST_CASE("Json::dump escapes quotes and backslashes and control characters") {
    CHECK(Json("a\"b\\c\nd\x01\x1f\te/").dump() == R"("a\"b\\c\nd\u0001\u001f\te/")");
    CHECK(Json("\b\f\r").dump() == R"("\b\f\r")");
    CHECK(Json("h\xC3\xA9").dump() == "\"h\xC3\xA9\"");  // UTF-8 is written as it is
    CHECK(Json(std::string(1, '\0')).dump() == R"("\u0000")");
}

TEST_CASE("Json::dump writes doubles that read back bit for bit and stay doubles") {
    CHECK(Json(0.1).dump() == "0.1");
    CHECK(Json(1.0).dump() == "1.0");
    CHECK(Json(-2.0).dump() == "-2.0");
    CHECK(Json(1e300).dump() == "1e+300");
    CHECK(Json(1.5f).dump() == "1.5");
    for (double x : {0.1, 1.0 / 3.0, 5e-324, 1.7976931348623157e308, -0.0, 123456789.0}) {
        CAPTURE(x);
        const Json back = parse_json(Json(x).dump());
        CHECK(back.kind() == Json::Kind::Double);
        CHECK(std::bit_cast<std::uint64_t>(back.as_double()) == std::bit_cast<std::uint64_t>(x));
    }
}

TEST_CASE("Json::dump rejects NaN and infinity and strings that are not UTF-8") {
    CHECK_THROWS_WITH_AS(Json(std::numeric_limits<double>::quiet_NaN()).dump(),
                         doctest::Contains("JSON has no NaN or infinity"), qkv::Error);
    CHECK_THROWS_WITH_AS(Json::array({-std::numeric_limits<double>::infinity()}).dump(),
                         doctest::Contains("JSON has no NaN or infinity"), qkv::Error);
    CHECK_THROWS_WITH_AS(Json("ab\xFF").dump(), "Json::dump: string is not valid UTF-8 (byte 0xff at position 2)",
                         qkv::Error);
}

TEST_CASE("dump then parse_json gives back the same value") {
    const Json v = Json::object({
        {"name", "attention \"head\" \xE2\x82\xAC"},
        {"ints", Json::array({0, -1, std::numeric_limits<std::int64_t>::max()})},
        {"nested", Json::object({{"x", 0.25}, {"flags", Json::array({true, false, nullptr})}, {"none", Json::object()}})},
        {"empty", ""},
    });
    CHECK(parse_json(v.dump()) == v);
    CHECK(parse_json(v.dump(4)) == v);
}

TEST_CASE("Json builds objects by key and arrays with push_back") {
    Json report;
    report["op"] = "softmax";
    report["n"] = 3;
    report["op"] = "matmul";  // an existing key is updated in place, not added again
    report["runs"].push_back(1.5);
    report["runs"].push_back(2);
    CHECK(report.dump() == R"({"op":"matmul","n":3,"runs":[1.5,2]})");
}

TEST_CASE("Json indexes arrays by position and checks the index") {
    Json a = Json::array({10, "x"});
    CHECK(a[0].as_int() == 10);
    CHECK(a[1].as_string() == "x");
    a[0] = 11;
    CHECK(a.dump() == R"([11,"x"])");
    const Json& c = a;
    CHECK_THROWS_WITH_AS(c[2], "Json: index 2 out of range for an array of 2", qkv::Error);
    CHECK_THROWS_WITH_AS(Json::object()[0], "Json: expected an array, got an object", qkv::Error);
}

TEST_CASE("Json keeps integers and doubles apart") {
    CHECK(Json(1) != Json(1.0));
    CHECK(Json(1) == Json(std::int64_t{1}));
    CHECK(Json(2).as_double() == 2.0);
    CHECK_THROWS_WITH_AS(Json(1.5).as_int(), "Json: expected an integer, got a number", qkv::Error);
}

TEST_CASE("Json accessors reject the wrong kind") {
    CHECK_THROWS_WITH_AS(Json(1).as_string(), "Json: expected a string, got an integer", qkv::Error);
    CHECK_THROWS_WITH_AS(Json("x").as_int(), "Json: expected an integer, got a string", qkv::Error);
    CHECK_THROWS_WITH_AS(Json(true).find("a"), "Json: expected an object, got a boolean", qkv::Error);
    CHECK_THROWS_WITH_AS(Json().as_array(), "Json: expected an array, got null", qkv::Error);
    CHECK_THROWS_WITH_AS(Json(1)["a"], "Json: expected an object, got an integer", qkv::Error);
}

TEST_CASE("Json rejects a repeated key in an object literal and integers beyond int64") {
    CHECK_THROWS_WITH_AS(Json::object({{"a", 1}, {"a", 2}}), "Json::object: key \"a\" appears twice", qkv::Error);
    CHECK_THROWS_WITH_AS(Json{std::numeric_limits<std::uint64_t>::max()},
                         "Json: integer 18446744073709551615 does not fit in int64", qkv::Error);
}

}  // TEST_SUITE
