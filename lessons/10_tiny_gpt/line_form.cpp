#include "lessons/10_tiny_gpt/line_form.hpp"

#include "nn/text/utf8.hpp"

namespace qkv::lesson10 {

void LineForm::add(const LineForm& other) {
    clauses += other.clauses;
    regular += other.regular;
    for (const auto& [length, count] : other.lengths) lengths[length] += count;
}

LineForm line_form(const std::string& text) {
    LineForm f;
    std::int64_t length = 0;  // Chinese characters in the clause so far
    const auto close = [&] {
        if (length == 0) return;
        ++f.clauses;
        ++f.lengths[length];
        if (length == 5 || length == 7) ++f.regular;
        length = 0;
    };
    for (char32_t c : nn::utf8::decode(text)) {
        if (c == U'，' || c == U'。' || c == U'？' || c == U'！' || c == U'；' || c == U'\n')
            close();
        else if (nn::utf8::is_cjk(c))
            ++length;
    }
    close();
    return f;
}

}  // namespace qkv::lesson10
