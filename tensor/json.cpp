#include "tensor/json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>

#include "tensor/utf8.hpp"

namespace qkv {

// ---- the value ---------------------------------------------------------------------------------

const char* json_kind_name(Json::Kind kind) {
    switch (kind) {
        case Json::Kind::Null: return "null";
        case Json::Kind::Bool: return "a boolean";
        case Json::Kind::Int: return "an integer";
        case Json::Kind::Double: return "a number";
        case Json::Kind::String: return "a string";
        case Json::Kind::Array: return "an array";
        case Json::Kind::Object: return "an object";
    }
    return "?";
}

namespace {

[[noreturn]] void wrong_kind(Json::Kind want, Json::Kind got) {
    fail("Json", "expected ", json_kind_name(want), ", got ", json_kind_name(got));
}

// Sorting pointers to the keys finds a repeated key in O(n log n): a linear scan per key would
// let a hostile header with a million keys cost 10^12 comparisons.
const std::string* first_repeated_key(const Json::Object& members) {
    std::vector<const std::string*> keys;
    keys.reserve(members.size());
    for (const auto& [key, value] : members) keys.push_back(&key);
    std::sort(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a < *b; });
    auto same = std::adjacent_find(keys.begin(), keys.end(), [](auto* a, auto* b) { return *a == *b; });
    return same == keys.end() ? nullptr : *same;
}

}  // namespace

Json Json::array(std::initializer_list<Json> items) { return Json(Array(items)); }

Json Json::object(std::initializer_list<std::pair<std::string, Json>> members) {
    Object o(members);
    if (const std::string* key = first_repeated_key(o)) fail("Json::object", "key \"", *key, "\" appears twice");
    return Json(std::move(o));
}

bool Json::as_bool() const {
    if (!is_bool()) wrong_kind(Kind::Bool, kind());
    return std::get<bool>(value_);
}

std::int64_t Json::as_int() const {
    if (!is_int()) wrong_kind(Kind::Int, kind());
    return std::get<std::int64_t>(value_);
}

double Json::as_double() const {
    if (is_int()) return static_cast<double>(std::get<std::int64_t>(value_));
    if (kind() != Kind::Double) wrong_kind(Kind::Double, kind());
    return std::get<double>(value_);
}

const std::string& Json::as_string() const {
    if (!is_string()) wrong_kind(Kind::String, kind());
    return std::get<std::string>(value_);
}

const Json::Array& Json::as_array() const {
    if (!is_array()) wrong_kind(Kind::Array, kind());
    return std::get<Array>(value_);
}

Json::Array& Json::as_array() {
    if (!is_array()) wrong_kind(Kind::Array, kind());
    return std::get<Array>(value_);
}

const Json::Object& Json::as_object() const {
    if (!is_object()) wrong_kind(Kind::Object, kind());
    return std::get<Object>(value_);
}

Json::Object& Json::as_object() {
    if (!is_object()) wrong_kind(Kind::Object, kind());
    return std::get<Object>(value_);
}

const Json* Json::find(std::string_view key) const {
    for (const auto& [k, v] : as_object())
        if (k == key) return &v;
    return nullptr;
}

const Json& Json::operator[](std::size_t index) const {
    const Array& items = as_array();
    if (index >= items.size()) fail("Json", "index ", index, " out of range for an array of ", items.size());
    return items[index];
}

Json& Json::operator[](std::size_t index) {
    return const_cast<Json&>(static_cast<const Json&>(*this)[index]);
}

Json& Json::operator[](std::string_view key) {
    if (is_null()) value_ = Object{};
    Object& members = as_object();
    for (auto& [k, v] : members)
        if (k == key) return v;
    members.emplace_back(std::string(key), Json());
    return members.back().second;
}

void Json::push_back(Json item) {
    if (is_null()) value_ = Array{};
    as_array().push_back(std::move(item));
}

// ---- UTF-8 -------------------------------------------------------------------------------------

namespace {

// Strings are checked and \u escapes written by the one UTF-8 codec (tensor/utf8.hpp): a string
// holds well-formed UTF-8 only (no overlong forms, surrogates or code points above U+10FFFF).
// The length of the sequence starting at s[i], 0 if it is not valid there.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
    return static_cast<unsigned char>(s[i]) < 0x80 ? 1 : utf8_decode_one(s, i).length;
}

std::string hex_byte(unsigned char c) {
    const char* digits = "0123456789abcdef";
    return {'0', 'x', digits[c >> 4], digits[c & 15]};
}

// ---- the reader --------------------------------------------------------------------------------

// Recursive descent, one function per grammar rule. `pos_` is the byte being looked at; every
// error names it. `depth` counts the arrays and objects we are inside.
class Parser {
public:
    Parser(std::string_view text, const JsonLimits& limits) : text_(text), limits_(limits) {}

    Json parse_document() {
        skip_whitespace();
        Json value = parse_value(0);
        skip_whitespace();
        if (pos_ < text_.size()) error("unexpected ", describe_here(), " after the JSON value");
        return value;
    }

private:
    template <class... Parts> [[noreturn]] void error(Parts&&... parts) const {
        fail("parse_json", "byte ", pos_, ": ", std::forward<Parts>(parts)...);
    }

