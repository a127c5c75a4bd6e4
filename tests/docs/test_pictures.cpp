// Every picture a lesson commits (lessons/*/pictures/*.svg) must open in a real SVG renderer,
// not just parse as XML. The test renders each one to PNG with rsvg-convert (Debian package
// librsvg2-bin, installed by .ci/run) and checks that a PNG came out. Where rsvg-convert is not
// installed the test says so and checks nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "docs/markdown.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace qkv::docs;

namespace {

bool have_rsvg_convert() { return std::system("command -v rsvg-convert > /dev/null 2>&1") == 0; }

// Single quotes for the shell; a path holding a quote is refused rather than mangled.
std::string quoted(const fs::path& p) {
    const std::string s = p.string();
    REQUIRE_MESSAGE(s.find('\'') == std::string::npos, "a picture path with a quote: " << s);
    return "'" + s + "'";
}

std::vector<fs::path> committed_pictures() {
    std::vector<fs::path> out;
    for (const fs::path& lesson : lesson_folders()) {
        if (!fs::is_directory(lesson / "pictures")) continue;
        for (const auto& entry : fs::directory_iterator(lesson / "pictures"))
            if (entry.path().extension() == ".svg") out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_SUITE("docs") {

TEST_CASE("every SVG the lessons commit renders to PNG with rsvg-convert") {
    const std::vector<fs::path> pictures = committed_pictures();
    CHECK(pictures.size() >= 10);
    if (!have_rsvg_convert()) {
        MESSAGE("rsvg-convert is not installed (Debian: apt-get install librsvg2-bin); the " << pictures.size()
                                                                                            << " pictures were not rendered");
        return;
    }
    qkv::testing::TempDir dir;
    for (const fs::path& svg : pictures) {
        const std::string name = fs::relative(svg, source_dir).string();
        INFO(name);
        const fs::path png = dir.path() / (svg.stem().string() + ".png");
        const std::string command =
            "rsvg-convert --output=" + quoted(png) + " " + quoted(svg) + " > /dev/null 2>&1";
        CHECK_MESSAGE(std::system(command.c_str()) == 0, "rsvg-convert failed on " << name);
        const std::string bytes = read_text(png);
        CHECK_MESSAGE((bytes.size() > 8 && bytes.compare(1, 3, "PNG") == 0), "no PNG written for " << name);
    }
}

}  // TEST_SUITE
