// peak_rss_mb: the most resident memory the process has held, read from Linux's /proc (VmHWM,
// the "high water mark"); 0 where there is no /proc. Parts that measure one run's peak reset the
// mark first (writing 5 to /proc/self/clear_refs sets VmHWM to the current VmRSS), so the mark
// is read before each reset and the highest one kept for peak_rss_mb.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#if defined(__GLIBC__)  // defined by the C library's headers, so tested after them
#include <malloc.h>
#endif

#include "bench/bench.hpp"

namespace qkv::bench {
namespace {
double highest_before_reset_mb = 0;
}  // namespace

double proc_status_mb(const char* key) {
    std::ifstream status("/proc/self/status");
    const std::string prefix(key);
    for (std::string line; std::getline(status, line);)
        if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size())) / 1024.0;  // the value is in kB
    return 0;
}

void reset_peak_rss() {
    highest_before_reset_mb = std::max(highest_before_reset_mb, proc_status_mb("VmHWM:"));
#if defined(__GLIBC__)
    malloc_trim(0);  // hand back what malloc kept from earlier parts, so they do not count here
#endif
    std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := VmRSS
}

void measure_peak_rss(Report& report) {
    const double mb = std::max(highest_before_reset_mb, proc_status_mb("VmHWM:"));
    report.json["peak_rss_mb"] = mb;
    char text[80];
    std::snprintf(text, sizeof text, "peak resident memory        %8.1f MB", mb);
    report.lines.emplace_back(text);
}

}  // namespace qkv::bench
