// qkv-student-edition: writes a copy of the repository in which the exercise solutions are
// replaced by stubs, for handing out as coursework (issue 13, lessons/common/exercise.hpp).
//
//   ./build/release/tools/qkv-student-edition --out ../qkv-student              # strip every exercise
//   ./build/release/tools/qkv-student-edition --out ../qkv-student --only 03.2,04   # 03.2 and all of lesson 04
//   ./build/release/tools/qkv-student-edition --list                           # the exercises it finds
//
// It copies the files git tracks (plus untracked ones that are not ignored), or, outside a git
// checkout, every file except .git/, build/ and out/ folders. In a source file the lines from
// `// SOLUTION BEGIN NN.K` to `// SOLUTION END NN.K` (inclusive) become
//     // exercise NN.K: your code goes here (then run its checker, see EXERCISES.md).
//     throw qkv::NotImplemented("NN.K", "lessons/NN_name/EXERCISES.md#nnk-title");
// and in an answers.txt the lines from `# SOLUTION BEGIN NN.K` to `# SOLUTION END NN.K` become
// `NN.K = ?`. Unbalanced or mismatched markers stop it with the file and line.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Options {
    fs::path source = ".";
    fs::path out;
    std::vector<std::string> only;  // "03.2" or "03"; empty: every exercise
    bool list = false;
    bool force = false;
};

const char* const usage =
    "usage: qkv-student-edition --out DIR [--from SRC] [--only 03.2,04.1|03,...] [--force]\n"
    "       qkv-student-edition --list [--from SRC]\n"
    "Writes a student edition of the qkv repository at SRC (default: the current folder) to DIR:\n"
    "every exercise solution (between SOLUTION BEGIN/END markers) becomes a stub that throws\n"
    "qkv::NotImplemented. --only strips just the listed exercises or lessons. DIR must not exist\n"
    "(or, with --force, must be an earlier student edition, which is replaced).\n";

[[noreturn]] void die(const std::string& message) {
    std::cerr << "qkv-student-edition: " << message << "\n";
    std::exit(1);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(s);
    while (std::getline(in, part, sep))
        if (!part.empty()) parts.push_back(part);
    return parts;
}

bool is_exercise_id(const std::string& s) {
    return s.size() >= 4 && std::isdigit(static_cast<unsigned char>(s[0])) && std::isdigit(static_cast<unsigned char>(s[1])) &&
           s[2] == '.' && std::all_of(s.begin() + 3, s.end(), [](unsigned char c) { return std::isdigit(c); });
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto value = [&]() -> std::string {
            if (i + 1 >= argc) die(a + " needs a value\n" + usage);
            return argv[++i];
        };
        if (a == "--out") o.out = value();
        else if (a == "--from") o.source = value();
        else if (a == "--only") {
            for (const std::string& id : split(value(), ',')) {
                const bool lesson = id.size() == 2 && std::isdigit(static_cast<unsigned char>(id[0])) &&
                                    std::isdigit(static_cast<unsigned char>(id[1]));
                if (!lesson && !is_exercise_id(id)) die("--only: '" + id + "' is neither a lesson (03) nor an exercise (03.2)");
                o.only.push_back(id);
            }
        } else if (a == "--list") o.list = true;
        else if (a == "--force") o.force = true;
        else if (a == "--help" || a == "-h") {
            std::cout << usage;
            std::exit(0);
        } else die("unknown argument '" + a + "'\n" + usage);
    }
    if (!o.list && o.out.empty()) die(std::string("--out DIR is required\n") + usage);
    if (!fs::is_directory(o.source / "lessons")) die("'" + o.source.string() + "' is not a qkv checkout (no lessons/ folder)");
    return o;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) die("cannot read " + p.string());
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out) die("cannot write " + p.string());
}

