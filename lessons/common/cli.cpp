#include "lessons/common/cli.hpp"

#include <charconv>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "tensor/atomic_file.hpp"
#include "tensor/error.hpp"
#include "tensor/thread_pool.hpp"

namespace qkv::lesson {
namespace {

Lang language = Lang::en;  // set once by parse_lesson_args, read by tr()

bool uses(const LessonInfo& info, const char* flag) { return info.uses.empty() || info.uses.count(flag) > 0; }

// Outside the tracked tree's lesson folders, and ignored by git (.gitignore lists qkv_out/).
std::string default_out_dir(const LessonInfo& info) { return "qkv_out/" + info.name; }

// Creates `dir` and writes (then removes) a small file in it; returns "" or the reason it failed.
std::string unwritable_reason(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ec.message();
    const std::string probe = (std::filesystem::path(dir) / ".qkv_write_test").string();
    try {
        write_file_atomically(probe, "qkv checks that it can write here\n");
    } catch (const Error& e) {
        const std::string what = e.what();
        const auto colon = what.rfind(": ");
        return colon == std::string::npos ? what : what.substr(colon + 2);  // the OS's reason
    }
    std::filesystem::remove(probe, ec);
    return "";
}

std::string usage(const LessonInfo& info) {
    std::ostringstream u;
    u << "usage: " << info.name << " [flags]\n" << info.summary << "\n\n"
      << "  --help          show this help\n";
    if (uses(info, "seed")) u << "  --seed N        random seed (default 0)\n";
    if (info.default_steps > 0) u << "  --steps N       training steps (default " << info.default_steps << ")\n";
    if (uses(info, "threads"))
        u << "  --threads N     worker threads (default: QKV_NUM_THREADS or all hardware threads)\n";
    u << "  --quick         a run of a few seconds that still exercises every part\n";
    if (uses(info, "out")) u << "  --out DIR       where pictures and checkpoints go (default ./" << default_out_dir(info) << ")\n";
    u << "  --lang en|zh    the language of headings and explanations (default en)\n";
    if (info.resumable)
        u << "  --checkpoint-every N  save a checkpoint into --out every N steps (default 100)\n"
          << "  --resume        continue from the checkpoint in --out (the numbers match a run never stopped)\n";
    for (const auto& [name, help] : info.extra_flags) u << "  --" << name << std::string(name.size() < 14 ? 14 - name.size() : 1, ' ') << help << "\n";
    return u.str();
}

template <class T>
bool parse_number(const std::string& text, T& out) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

}  // namespace

int flag_error(const LessonInfo& info, const std::string& message) {
    std::cerr << info.name << ": " << message << "\n" << usage(info);
    return 2;
}

LessonArgs parse_lesson_args(int argc, const char* const* argv, const LessonInfo& info) {
    LessonArgs args;
    args.steps = info.default_steps;
    args.out_dir = default_out_dir(info);
    auto error = [&](const std::string& message) {
        args.ok = false;
        args.exit_code = flag_error(info, message);
        return args;
    };
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--help" || flag == "-h") {
            std::cout << usage(info);
            args.ok = false;
            return args;
        }
        if (flag == "--quick") {
            args.quick = true;
            continue;
        }
        if (flag == "--resume" && info.resumable) {
            args.resume = true;
            continue;
        }
        if (flag.rfind("--", 0) != 0) return error("unexpected argument '" + flag + "'");
        const std::string name = flag.substr(2);
        const bool known = name == "seed" || name == "threads" || name == "out" || name == "lang" ||
                           (name == "steps" && info.default_steps > 0) ||
                           (name == "checkpoint-every" && info.resumable) || info.extra_flags.count(name);
        if (!known) return error("unknown flag '" + flag + "'");
        if (i + 1 >= argc) return error("flag '" + flag + "' needs a value");
        const std::string value = argv[++i];
        if (name == "seed") {
            if (!parse_number(value, args.seed)) return error("--seed needs a non-negative whole number, got '" + value + "'");
        } else if (name == "steps") {
            if (!parse_number(value, args.steps) || args.steps < 1)
                return error("--steps needs a whole number >= 1, got '" + value + "'");
        } else if (name == "threads") {
            if (!parse_number(value, args.threads) || args.threads < 1 || args.threads > max_num_threads)
                return error("--threads needs a whole number from 1 to " + std::to_string(max_num_threads) + ", got '" +
                             value + "'");
        } else if (name == "lang") {
            if (value != "en" && value != "zh") return error("--lang must be en or zh, got '" + value + "'");
            args.lang = value == "zh" ? Lang::zh : Lang::en;
        } else if (name == "checkpoint-every") {
            if (!parse_number(value, args.checkpoint_every) || args.checkpoint_every < 1)
                return error("--checkpoint-every needs a whole number >= 1, got '" + value + "'");
        } else if (name == "out") {
            if (value.empty()) return error("--out needs a folder name");
            args.out_dir = value;
        } else {
            args.extra[name] = value;
        }
    }
    if (args.threads > 0) set_num_threads(args.threads);
    language = args.lang;
    // A lesson that writes files finds out now, not after minutes of training, that it cannot.
    if (uses(info, "out")) {
        if (const std::string reason = unwritable_reason(args.out_dir); !reason.empty()) {
            std::cerr << info.name << ": cannot write to the output folder '" << args.out_dir << "': " << reason
                      << " (choose another with --out DIR)\n";
            args.ok = false;
            args.exit_code = 2;
        }
    }
    return args;
}

Lang current_lang() { return language; }
const char* tr(const char* en, const char* zh) { return language == Lang::zh ? zh : en; }
std::string tr(const std::string& en, const std::string& zh) { return language == Lang::zh ? zh : en; }

std::string out_path(const LessonArgs& args, const std::string& name) {
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    if (ec) throw Error(cat("cannot create output folder '", args.out_dir, "': ", ec.message()));
    return (std::filesystem::path(args.out_dir) / name).string();
}

int guarded_main(int (*body)(int, char**), int argc, char** argv) {
    // Line-buffered even when stdout is a file or a pipe (the C library buffers those in
    // blocks): a run's log is then complete up to its last line, whatever ends the run.
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
    const std::string name = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "lesson";
    try {
        return body(argc, argv);
    } catch (const std::exception& e) {  // qkv::Error, and anything the library did not foresee
        std::cout.flush();
        std::fflush(stdout);
        std::cerr << name << ": error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace qkv::lesson
