// The lesson command line (lessons/common/cli.hpp) as lesson 01 uses it: --help lists only the
// flags a lesson uses, and --lang picks the language of what it prints.
#include <doctest/doctest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lessons/common/cli.hpp"

using namespace qkv;

namespace {

struct Run {
    lesson::LessonArgs args;
    std::string out, err;
};

Run parse(const lesson::LessonInfo& info, std::vector<const char*> argv) {
    argv.insert(argv.begin(), "lesson");
    std::ostringstream out, err;
    std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
    std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
    Run r{lesson::parse_lesson_args(static_cast<int>(argv.size()), argv.data(), info), "", ""};
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    r.out = out.str(), r.err = err.str();
    return r;
}

// Lesson 01's: nothing random, nothing written, nothing trained.
const lesson::LessonInfo tensors_info{"01_tensors", "tensors", 0, {}, {"threads"}};
const lesson::LessonInfo all_flags{"02_autograd", "autograd", 1500, {}};

}  // namespace

TEST_SUITE("lesson01") {

TEST_CASE("--help lists only the standard flags a lesson uses, and every lesson's --quick and --lang") {
    const Run r = parse(tensors_info, {"--help"});
    CHECK_FALSE(r.args.ok);
    CHECK(r.out.find("--seed") == std::string::npos);
    CHECK(r.out.find("--out") == std::string::npos);
    CHECK(r.out.find("--steps") == std::string::npos);
    CHECK(r.out.find("--threads N") != std::string::npos);
    CHECK(r.out.find("--quick") != std::string::npos);
    CHECK(r.out.find("--lang en|zh") != std::string::npos);

    const Run all = parse(all_flags, {"--help"});  // uses left empty: every standard flag
    for (const char* flag : {"--seed N", "--steps N", "--threads N", "--quick", "--out DIR", "--lang en|zh"})
        CHECK_MESSAGE(all.out.find(flag) != std::string::npos, flag);
}

TEST_CASE("a standard flag a lesson does not use is accepted and ignored, so scripts can pass it to every lesson") {
    const Run r = parse(tensors_info, {"--seed", "3", "--out", "somewhere", "--quick"});
    CHECK(r.args.ok);
    CHECK(r.args.quick);
    CHECK(r.err.empty());
}

TEST_CASE("--lang zh switches lesson::tr to Chinese; a bad --lang is refused with the usage") {
    CHECK(parse(tensors_info, {"--lang", "zh"}).args.lang == lesson::Lang::zh);
    CHECK(std::string(lesson::tr("Lesson 01", "第 01 课")) == "第 01 课");
    CHECK(lesson::tr(std::string("a"), std::string("甲")) == "甲");
    CHECK(parse(tensors_info, {}).args.lang == lesson::Lang::en);
    CHECK(std::string(lesson::tr("Lesson 01", "第 01 课")) == "Lesson 01");

    const Run bad = parse(tensors_info, {"--lang", "fr"});
    CHECK_FALSE(bad.args.ok);
    CHECK(bad.args.exit_code == 2);
    CHECK(bad.err.find("--lang must be en or zh, got 'fr'") != std::string::npos);
    CHECK(bad.err.find("usage:") != std::string::npos);
}

}  // TEST_SUITE
