// qkv-bench: how fast qkv runs on this machine, as a table and, with --json FILE, as JSON.
//
//   qkv-bench [--json FILE] [--threads N] [--quick] [--only PART]
//
// PART is one of peak, sgemm, kernels, attention, train, tiled, decode (default: all). --quick runs shorter
// and skips the largest sizes, for a smoke test. bench/README.md shows a real run and what
// each figure means.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "bench/bench.hpp"
#include "tensor/atomic_file.hpp"
#include "tensor/thread_pool.hpp"

namespace {

void usage(std::ostream& out) {
    out << "usage: qkv-bench [--json FILE] [--threads N] [--quick] [--only peak|sgemm|kernels|attention|train|tiled|decode]\n";
}

}  // namespace

int main(int argc, char** argv) {
    using namespace qkv::bench;
    std::string json_path, only;
    bool quick = false;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string arg = argv[i];
            const bool has_value = i + 1 < argc;
            if (arg == "--json" && has_value) json_path = argv[++i];
            else if (arg == "--threads" && has_value) qkv::set_num_threads(std::stoi(argv[++i]));
            else if (arg == "--only" && has_value) only = argv[++i];
            else if (arg == "--quick") quick = true;
            else if (arg == "--help" || arg == "-h") {
                usage(std::cout);
                return 0;
            } else {
                std::cerr << "qkv-bench: unknown or incomplete argument '" << arg << "'\n";
                usage(std::cerr);
                return 2;
            }
        }
        Report report;
        report.json["threads"] = qkv::num_threads();
        const auto want = [&](const char* part) { return only.empty() || only == part; };
        const auto flush = [&] {  // print as we go: the whole run takes a minute or two
            for (const auto& line : report.lines) std::cout << line << '\n';
            std::cout.flush();
            report.lines.clear();
        };
        if (want("peak")) measure_fma_peak(report), flush();
        if (want("sgemm")) measure_sgemm(report, quick), flush();
        if (want("kernels")) measure_kernels(report, quick), flush();
        if (want("attention")) measure_attention(report, quick), flush();
        if (want("train")) measure_train_steps(report, quick), flush();
        measure_peak_rss(report);
        flush();
        // These reset the process's high-water mark to measure each run (peak_rss_mb keeps the
        // highest mark seen before a reset; rss.cpp).
        if (want("tiled")) measure_memory_efficient(report, quick), flush();
        if (want("decode")) measure_kv_cache(report, quick), flush();
        if (!json_path.empty()) qkv::write_file_atomically(json_path, report.json.dump(2) + "\n");
    } catch (const std::exception& e) {
        std::cerr << "qkv-bench: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
