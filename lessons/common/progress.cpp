#include "lessons/common/progress.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <iostream>

#if __has_include(<unistd.h>)
#include <unistd.h>  // isatty: POSIX, not standard C++; without it every stream counts as a file
#define QKV_HAVE_ISATTY 1
#endif

#include "lessons/common/plot/terminal.hpp"
#include "tensor/error.hpp"

namespace qkv::lesson {
namespace {

constexpr double terminal_interval = 0.1;  // seconds between redraws: ten a second is smooth enough

bool stream_is_terminal(const std::ostream& out) {
#ifdef QKV_HAVE_ISATTY
    if (&out == &std::cout) return isatty(STDOUT_FILENO) == 1;
    if (&out == &std::cerr || &out == &std::clog) return isatty(STDERR_FILENO) == 1;
#endif
    (void)out;
    return false;
}

double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string to_chars(double v, std::chars_format format, int precision) {
    char buffer[64];
    const auto r = std::to_chars(buffer, buffer + sizeof buffer, v, format, precision);
    return {buffer, r.ptr};
}

// "0.1230"; "3.000e-04" when four decimals would hide the value (or it is very large).
std::string metric_value(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    const double a = std::abs(v);
    if (v == 0 || (a >= 1e-3 && a < 1e6)) return to_chars(v, std::chars_format::fixed, 4);
    return to_chars(v, std::chars_format::scientific, 3);
}

// "85.3 steps/s", or "0.215 steps/s" for slow steps.
std::string rate_text(double steps_per_second) {
    return to_chars(steps_per_second, std::chars_format::fixed, steps_per_second >= 1 ? 1 : 3) + " steps/s";
}

// "10s", "2m05s", "1h02m".
std::string duration(double seconds) {
    const long long s = std::llround(std::max(0.0, seconds));
    auto two = [](long long v) { return cat(v < 10 ? "0" : "", v); };
    if (s < 60) return std::to_string(s) + "s";
    if (s < 3600) return std::to_string(s / 60) + "m" + two(s % 60) + "s";
    return std::to_string(s / 3600) + "h" + two(s / 60 % 60) + "m";
}

}  // namespace

Progress::Progress(std::int64_t total_steps, std::string label, std::ostream& out, std::optional<bool> is_terminal,
                   Clock clock)
    : total_(total_steps),
      label_(std::move(label)),
      out_(out),
      terminal_(is_terminal.value_or(stream_is_terminal(out))),
      clock_(clock ? std::move(clock) : Clock(steady_seconds)),
      start_(clock_()),
      print_every_(std::max<std::int64_t>(1, (total_steps + 9) / 10)) {
    if (total_steps < 1) fail("Progress", "total_steps must be at least 1, got ", total_steps);
}

Progress::~Progress() {
    try {
        finish();
    } catch (...) {  // a destructor must not throw; a lost last line is the lesser harm
    }
}

void Progress::set_print_every(std::int64_t steps) {
    if (steps < 1) fail("Progress::set_print_every", "steps must be at least 1, got ", steps);
    print_every_ = steps;
}

std::string Progress::status_line(double now) const {
    std::string line = label_.empty() ? "" : label_ + "  ";
    line += cat("step ", step_, '/', total_);
    for (const Metric& m : metrics_) line += cat("  ", m.name, ' ', metric_value(m.value));
    const double elapsed = now - start_;
    if (step_ > 0 && elapsed > 0) {
        const double rate = step_ / elapsed;
        line += "  " + rate_text(rate);
        line += step_ == total_ ? "  done in " + duration(elapsed) : "  ETA " + duration((total_ - step_) / rate);
    }
    return line;
}

void Progress::show(double now) {
    const std::string line = status_line(now);
    if (terminal_) {
        // "\r" returns to the start of the line; spaces wipe what a longer previous line left.
        const std::size_t width = display_width(line);
        out_ << '\r' << line << std::string(last_width_ > width ? last_width_ - width : 0, ' ');
        last_width_ = width;
    } else {
        out_ << line << '\n';
    }
    out_.flush();
    last_print_ = now;
    latest_shown_ = true;
}

void Progress::update(std::int64_t step, const std::vector<Metric>& metrics) {
    const char* op = "Progress::update";
    if (finished_) fail(op, "update after finish()");
    if (step < 0 || step > total_) fail(op, "step ", step, " is outside 0..", total_);
    if (step < step_) fail(op, "step ", step, " comes after step ", step_, ": steps must not decrease");
    step_ = step;
    metrics_ = metrics;
    const double now = clock_();
    const bool first = !any_update_;
    any_update_ = true;
    latest_shown_ = false;
    const bool due = terminal_ ? first || step == total_ || now - last_print_ >= terminal_interval
                               : step % print_every_ == 0 || step == total_;
    if (due) show(now);
}

void Progress::note(std::string_view text) {
    if (terminal_ && last_width_ > 0) {
        const std::size_t width = display_width(text);
        out_ << '\r' << text << std::string(last_width_ > width ? last_width_ - width : 0, ' ') << '\n';
        last_width_ = 0;
        if (any_update_ && !finished_) show(clock_());
    } else {
        out_ << text << '\n';
    }
    out_.flush();
}

void Progress::finish() {
    if (finished_) return;
    finished_ = true;
    if (any_update_ && !latest_shown_) show(clock_());
    if (terminal_ && last_width_ > 0) out_ << '\n';
    out_.flush();
}

}  // namespace qkv::lesson
