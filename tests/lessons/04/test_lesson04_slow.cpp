// Lesson 04's outcomes at its documented budget (seed 0, 300 steps of 64 examples per model),
// the pass criteria computed here from the held-out decodings:
//   reversal: exact match >= 0.99 on 1000 held-out sequences, and >= 95% of output positions put
//             their largest weight on the mirrored input position;
//   no attention: measurably worse on the longest (length-8) inputs;
//   dates:    exact match >= 0.98 on 1000 held-out dates; >= 90% of the output's day digits, and
//             separately >= 90% of its year digits that the source writes, put their largest
//             weight on the matching source digit.
#include <doctest/doctest.h>

#include "lessons/04_bahdanau_seq2seq/dates.hpp"
#include "lessons/04_bahdanau_seq2seq/reversal.hpp"
#include "lessons/04_bahdanau_seq2seq/training.hpp"

using namespace qkv;
using namespace qkv::lesson04;

namespace {

// Exact match recounted from the decodings, and the exact match of length-`len` sources.
double exact(const Task& task, const Evaluation& ev, std::size_t len = 0) {
    std::int64_t right = 0, total = 0;
    for (std::size_t k = 0; k < task.heldout.size(); ++k) {
        if (len && task.heldout[k].src.size() != len) continue;
        ++total;
        right += ev.decoded[k] == task.heldout[k].tgt;
    }
    return total ? static_cast<double>(right) / static_cast<double>(total) : 0;
}

// The share of counted positions among target positions first .. last whose attention row peaks
// at the expected source position.
double alignment(const Task& task, const Evaluation& ev, std::size_t first = 0, std::size_t last = 1000) {
    std::int64_t hit = 0, counted = 0;
    for (std::size_t k = 0; k < task.heldout.size(); ++k) {
        const Example& e = task.heldout[k];
        const Tensor& a = ev.attention[k];  // (steps, S)
        for (std::size_t i = first; i < e.align.size() && i <= last; ++i) {
            if (e.align[i] < 0) continue;
            ++counted;
            const auto row = static_cast<std::int64_t>(i);
            if (row >= a.size(0)) continue;
            std::int64_t best = 0;
            for (std::int64_t j = 1; j < a.size(1); ++j)
                if (a.at({row, j}) > a.at({row, best})) best = j;
            hit += best == e.align[i];
        }
    }
    return static_cast<double>(hit) / static_cast<double>(counted);
}

}  // namespace

TEST_SUITE("lesson04_slow") {

TEST_CASE("reversal with attention passes, and the model without attention fails on long inputs") {
    const Task task = reversal_task(0);
    REQUIRE(task.heldout.size() == 1000);
    Trained t = train(task, reversal_config(0));
    const Evaluation ev = evaluate(t.model, task);
    const double em = exact(task, ev), align = alignment(task, ev);
    INFO("exact match ", em, ", alignment ", align);
    CHECK(em >= 0.99);
    CHECK(align >= 0.95);

    Trained base = train(task, reversal_config(0, default_steps, false));
    const Evaluation bev = evaluate(base.model, task);
    const double with8 = exact(task, ev, 8), without8 = exact(task, bev, 8);
    INFO("length 8: attention ", with8, ", no attention ", without8);
    CHECK(without8 <= with8 - 0.3);
    CHECK(exact(task, bev, 3) >= 0.9);  // the baseline did learn the task, only not for long inputs
}

TEST_CASE("dates with attention pass exact match and digit alignment") {
    const Task task = dates_task(0);
    REQUIRE(task.heldout.size() == 1000);
    Trained t = train(task, dates_config(0));
    const Evaluation ev = evaluate(t.model, task);
    // yyyy-mm-dd: the year is target positions 0 .. 3, the day 8 .. 9.
    const double em = exact(task, ev), year = alignment(task, ev, 0, 3), day = alignment(task, ev, 8, 9);
    INFO("exact match ", em, ", year digits ", year, ", day digits ", day);
    CHECK(em >= 0.98);
    CHECK(day >= 0.90);
    CHECK(year >= 0.90);
}

}  // TEST_SUITE
