// nn/optim/schedule: each schedule's value at its landmarks (start, peak, midpoint, end),
// worked out by hand, its checks, and a Scheduler driving an optimizer.
#include <doctest/doctest.h>

#include <cmath>

#include "nn/optim/schedule.hpp"
#include "nn/optim/sgd.hpp"

using namespace qkv;
using namespace qkv::nn;

namespace {
doctest::Approx near(double x) { return doctest::Approx(x).epsilon(1e-12); }
}  // namespace

TEST_SUITE("nn") {

TEST_CASE("ConstantSchedule gives the same lr at every step") {
    const ConstantSchedule s(3e-4);
    CHECK(s.lr_at(0) == 3e-4);
    CHECK(s.lr_at(123456) == 3e-4);
}

TEST_CASE("WarmupLinear rises from 0 to the peak at step warmup, then falls to final_lr at total") {
    const WarmupLinear s(1e-3, 10, 110);
    CHECK(s.lr_at(0) == 0.0);            // the first update is made with lr 0, as in Hugging Face's
    CHECK(s.lr_at(5) == near(5e-4));     // 1e-3 * 5 / 10
    CHECK(s.lr_at(9) == near(9e-4));
    CHECK(s.lr_at(10) == near(1e-3));    // the peak
    CHECK(s.lr_at(60) == near(5e-4));    // 1e-3 * (110 - 60) / (110 - 10)
    CHECK(s.lr_at(109) == near(1e-5));   // 1e-3 * 1 / 100
    CHECK(s.lr_at(110) == 0.0);
    CHECK(s.lr_at(500) == 0.0);

    const WarmupLinear floor(1e-3, 10, 110, 1e-4);
    CHECK(floor.lr_at(60) == near(5.5e-4));  // 1e-4 + 9e-4 * 50 / 100
    CHECK(floor.lr_at(1000) == 1e-4);
    CHECK(WarmupLinear(2.0, 0, 4).lr_at(0) == 2.0);  // no warmup: starts at the peak
}

TEST_CASE("WarmupCosine peaks at warmup and is half-way between peak and final at the decay's midpoint") {
    const WarmupCosine s(1e-3, 10, 110);
    CHECK(s.lr_at(0) == 0.0);
    CHECK(s.lr_at(5) == near(5e-4));
    CHECK(s.lr_at(10) == near(1e-3));
    CHECK(s.lr_at(35) == near(1e-3 * 0.5 * (1 + std::sqrt(0.5))));  // progress 1/4: cos(pi/4) = sqrt(1/2)
    CHECK(s.lr_at(60) == near(5e-4));                                // progress 1/2: cos(pi/2) = 0
    CHECK(s.lr_at(85) == near(1e-3 * 0.5 * (1 - std::sqrt(0.5))));  // progress 3/4
    CHECK(s.lr_at(110) == 0.0);
    CHECK(s.lr_at(200) == 0.0);  // stays at the floor past total

    const WarmupCosine floor(1e-3, 10, 110, 1e-4);
    CHECK(floor.lr_at(10) == near(1e-3));
    CHECK(floor.lr_at(60) == near(5.5e-4));
    CHECK(floor.lr_at(110) == 1e-4);
}

TEST_CASE("InverseSqrt peaks at step warmup with lr factor over sqrt(d_model * warmup)") {
    const InverseSqrt s(512, 4000);
    const double peak = 1.0 / std::sqrt(512.0 * 4000.0);  // 6.98771242e-4
    CHECK(s.lr_at(4000) == near(peak));
    CHECK(s.lr_at(4000) == doctest::Approx(6.98771242e-4).epsilon(1e-8));
    CHECK(s.lr_at(3999) < s.lr_at(4000));
    CHECK(s.lr_at(4001) < s.lr_at(4000));
    CHECK(s.lr_at(2000) == near(peak / 2));   // warmup: linear in the step
    CHECK(s.lr_at(16000) == near(peak / 2));  // decay: 1 / sqrt(step)
    // step 0 is evaluated at 1: 512^-0.5 * 1 * 4000^-1.5
    CHECK(s.lr_at(0) == near(1.0 / std::sqrt(512.0) / std::pow(4000.0, 1.5)));
    CHECK(s.lr_at(0) == s.lr_at(1));
    CHECK(InverseSqrt(512, 4000, 2.0).lr_at(4000) == near(2 * peak));
}

TEST_CASE("schedules reject warmup past total and other bad settings") {
    CHECK_THROWS_WITH_AS(WarmupLinear(1e-3, 200, 100),
                         doctest::Contains("WarmupLinear: warmup_steps must be in [0, total_steps = 100], got 200"), Error);
    CHECK_THROWS_WITH_AS(WarmupCosine(1e-3, -1, 100), doctest::Contains("WarmupCosine: warmup_steps must be in [0,"),
                         Error);
    CHECK_THROWS_WITH_AS(WarmupCosine(1e-3, 0, 0), doctest::Contains("total_steps must be >= 1, got 0"), Error);
    CHECK_THROWS_WITH_AS(WarmupLinear(1e-3, 10, 100, 1e-2), doctest::Contains("final_lr 0.01 is above peak_lr 0.001"),
                         Error);
    CHECK_THROWS_WITH_AS(WarmupLinear(-1.0, 10, 100), doctest::Contains("peak_lr must be a finite number >= 0, got -1"),
                         Error);
    CHECK_THROWS_WITH_AS(InverseSqrt(0, 4000), doctest::Contains("InverseSqrt: d_model must be >= 1, got 0"), Error);
    CHECK_THROWS_WITH_AS(InverseSqrt(512, 0), doctest::Contains("warmup_steps must be >= 1, got 0"), Error);
    CHECK_THROWS_WITH_AS(ConstantSchedule(1e-3).lr_at(-1), doctest::Contains("ConstantSchedule: step must be >= 0, got -1"),
                         Error);
}

TEST_CASE("Scheduler sets the lr each update uses from the optimizer's step count") {
    const Var p = parameter(zeros({1}, DType::Float64));
    SGD opt({p}, 123.0);
    Scheduler sched(opt, WarmupLinear(0.1, 2, 4));  // lr_at: 0, 0.05, 0.1, 0.05, 0, ...
    CHECK(opt.lr() == 0.0);
    std::vector<double> seen;
    for (int i = 0; i < 5; ++i) {
        p.zero_grad();
        sum(p).backward();  // gradient 1: each update subtracts exactly the lr it used
        const double before = p.data().item();
        opt.step();
        sched.step();
        seen.push_back(before - p.data().item());
    }
    CHECK(seen[0] == 0.0);
    CHECK(seen[1] == doctest::Approx(0.05));
    CHECK(seen[2] == doctest::Approx(0.1));
    CHECK(seen[3] == doctest::Approx(0.05));
    CHECK(seen[4] == 0.0);
    CHECK(sched.lr() == 0.0);

    // A new scheduler on an optimizer restored at step 3 carries on from there.
    SGD resumed({p}, 1.0);
    TensorMap state = opt.state_dict();
    state["step"] = from_vector(std::vector<std::int64_t>{3}, Shape{});
    resumed.load_state_dict(state);
    Scheduler again(resumed, WarmupLinear(0.1, 2, 4));
    CHECK(resumed.lr() == doctest::Approx(0.05));
}

}  // TEST_SUITE