// The files to copy, relative to the source root.
std::vector<fs::path> files_to_copy(const fs::path& source, const fs::path& out) {
    std::vector<fs::path> files;
    if (fs::exists(source / ".git")) {
        const std::string command = "git -C \"" + source.string() + "\" ls-files -z --cached --others --exclude-standard";
        if (FILE* pipe = popen(command.c_str(), "r")) {
            std::string all;
            char buffer[4096];
            std::size_t n;
            while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) all.append(buffer, n);
            if (pclose(pipe) == 0) {
                std::size_t start = 0;
                for (std::size_t i = 0; i < all.size(); ++i)
                    if (all[i] == '\0') {
                        const fs::path rel = all.substr(start, i - start);
                        start = i + 1;
                        if (fs::is_regular_file(source / rel)) files.push_back(rel);  // deleted files are still listed
                    }
                return files;
            }
        }
        std::cerr << "qkv-student-edition: git ls-files failed; copying every file instead\n";
    }
    const fs::path out_abs = fs::weakly_canonical(out);
    for (auto it = fs::recursive_directory_iterator(source); it != fs::recursive_directory_iterator(); ++it) {
        const std::string name = it->path().filename().string();
        if (it->is_directory() && (name == ".git" || name == "build" || name == "out" || name == "qkv_out" ||
                                   fs::weakly_canonical(it->path()) == out_abs)) {
            it.disable_recursion_pending();
            continue;
        }
        if (it->is_regular_file()) files.push_back(fs::relative(it->path(), source));
    }
    return files;
}

// GitHub's anchor for a heading: lower case; letters, digits, '-', '_' and non-ASCII kept;
// spaces become '-'; everything else dropped. "03.2 Scaled dot-product" -> "032-scaled-dot-product".
std::string anchor(const std::string& heading) {
    std::string a;
    for (unsigned char c : heading) {
        if (c >= 0x80 || std::isalnum(c) || c == '-' || c == '_') a += static_cast<char>(std::tolower(c));
        else if (c == ' ') a += '-';
    }
    return a;
}

// Where a stub tells the student to read: "lessons/03_name/EXERCISES.md#032-title".
std::string where(const fs::path& source, const std::string& id) {
    for (const auto& entry : fs::directory_iterator(source / "lessons")) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_directory() || name.size() < 3 || name.compare(0, 2, id, 0, 2) != 0 || name[2] != '_') continue;
        const std::string md = "lessons/" + name + "/EXERCISES.md";
        std::ifstream in(source / md);
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("## " + id + " ", 0) == 0) return md + "#" + anchor(line.substr(3));
        }
        static std::set<std::string> warned;
        if (warned.insert(id).second)
            std::cerr << "qkv-student-edition: warning: " << md << " has no heading '## " << id << " ...'\n";
        return md;
    }
    die("exercise " + id + ": no folder lessons/" + id.substr(0, 2) + "_*");
}

bool chosen(const Options& o, const std::string& id) {
    if (o.only.empty()) return true;
    return std::any_of(o.only.begin(), o.only.end(), [&](const std::string& s) { return s == id || s == id.substr(0, 2); });
}

struct Region {
    std::string id;
    std::size_t first_line, last_line;  // 1-based, inclusive
};

