// lessons/common/progress: the exact text of the progress lines under a fake clock, in plain-line mode (a log
// file) and terminal mode (one line rewritten with "\r").
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "lessons/common/progress.hpp"
#include "tensor/error.hpp"

using namespace qkv;
using namespace qkv::lesson;

namespace {

// A clock the test moves by hand.
struct FakeClock {
    double now = 0;
    Progress::Clock function() {
        return [this] { return now; };
    }
};

}  // namespace

TEST_SUITE("lessons_common") {

TEST_CASE("Progress prints a plain line every tenth of the run with speed and ETA") {
    std::ostringstream out;
    FakeClock clock;
    Progress progress(100, "train", out, false, clock.function());
    for (int step = 1; step <= 100; ++step) {
        clock.now = step * 0.5;  // two steps a second
        progress.update(step, {{"loss", 1.0 / step}});
    }
    progress.finish();
    // At step s: 2.0 steps/s, ETA (100 - s) / 2 seconds; loss 1/s to four decimals.
    CHECK(out.str() ==
          "train  step 10/100  loss 0.1000  2.0 steps/s  ETA 45s\n"
          "train  step 20/100  loss 0.0500  2.0 steps/s  ETA 40s\n"
          "train  step 30/100  loss 0.0333  2.0 steps/s  ETA 35s\n"
          "train  step 40/100  loss 0.0250  2.0 steps/s  ETA 30s\n"
          "train  step 50/100  loss 0.0200  2.0 steps/s  ETA 25s\n"
          "train  step 60/100  loss 0.0167  2.0 steps/s  ETA 20s\n"
          "train  step 70/100  loss 0.0143  2.0 steps/s  ETA 15s\n"
          "train  step 80/100  loss 0.0125  2.0 steps/s  ETA 10s\n"
          "train  step 90/100  loss 0.0111  2.0 steps/s  ETA 5s\n"
          "train  step 100/100  loss 0.0100  2.0 steps/s  done in 50s\n");
}

TEST_CASE("Progress in a terminal rewrites one line with carriage returns at most ten times a second") {
    std::ostringstream out;
    FakeClock clock;
    Progress progress(5, "", out, true, clock.function());
    // Updates 1/16 s apart: the first is drawn, then only those 0.1 s or more after the last
    // drawing (step 3, 2/16 s later), and always the final step.
    const double losses[] = {10, 5, 1, 1, 1};
    for (int step = 1; step <= 5; ++step) {
        clock.now = step / 16.0;
        progress.update(step, {{"loss", losses[step - 1]}});
    }
    progress.finish();
    // 16.0 steps/s throughout. Step 3's line is one character shorter than step 1's ("1.0000"
    // against "10.0000"), so one space wipes the leftover character.
    CHECK(out.str() ==
          "\rstep 1/5  loss 10.0000  16.0 steps/s  ETA 0s"
          "\rstep 3/5  loss 1.0000  16.0 steps/s  ETA 0s "
          "\rstep 5/5  loss 1.0000  16.0 steps/s  done in 0s\n");
}

TEST_CASE("Progress finish prints the latest update when it was skipped, once") {
    std::ostringstream out;
    FakeClock clock;
    Progress progress(100, "", out, false, clock.function());
    clock.now = 11;
    progress.update(55, {{"acc", 0.5}});  // not a multiple of 10: not printed yet
    CHECK(out.str().empty());
    progress.finish();
    progress.finish();
    // 55 steps in 11 s = 5.0 steps/s; 45 left -> 9 s.
    CHECK(out.str() == "step 55/100  acc 0.5000  5.0 steps/s  ETA 9s\n");
}

TEST_CASE("Progress set_print_every changes how often plain lines appear") {
    std::ostringstream out;
    FakeClock clock;
    Progress progress(10, "", out, false, clock.function());
    progress.set_print_every(4);
    for (int step = 1; step <= 10; ++step) {
        clock.now = step;
        progress.update(step);
    }
    CHECK(out.str() ==
          "step 4/10  1.0 steps/s  ETA 6s\n"
          "step 8/10  1.0 steps/s  ETA 2s\n"
          "step 10/10  1.0 steps/s  done in 10s\n");
    CHECK_THROWS_WITH_AS(progress.set_print_every(0), doctest::Contains("steps must be at least 1"), Error);
}

TEST_CASE("Progress status_line formats durations, slow speeds and tiny metrics") {
    std::ostringstream out;
    FakeClock clock;
    Progress long_run(100000, "pretrain", out, false, clock.function());
    clock.now = 10;
    long_run.update(10, {{"lr", 3e-4}, {"loss", NAN}});
    // 1 step/s; 99990 s left = 27 h 46 min 30 s.
    CHECK(long_run.status_line(10) == "pretrain  step 10/100000  lr 3.000e-04  loss nan  1.0 steps/s  ETA 27h46m");
    CHECK(long_run.status_line(100) == "pretrain  step 10/100000  lr 3.000e-04  loss nan  0.100 steps/s  ETA 277h45m");

    Progress minutes(10000, "", out, false, clock.function());  // started at t = 10
    minutes.update(100);
    // 100 steps in 10 s: 10 steps/s, 9900 left: 990 s = 16 min 30 s.
    CHECK(minutes.status_line(20) == "step 100/10000  10.0 steps/s  ETA 16m30s");
    CHECK(minutes.status_line(10) == "step 100/10000");  // no time has passed: no speed yet
}

TEST_CASE("Progress note prints a line without garbling the progress line") {
    std::ostringstream plain;
    FakeClock clock;
    Progress log(10, "", plain, false, clock.function());
    log.note("valid loss 0.5");
    CHECK(plain.str() == "valid loss 0.5\n");

    std::ostringstream term;
    Progress bar(10, "", term, true, clock.function());
    clock.now = 1;
    bar.update(1);
    bar.note("saved");
    // The note overwrites the progress line (padded to its width) and the line is drawn again.
    const std::string line = "step 1/10  1.0 steps/s  ETA 9s";
    CHECK(term.str() == "\r" + line + "\rsaved" + std::string(line.size() - 5, ' ') + "\n\r" + line);
}

TEST_CASE("Progress rejects steps outside the run, steps going back and updates after finish") {
    std::ostringstream out;
    CHECK_THROWS_WITH_AS(Progress(0, "", out, false), doctest::Contains("total_steps must be at least 1, got 0"), Error);
    Progress progress(10, "", out, false);
    CHECK_THROWS_WITH_AS(progress.update(11), doctest::Contains("step 11 is outside 0..10"), Error);
    CHECK_THROWS_WITH_AS(progress.update(-1), doctest::Contains("step -1 is outside 0..10"), Error);
    progress.update(5);
    CHECK_THROWS_WITH_AS(progress.update(4), doctest::Contains("step 4 comes after step 5"), Error);
    progress.finish();
    CHECK_THROWS_WITH_AS(progress.update(6), doctest::Contains("update after finish()"), Error);
}

TEST_CASE("Progress treats a string stream as a file, not a terminal") {
    std::ostringstream out;
    CHECK_FALSE(Progress(10, "", out).is_terminal());
    CHECK(Progress(10, "", out, true).is_terminal());
}

}  // TEST_SUITE
