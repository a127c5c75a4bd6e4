// The shared lesson CLI (lessons/common/cli.hpp), tested here once for every lesson: the
// default --out is qkv_out/<name>, an unwritable --out fails at startup with one line and
// status 2, and guarded_main turns an escaping qkv::Error into one line and status 1 (issue 20).
#include <doctest/doctest.h>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "lessons/common/cli.hpp"
#include "temp_dir.hpp"
#include "tensor/error.hpp"

using namespace qkv;

namespace {

// Captures what `body` writes to std::cerr.
template <class F> std::string stderr_of(F body) {
    std::ostringstream captured;
    std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
    body();
    std::cerr.rdbuf(old);
    return captured.str();
}

}  // namespace

TEST_SUITE("lesson02") {

TEST_CASE("lesson CLI: --out defaults to qkv_out/<name> and an unwritable --out fails at startup in one line") {
    qkv::testing::TempDir dir;
    const std::string out = dir.file("out");
    const char* good[] = {"lessonXX", "--out", out.c_str()};
    const lesson::LessonArgs args = lesson::parse_lesson_args(3, good, {"99_cli_test", "test", 0, {}});
    CHECK(args.ok);
    CHECK(std::filesystem::is_directory(out));  // made at startup, and left without the probe file
    CHECK(dir.entries() == std::vector<std::string>{"out"});
    CHECK(std::filesystem::is_empty(out));

    qkv::testing::write_bytes(dir.file("plain"), "x");
    const std::string bad = dir.file("plain") + "/sub";
    const char* argv[] = {"lessonXX", "--out", bad.c_str()};
    lesson::LessonArgs result;
    const std::string err = stderr_of([&] { result = lesson::parse_lesson_args(3, argv, {"99_cli_test", "test", 0, {}}); });
    CHECK_FALSE(result.ok);
    CHECK(result.exit_code == 2);
    CHECK(err == "99_cli_test: cannot write to the output folder '" + bad + "': Not a directory (choose another with --out DIR)\n");

    const char* none[] = {"lessonXX", "--help"};
    std::ostringstream help;
    std::streambuf* old = std::cout.rdbuf(help.rdbuf());
    lesson::parse_lesson_args(2, none, {"99_cli_test", "test", 0, {}});
    std::cout.rdbuf(old);
    CHECK(help.str().find("(default ./qkv_out/99_cli_test)") != std::string::npos);
}

TEST_CASE("lesson CLI: guarded_main turns an escaping qkv::Error into one line and exit status 1") {
    char name[] = "/path/to/lesson99";
    char* argv[] = {name, nullptr};
    int status = -1;
    const std::string err = stderr_of([&] {
        status = lesson::guarded_main([](int, char**) -> int { fail("save_npy", "cannot write 'x.npy': No space left on device"); },
                                      1, argv);
    });
    CHECK(status == 1);
    CHECK(err == "lesson99: error: save_npy: cannot write 'x.npy': No space left on device\n");
    CHECK(lesson::guarded_main([](int, char**) { return 7; }, 1, argv) == 7);
}

}  // TEST_SUITE
