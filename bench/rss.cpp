// peak_rss_mb: the most resident memory the process has held, read from Linux's /proc (VmHWM,
// the "high water mark"); 0 where there is no /proc.
#include <cstdio>
#include <fstream>
#include <string>

#include "bench/bench.hpp"

namespace qkv::bench {

void measure_peak_rss(Report& report) {
    std::ifstream status("/proc/self/status");
    double mb = 0;
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmHWM:", 0) == 0) mb = std::stod(line.substr(6)) / 1024.0;  // the value is in kB
    report.json["peak_rss_mb"] = mb;
    char text[80];
    std::snprintf(text, sizeof text, "peak resident memory        %8.1f MB", mb);
    report.lines.emplace_back(text);
}

}  // namespace qkv::bench
