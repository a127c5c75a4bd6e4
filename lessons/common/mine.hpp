// --mine: run a lesson with the student's own exercise functions plugged in (issue 13).
//
// The shared flag parser (cli.hpp) takes flags with values; --mine has none, so a lesson's main
// takes it out of argv first and passes the rest on:
//
//   const bool mine = lesson::take_flag(argc, argv, "--mine");
//   LessonArgs args = parse_lesson_args(argc, argv, info);
//   ...
//   return lesson::run_mine(mine, [&] { ... the lesson ... });
//
// run_mine turns an unsolved exercise (qkv::NotImplemented, thrown by a student-edition stub)
// into "exercise 03.2 is not done yet: see ...; solve it first, or run without --mine" and exit 1.
#pragma once

#include <cstring>
#include <iostream>

#include "lessons/common/exercise.hpp"

namespace qkv::lesson {

// Removes every `flag` from argv (argc shrinks); true if it was there.
inline bool take_flag(int& argc, char** argv, const char* flag) {
    bool found = false;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], flag) == 0) found = true;
        else argv[kept++] = argv[i];
    }
    argc = kept;
    argv[argc] = nullptr;
    return found;
}

// Runs the lesson body; with --mine, an unsolved exercise ends the run with its message.
template <class Body>
int run_mine(bool mine, Body&& body) {
    try {
        return body();
    } catch (const NotImplemented& e) {
        std::cerr << (mine ? "--mine: " : "") << e.what() << "\n"
                  << "solve exercise " << e.id() << " first" << (mine ? ", or run without --mine" : "") << ".\n";
        return 1;
    }
}

}  // namespace qkv::lesson
