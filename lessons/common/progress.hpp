// A progress line for training loops:
//
//   Progress progress(1000, "train");
//   for (std::int64_t step = 1; step <= 1000; ++step) {
//       ... one optimisation step ...
//       progress.update(step, {{"loss", loss}, {"acc", accuracy}});
//   }
//   progress.finish();
//
//   train  step 120/1000  loss 0.1230  acc 0.9000  85.3 steps/s  ETA 10s
//
// On a terminal it is one line rewritten in place ("\r"), at most ten times a second, ended by
// finish(). Anywhere else (a file, a CI log) it prints a plain line every `print_every` steps,
// ten lines over the whole run by default, so logs stay short.
//
// The speed is the average since the Progress was made (steps / seconds), and the ETA is the
// remaining steps at that speed. The last line says "done in" instead of "ETA".
#pragma once

#include <cstdint>
#include <functional>
#include <iostream>  // std::cerr, the default stream
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qkv::lesson {

struct Metric {
    std::string name;
    double value;  // printed with 4 decimals ("0.1230"), or as 3.000e-04 when tiny or huge
};

class Progress {
public:
    // Seconds since any fixed moment; tests pass a fake clock to get exact output.
    using Clock = std::function<double()>;

    // `is_terminal` defaults to asking the system whether `out` (when it is std::cout, std::cerr
    // or std::clog) is a terminal; any other stream counts as a file. `clock` defaults to
    // std::chrono::steady_clock. The clock starts now.
    explicit Progress(std::int64_t total_steps, std::string label = "", std::ostream& out = std::cerr,
                      std::optional<bool> is_terminal = std::nullopt, Clock clock = {});
    ~Progress();  // finish()es if you did not
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Reports that `step` of the total steps are done (1 after the first), with the latest
    // metrics. Steps must not decrease and must lie in 0..total.
    void update(std::int64_t step, const std::vector<Metric>& metrics = {});
    // Prints a line of text (an evaluation result, a checkpoint saved) without garbling the
    // progress line: on a terminal the line is redrawn below it.
    void note(std::string_view text);
    // Prints the latest update if it was skipped, and on a terminal ends the line. Idempotent.
    void finish();

    // Plain-line mode: print every `steps` steps (and the last one). Default: total / 10, rounded up.
    void set_print_every(std::int64_t steps);
    bool is_terminal() const { return terminal_; }

    // The text of a progress line (no "\r", no newline) for the latest update at time `now`.
    std::string status_line(double now) const;

private:
    void show(double now);

    std::int64_t total_;
    std::string label_;
    std::ostream& out_;
    bool terminal_;
    Clock clock_;
    double start_;
    std::int64_t print_every_;

    std::int64_t step_ = 0;
    std::vector<Metric> metrics_;
    bool any_update_ = false;
    bool latest_shown_ = true;  // was the latest update printed?
    bool finished_ = false;
    double last_print_ = 0;
    std::size_t last_width_ = 0;  // columns of the line on screen (terminal mode)
};

}  // namespace qkv::lesson
