// Reading the repository's Markdown for the documentation tests: whole files, and the fenced
// blocks in them (``` ... ```), each with the line it starts on and its info string.
#pragma once

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace qkv::docs {

inline const std::filesystem::path source_dir{QKV_SOURCE_DIR};

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct FencedBlock {
    int first_line = 0;    // 1-based line of the opening fence
    int last_line = 0;     // 1-based line of the closing fence
    std::string info;      // "sh", "cpp", "text", or "" after the opening ```
    std::string body;      // the lines between the fences, each ending in '\n'
    std::string first_body_line() const { return body.substr(0, body.find('\n')); }
};

inline std::vector<FencedBlock> fenced_blocks(const std::string& text) {
    std::vector<FencedBlock> blocks;
    const std::vector<std::string> lines = split_lines(text);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind("```", 0) != 0) continue;
        FencedBlock b;
        b.first_line = static_cast<int>(i) + 1;
        b.info = lines[i].substr(3);
        std::size_t j = i + 1;
        for (; j < lines.size() && lines[j].rfind("```", 0) != 0; ++j) b.body += lines[j] + "\n";
        b.last_line = static_cast<int>(j) + 1;
        blocks.push_back(b);
        i = j;
    }
    return blocks;
}

// Program output, as the READMEs paste it: a bare fence or ```text. Commands (sh) and code
// (cpp, python) are not output.
inline bool is_output_block(const FencedBlock& b) { return b.info.empty() || b.info == "text"; }

// The lesson folders, NN_name, sorted: every one of them, including lessons added later.
inline std::vector<std::filesystem::path> lesson_folders() {
    std::vector<std::filesystem::path> folders;
    for (const auto& entry : std::filesystem::directory_iterator(source_dir / "lessons")) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && name.size() > 3 && std::isdigit(static_cast<unsigned char>(name[0])) &&
            std::isdigit(static_cast<unsigned char>(name[1])) && name[2] == '_')
            folders.push_back(entry.path());
    }
    std::sort(folders.begin(), folders.end());
    return folders;
}

}  // namespace qkv::docs