    std::string describe_here() const {
        if (pos_ >= text_.size()) return "end of input";
        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
        return "byte " + hex_byte(c);
    }

    bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
    bool at_digit() const { return pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; }

    void expect(char c, const char* context) {
        if (!at(c)) error("expected '", c, "' ", context, ", got ", describe_here());
        ++pos_;
    }

    void skip_whitespace() {
        while (at(' ') || at('\t') || at('\n') || at('\r')) ++pos_;
    }

    Json parse_value(int depth) {
        if (pos_ >= text_.size()) error("expected a value, got end of input");
        if (++values_ > limits_.max_values) error("more than ", limits_.max_values, " values in the text");
        switch (text_[pos_]) {
            case '{': return parse_object(depth + 1);
            case '[': return parse_array(depth + 1);
            case '"': return Json(parse_string());
            case 't': parse_word("true"); return Json(true);
            case 'f': parse_word("false"); return Json(false);
            case 'n': parse_word("null"); return Json();
            default:
                if (at('-') || at_digit()) return parse_number();
                error("expected a value, got ", describe_here());
        }
    }

    void check_depth(int depth) const {
        if (depth > json_max_depth) error("arrays and objects nested deeper than ", json_max_depth, " levels");
    }

    Json parse_object(int depth) {
        check_depth(depth);
        const std::size_t start = pos_;
        ++pos_;  // '{'
        Json::Object members;
        skip_whitespace();
        if (at('}')) {
            ++pos_;
            return Json(std::move(members));
        }
        while (true) {
            skip_whitespace();
            if (!at('"')) error("expected a string key in an object, got ", describe_here());
            std::string key = parse_string();
            skip_whitespace();
            expect(':', "after an object key");
            skip_whitespace();
            if (members.size() == limits_.max_object_members)
                error("more than ", limits_.max_object_members, " members in one object");
            members.emplace_back(std::move(key), parse_value(depth));
            skip_whitespace();
            if (at(',')) {
                ++pos_;
                continue;
            }
            expect('}', "or ',' in an object");
            break;
        }
        if (const std::string* key = first_repeated_key(members))
            fail("parse_json", "byte ", start, ": object has the key \"", *key, "\" twice");
        return Json(std::move(members));
    }

    Json parse_array(int depth) {
        check_depth(depth);
        ++pos_;  // '['
        Json::Array items;
        skip_whitespace();
        if (at(']')) {
            ++pos_;
            return Json(std::move(items));
        }
        while (true) {
            skip_whitespace();
            if (items.size() == limits_.max_array_items) error("more than ", limits_.max_array_items, " items in one array");
            items.push_back(parse_value(depth));
            skip_whitespace();
            if (at(',')) {
                ++pos_;
                continue;
            }
            expect(']', "or ',' in an array");
            return Json(std::move(items));
        }
    }