// Finds the marked regions of one file. `comment` is "//" for sources and "#" for answers.txt.
std::vector<Region> regions(const std::vector<std::string>& lines, const std::string& comment, const std::string& file) {
    const std::string begin = comment + " SOLUTION BEGIN ", end = comment + " SOLUTION END";
    std::vector<Region> found;
    std::string open;
    std::size_t open_line = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string t = lines[i];
        t.erase(0, t.find_first_not_of(" \t"));
        t.erase(t.find_last_not_of(" \t\r") + 1);
        if (t.rfind(begin, 0) == 0) {
            const std::string id = t.substr(begin.size());
            if (!open.empty())
                die(file + ":" + std::to_string(i + 1) + ": SOLUTION BEGIN " + id + " inside the region " + open +
                    " opened at line " + std::to_string(open_line));
            if (!is_exercise_id(id)) die(file + ":" + std::to_string(i + 1) + ": '" + id + "' is not an exercise id like 03.2");
            open = id;
            open_line = i + 1;
        } else if (t.rfind(end, 0) == 0) {
            const std::string id = t.size() > end.size() ? t.substr(end.size() + 1) : "";
            if (open.empty()) die(file + ":" + std::to_string(i + 1) + ": SOLUTION END without a SOLUTION BEGIN");
            if (id != open)
                die(file + ":" + std::to_string(i + 1) + ": SOLUTION END '" + id + "' closes the region " + open +
                    " opened at line " + std::to_string(open_line));
            found.push_back({open, open_line, i + 1});
            open.clear();
        } else if (t.find("SOLUTION BEGIN") != std::string::npos || t.find("SOLUTION END") != std::string::npos) {
            // Allow prose that mentions the markers (this tool's own comments); a marker must be alone on its line.
            if (t.rfind(comment + " SOLUTION", 0) == 0)
                die(file + ":" + std::to_string(i + 1) + ": malformed marker '" + t + "'");
        }
    }
    if (!open.empty()) die(file + ":" + std::to_string(open_line) + ": SOLUTION BEGIN " + open + " is never closed");
    return found;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::string line;
    std::istringstream in(text);
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    bool replace = false;  // --force over an earlier student edition: deleted once the input checks out
    if (!o.list) {
        if (fs::exists(o.out) && !fs::is_empty(o.out)) {
            if (!o.force) die("'" + o.out.string() + "' exists and is not empty (use a new folder, or --force to replace an earlier student edition)");
            if (!fs::exists(o.out / ".qkv-student-edition"))
                die("--force: '" + o.out.string() + "' is not a student edition (no .qkv-student-edition file); not deleting it");
            replace = true;
        }
        const fs::path src = fs::weakly_canonical(o.source), dst = fs::weakly_canonical(o.out);
        if (src == dst) die("--out is the source folder itself");
    }

    // Two passes over the files: the first only reads the markers (so a bad --only or a broken
    // marker stops the tool before anything is written), the second writes.
    std::map<std::string, std::vector<std::string>> stripped;  // id -> "file:lines"
    std::set<std::string> seen;
    std::size_t copied = 0;
    const std::vector<fs::path> files = files_to_copy(o.source, o.out);
    for (const bool write : {false, true}) {
        if (write && o.list) break;
        if (write && replace) fs::remove_all(o.out);
        for (const fs::path& rel : files) {
            const std::string name = rel.generic_string();
            const std::string ext = rel.extension().string();
            const bool source_file = ext == ".cpp" || ext == ".hpp" || ext == ".h" || ext == ".cc";
            const bool answers = rel.filename() == "answers.txt";
            std::string text;
            bool changed = false;
            if (source_file || answers) {
                text = read_file(o.source / rel);
                const std::vector<std::string> lines = lines_of(text);
                const std::vector<Region> found = regions(lines, answers ? "#" : "//", name);
                if (!found.empty() && name.find("/exercises/") == std::string::npos)
                    die(name + ": SOLUTION markers are only allowed in lessons/NN_name/exercises/");
                std::string out;
                std::size_t next = 0;
                for (const Region& r : found) {
                    seen.insert(r.id);
                    if (!write || !chosen(o, r.id)) continue;
                    for (; next + 1 < r.first_line; ++next) out += lines[next] + "\n";
                    const std::string& first = lines[r.first_line - 1];
                    const std::string indent = first.substr(0, first.find_first_not_of(" \t"));
                    if (answers) out += r.id + " = ?\n";
                    else
                        out += indent + "// exercise " + r.id + ": your code goes here (then run its checker, see EXERCISES.md).\n" +
                               indent + "throw qkv::NotImplemented(\"" + r.id + "\", \"" + where(o.source, r.id) + "\");\n";
                    next = r.last_line;
                    stripped[r.id].push_back(name + ":" + std::to_string(r.first_line) + "-" + std::to_string(r.last_line));
                    changed = true;
                }
                for (; next < lines.size(); ++next) out += lines[next] + "\n";
                if (changed) text = out;
            }
            if (!write) continue;
            const fs::path target = o.out / rel;
            fs::create_directories(target.parent_path());
            if (changed) write_file(target, text);
            else fs::copy_file(o.source / rel, target, fs::copy_options::overwrite_existing);
            fs::permissions(target, fs::status(o.source / rel).permissions());
            ++copied;
        }
        if (!write)
            for (const std::string& id : o.only)
                if (!std::any_of(seen.begin(), seen.end(), [&](const std::string& s) { return s == id || s.compare(0, 2, id) == 0; }))
                    die("--only: no exercise " + id + (id.size() == 2 ? ".*" : "") + " is marked in the sources (see --list)");
    }

    if (o.list) {
        for (const std::string& id : seen) std::cout << id << "\n";
        return 0;
    }
    write_file(o.out / ".qkv-student-edition",
               "This folder is a qkv student edition, written by qkv-student-edition.\n");
    std::cout << "student edition written to " << o.out.string() << ": " << copied << " files, "
              << stripped.size() << (stripped.size() == 1 ? " exercise" : " exercises") << " stripped\n";
    for (const auto& [id, where_] : stripped) {
        std::cout << "  " << id << ":";
        for (const std::string& w : where_) std::cout << " " << w;
        std::cout << "\n";
    }
    return 0;
}
