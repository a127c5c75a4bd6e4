// A property of generated text that a count can check: the form of its lines.
//
// Almost every clause of the Tang poems (the text between two of ，。？！；, or a line break) has
// five or seven characters (五言 and 七言): 95% in the corpus. A bigram model sees only the one
// character before, so it cannot count to five; a Transformer sees the whole line and its
// learned positions, so it can. line_form counts the clauses of a text and how many have 5
// or 7 Chinese characters.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace qkv::lesson10 {

struct LineForm {
    std::int64_t clauses = 0;
    std::int64_t regular = 0;                  // of 5 or 7 characters
    std::map<std::int64_t, std::int64_t> lengths;  // clause length -> count
    double share() const { return clauses ? static_cast<double>(regular) / static_cast<double>(clauses) : 0.0; }
    void add(const LineForm& other);
};

// Clauses end at ，。？！； or a line break; a clause with no Chinese character (a stray mark)
// is not counted. A last clause without an ending mark counts too.
LineForm line_form(const std::string& text);

}  // namespace qkv::lesson10