    void parse_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) error("expected a value, got ", describe_here());
        pos_ += word.size();
    }

    // number = [-] (0 | [1-9][0-9]*) [. [0-9]+] [(e|E) [+|-] [0-9]+]
    Json parse_number() {
        const std::size_t start = pos_;
        bool integral = true;
        if (at('-')) ++pos_;
        if (!at_digit()) error("expected a digit, got ", describe_here());
        if (at('0')) {
            ++pos_;
            if (at_digit()) error("numbers may not have leading zeros");
        }
        while (at_digit()) ++pos_;
        if (at('.')) {
            integral = false;
            ++pos_;
            if (!at_digit()) error("expected a digit after '.', got ", describe_here());
            while (at_digit()) ++pos_;
        }
        if (at('e') || at('E')) {
            integral = false;
            ++pos_;
            if (at('+') || at('-')) ++pos_;
            if (!at_digit()) error("expected a digit in the exponent, got ", describe_here());
            while (at_digit()) ++pos_;
        }
        const char* first = text_.data() + start;
        const char* last = text_.data() + pos_;
        const std::string_view lexeme(first, pos_ - start);
        if (integral) {
            std::int64_t i = 0;
            if (std::from_chars(first, last, i).ec != std::errc{})
                fail("parse_json", "byte ", start, ": integer ", lexeme, " does not fit in 64 bits");
            return Json(i);
        }
        double x = 0;
        if (std::from_chars(first, last, x).ec != std::errc{})
            fail("parse_json", "byte ", start, ": number ", lexeme, " is out of the range of a double");
        return Json(x);
    }

    std::string parse_string() {
        ++pos_;  // '"'
        std::string out;
        while (true) {
            if (pos_ >= text_.size()) error("unterminated string");
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == '\\') {
                parse_escape(out);
            } else if (c < 0x20) {
                error("control character ", hex_byte(c), " must be escaped in a string");
            } else {
                const std::size_t n = utf8_sequence_length(text_, pos_);
                if (n == 0) error("invalid UTF-8 in a string");
                out.append(text_, pos_, n);
                pos_ += n;
            }
        }
    }

    void parse_escape(std::string& out) {
        ++pos_;  // '\'
        if (pos_ >= text_.size()) error("unterminated string");
        const char c = text_[pos_++];
        switch (c) {
            case '"': out += '"'; return;
            case '\\': out += '\\'; return;
            case '/': out += '/'; return;
            case 'b': out += '\b'; return;
            case 'f': out += '\f'; return;
            case 'n': out += '\n'; return;
            case 'r': out += '\r'; return;
            case 't': out += '\t'; return;
            case 'u': utf8_append(out, parse_unicode_escape()); return;
            default: pos_ -= 2; error("unknown escape sequence in a string: '\\", c, "'");
        }
    }

    // After "\u": four hex digits. Code points above U+FFFF come as a UTF-16 surrogate pair,
    // \uD8xx-\uDBxx then \uDCxx-\uDFxx, meaning 0x10000 + (high - 0xD800) * 0x400 + (low - 0xDC00).
    char32_t parse_unicode_escape() {
        const std::size_t start = pos_ - 2;
        const char32_t unit = parse_hex4();
        if (unit >= 0xDC00 && unit <= 0xDFFF)
            fail("parse_json", "byte ", start, ": \\u escape is a low surrogate without a high one before it");
        if (unit < 0xD800 || unit > 0xDBFF) return unit;
        if (text_.substr(pos_, 2) != "\\u")
            fail("parse_json", "byte ", start, ": \\u escape is a high surrogate without a low one after it");
        pos_ += 2;
        const char32_t low = parse_hex4();
        if (low < 0xDC00 || low > 0xDFFF)
            fail("parse_json", "byte ", start, ": \\u escape is a high surrogate without a low one after it");
        return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }

    char32_t parse_hex4() {
        char32_t value = 0;
        for (int k = 0; k < 4; ++k) {
            if (pos_ >= text_.size()) error("expected 4 hex digits after \\u, got end of input");
            const char c = text_[pos_];
            int digit = -1;
            if (c >= '0' && c <= '9') digit = c - '0';
            if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
            if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
            if (digit < 0) error("expected 4 hex digits after \\u, got ", describe_here());
            value = value * 16 + static_cast<char32_t>(digit);
            ++pos_;
        }
        return value;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    JsonLimits limits_;
    std::size_t values_ = 0;  // values started so far, for limits_.max_values
};

// ---- the writer --------------------------------------------------------------------------------

void write_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const std::size_t n = utf8_sequence_length(s, i);
        if (n == 0) fail("Json::dump", "string is not valid UTF-8 (byte ", hex_byte(c), " at position ", i, ")");
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) out += "\\u00" + hex_byte(c).substr(2);
                else out.append(s, i, n);
        }
        i += n;
    }
    out += '"';
}

void write_double(std::string& out, double x) {
    if (!std::isfinite(x)) fail("Json::dump", "cannot write ", x, ": JSON has no NaN or infinity");
    char buf[32];  // the shortest round-trip form of a double is at most 24 characters
    const auto end = std::to_chars(buf, buf + sizeof buf, x).ptr;
    const std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

class Writer {
public:
    explicit Writer(int indent) : indent_(indent) {}

    void write(const Json& v, int depth) {
        switch (v.kind()) {
            case Json::Kind::Null: out_ += "null"; break;
            case Json::Kind::Bool: out_ += v.as_bool() ? "true" : "false"; break;
            case Json::Kind::Int: out_ += std::to_string(v.as_int()); break;
            case Json::Kind::Double: write_double(out_, v.as_double()); break;
            case Json::Kind::String: write_string(out_, v.as_string()); break;
            case Json::Kind::Array: write_array(v.as_array(), depth); break;
            case Json::Kind::Object: write_object(v.as_object(), depth); break;
        }
    }

    std::string take() { return std::move(out_); }

private:
    void newline(int depth) {
        if (indent_ <= 0) return;
        out_ += '\n';
        out_.append(static_cast<std::size_t>(indent_ * depth), ' ');
    }

    void write_array(const Json::Array& items, int depth) {
        out_ += '[';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i) out_ += ',';
            newline(depth + 1);
            write(items[i], depth + 1);
        }
        if (!items.empty()) newline(depth);
        out_ += ']';
    }

    void write_object(const Json::Object& members, int depth) {
        out_ += '{';
        for (std::size_t i = 0; i < members.size(); ++i) {
            if (i) out_ += ',';
            newline(depth + 1);
            write_string(out_, members[i].first);
            out_ += indent_ > 0 ? ": " : ":";
            write(members[i].second, depth + 1);
        }
        if (!members.empty()) newline(depth);
        out_ += '}';
    }

    int indent_;
    std::string out_;
};

}  // namespace

Json parse_json(std::string_view text) { return Parser(text, JsonLimits{}).parse_document(); }

Json parse_json(std::string_view text, const JsonLimits& limits) { return Parser(text, limits).parse_document(); }

std::string Json::dump(int indent) const {
    Writer writer(indent);
    writer.write(*this, 0);
    return writer.take();
}

std::ostream& operator<<(std::ostream& out, const Json& value) { return out << value.dump(); }

}  // namespace qkv
