#include "lessons/common/resume.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>

#include "tensor/error.hpp"

namespace qkv::lesson {
namespace {

const std::string step_key = "lesson.step", run_key = "lesson.run", curve_prefix = "curve.";

// Doubles as hexadecimal floating-point text ("0x1.8p+1"), which reads back to the same bits.
std::string encode(const std::vector<double>& values) {
    std::string out;
    char buf[64];
    for (const double v : values) {
        const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::hex);
        if (!out.empty()) out += ',';
        out.append(buf, end);
    }
    return out;
}

std::vector<double> decode(const std::string& text, const std::string& path, const std::string& name) {
    std::vector<double> out;
    const char* p = text.data();
    const char* const end = p + text.size();
    while (p < end) {
        double v = 0;
        const auto [next, ec] = std::from_chars(p, end, v, std::chars_format::hex);
        if (ec != std::errc() || (next < end && *next != ','))
            fail("resume", "'", path, "': curve '", name, "' is not a list of numbers");
        out.push_back(v);
        p = next < end ? next + 1 : next;
    }
    return out;
}

}  // namespace

RunCheckpoint::RunCheckpoint(ResumeOptions options, nn::Module& model, nn::Optimizer& optimizer,
                             nn::Generators generators, Curves curves, std::string run)
    : options_(std::move(options)), model_(model), optimizer_(optimizer), generators_(std::move(generators)),
      curves_(std::move(curves)), run_(std::move(run)) {
    // The model's own generators (its dropout masks) are part of the run's state too: without
    // them a resumed run with dropout would drop other elements than an unstopped one.
    for (const auto& [name, gen] : model_.named_generators()) generators_["model." + name] = gen;
}

std::int64_t RunCheckpoint::first_step() {
    if (options_.path.empty() || !options_.resume || !std::filesystem::exists(options_.path)) return 1;
    const std::string& path = options_.path;
    // Check the file's description of its run before anything is restored.
    const SafetensorsFile file = load_safetensors(path);
    const auto run = file.metadata.find(run_key);
    const auto step = file.metadata.find(step_key);
    if (run == file.metadata.end() || step == file.metadata.end())
        fail("resume", "'", path, "' is not a lesson checkpoint (no ", run_key, " or ", step_key, ")");
    if (run->second != run_)
        fail("resume", "'", path, "' was saved by another run (", run->second, "); this one is ", run_,
             ". Delete the file or run without --resume");
    std::map<std::string, std::vector<double>> curves;
    for (const auto& [name, target] : curves_) {
        const auto it = file.metadata.find(curve_prefix + name);
        if (it == file.metadata.end()) fail("resume", "'", path, "' lacks the curve '", name, "'");
        curves[name] = decode(it->second, path, name);
    }
    std::int64_t saved = 0;
    const auto [end, ec] = std::from_chars(step->second.data(), step->second.data() + step->second.size(), saved);
    if (ec != std::errc() || end != step->second.data() + step->second.size() || saved < 0)
        fail("resume", "'", path, "': ", step_key, " '", step->second, "' is not a step number");
    nn::load_checkpoint(path, model_, optimizer_, generators_);  // checks everything, then restores
    for (auto& [name, target] : curves_) *target = std::move(curves[name]);
    std::printf("resumed from %s after step %lld\n", path.c_str(), static_cast<long long>(saved));
    return saved + 1;
}

void RunCheckpoint::save(std::int64_t step) {
    std::map<std::string, std::string> metadata{{run_key, run_}, {step_key, std::to_string(step)}};
    for (const auto& [name, values] : curves_) metadata[curve_prefix + name] = encode(*values);
    nn::save_checkpoint(options_.path, model_, optimizer_, metadata, generators_);
}

bool RunCheckpoint::after_step(std::int64_t step, std::int64_t total) {
    if (options_.path.empty()) return true;
    const bool stop = options_.stop_after > 0 && step >= options_.stop_after;
    if (stop || (options_.every > 0 && (step % options_.every == 0 || step == total))) save(step);
    return !stop;
}

}  // namespace qkv::lesson
