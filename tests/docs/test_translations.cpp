// The Chinese edition cannot drift from the English one where it matters most: every lesson
// (and the top-level README) has a README.zh-CN.md, each file links to the other language, and
// every block of program output pasted in the English README appears, byte for byte, as a fenced
// block of the Chinese one. When an English block changes, the failure names the block and the
// lines to copy across (lessons/README.md, "Keeping the two languages in step").
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "docs/markdown.hpp"

namespace fs = std::filesystem;
using namespace qkv::docs;

namespace {

std::vector<fs::path> readme_folders() {
    std::vector<fs::path> folders{source_dir};
    for (const fs::path& lesson : lesson_folders())
        if (fs::exists(lesson / "README.md")) folders.push_back(lesson);
    return folders;
}

std::string repo_path(const fs::path& p) { return fs::relative(p, source_dir).string(); }

}  // namespace

TEST_SUITE("docs") {

TEST_CASE("every README.md has a README.zh-CN.md and each links to the other at the top") {
    const std::vector<fs::path> folders = readme_folders();
    CHECK(folders.size() >= 8);  // the top level and lessons 01-07 at least
    for (const fs::path& folder : folders) {
        const fs::path en = folder / "README.md";
        const fs::path zh = folder / "README.zh-CN.md";
        INFO(repo_path(folder));
        if (!fs::exists(zh)) {
            FAIL_CHECK(repo_path(zh) << " is missing: write the Chinese edition of " << repo_path(en));
            continue;
        }
        // "At the top": among the first five lines.
        auto head = [](const fs::path& p) {
            const std::vector<std::string> lines = split_lines(read_text(p));
            std::string h;
            for (std::size_t i = 0; i < lines.size() && i < 5; ++i) h += lines[i] + "\n";
            return h;
        };
        CHECK_MESSAGE(head(en).find("(README.zh-CN.md)") != std::string::npos,
                      repo_path(en) << " should link to README.zh-CN.md in its first lines");
        CHECK_MESSAGE(head(zh).find("(README.md)") != std::string::npos,
                      repo_path(zh) << " should link to README.md in its first lines");
    }
}

TEST_CASE("every output block of an English lesson README appears verbatim in its Chinese README") {
    int compared = 0;
    for (const fs::path& folder : readme_folders()) {
        const fs::path en = folder / "README.md";
        const fs::path zh = folder / "README.zh-CN.md";
        if (!fs::exists(zh)) continue;  // reported by the test above
        const std::vector<FencedBlock> zh_blocks = fenced_blocks(read_text(zh));
        for (const FencedBlock& block : fenced_blocks(read_text(en))) {
            if (!is_output_block(block)) continue;
            ++compared;
            bool found = false;
            for (const FencedBlock& z : zh_blocks) found = found || (is_output_block(z) && z.body == block.body);
            CHECK_MESSAGE(found, repo_path(zh) << " lacks the output block at " << repo_path(en) << " lines "
                                              << block.first_line << "-" << block.last_line << " (it starts '"
                                              << block.first_body_line() << "'): copy those lines, fences "
                                              << "included, over the old block in " << repo_path(zh));
        }
    }
    CHECK(compared > 0);  // the block parser found the pasted runs at all
}

}  // TEST_SUITE
