// The flags every lesson program takes (the lesson contract, lessons/README.md): --help, --seed N,
// --steps N, --threads N, --quick, --out DIR, --lang en|zh, plus any the lesson adds. An unknown flag or a bad value
// prints a one-line error and the usage, and the program exits with status 2.
//
//   static int lesson_main(int argc, char** argv) {
//       LessonArgs args = parse_lesson_args(argc, argv, {"03_dot_product_attention", "what it does", 2000});
//       if (!args.ok) return args.exit_code;
//       ...
//   }
//   int main(int argc, char** argv) { return lesson::guarded_main(lesson_main, argc, argv); }
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace qkv::lesson {

struct LessonInfo {
    std::string name;         // "03_dot_product_attention": the default output folder is qkv_out/<name>
    std::string summary;      // one line for --help
    std::int64_t default_steps = 0;  // 0: the lesson does not train (no --steps)
    // Extra flags: name (without --) -> help text. Their values are strings in LessonArgs::extra.
    std::map<std::string, std::string> extra_flags;
    // The standard flags this lesson uses, by name ("seed", "threads", "out", ...); --help lists
    // only these (and --help, --quick, --lang, which every lesson takes). Empty: all of them. A
    // standard flag left out is still accepted and ignored, so a script may pass --seed or --out
    // to every lesson.
    std::set<std::string> uses{};
    // Lessons that train for long (06, 07) save a checkpoint every --checkpoint-every steps
    // into --out and take --resume (lessons/common/resume.hpp).
    bool resumable = false;
};

// The language the lesson prints its headings and explanations in (--lang en|zh); numbers,
// tables and file names are the same in both.
enum class Lang { en, zh };
Lang current_lang();
// `en` or `zh`, whichever --lang chose (English until parse_lesson_args has run):
//   std::cout << lesson::tr("== 1. The model ==", "== 1. 模型 ==") << "\n";
const char* tr(const char* en, const char* zh);
std::string tr(const std::string& en, const std::string& zh);

struct LessonArgs {
    bool ok = true;        // false: the program should exit with exit_code (help or an error)
    int exit_code = 0;
    std::uint64_t seed = 0;
    std::int64_t steps = 0;
    int threads = 0;       // 0: leave qkv's default (QKV_NUM_THREADS or all hardware threads)
    bool quick = false;
    Lang lang = Lang::en;
    std::string out_dir;   // created and write-tested by parse_lesson_args
    std::map<std::string, std::string> extra;
    bool resume = false;                // --resume (resumable lessons)
    std::int64_t checkpoint_every = 100;  // --checkpoint-every N (resumable lessons)
};

// Parses argv; prints usage to stdout for --help, or an error and the usage to stderr.
// Sets the thread count when parsing succeeds. Then makes the output folder and writes a test
// file into it, so that an unwritable --out fails here, before any training, with one line
// ("name: cannot write to the output folder 'DIR': reason") and exit status 2.
LessonArgs parse_lesson_args(int argc, const char* const* argv, const LessonInfo& info);

// For a lesson's own flags: prints "name: message" and the usage to stderr and returns the exit
// status 2, so a bad value reads the same as a bad standard flag:
//   if (task != "all" && ...) return lesson::flag_error(info, "--task must be ..., got '" + task + "'");
int flag_error(const LessonInfo& info, const std::string& message);

// "DIR/name", for the files a lesson writes; creates DIR if needed (throws qkv::Error if it cannot).
std::string out_path(const LessonArgs& args, const std::string& name);

// Runs a lesson's body. Standard output is made line-buffered first, so a log file or a pipe
// gets each line as it is printed and nothing is lost if the program dies. A qkv::Error (or
// any other std::exception) escaping the body becomes one line on stderr, "name: error: what",
// and exit status 1, never an abort.
int guarded_main(int (*body)(int, char**), int argc, char** argv);

}  // namespace qkv::lesson
