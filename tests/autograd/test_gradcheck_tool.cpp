// The gradient checker itself: it must catch a wrong backward rule and say where, pass a right
// one, honour its tolerances, refuse inputs it cannot perturb soundly, and leave inputs as
// they were.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tests/autograd/helpers.hpp"

using namespace qkv;
using namespace qkv::test;

namespace {

// y = x^2 with a backward rule scaled by `factor`: factor 2 is right (dy/dx = 2x); factor 1 is
// the classic mistake of forgetting the 2.
Var square_with_rule(const Var& x, double factor) {
    return record("square", mul(x.data(), x.data()), {x},
                  [x = x.data(), factor](const Tensor& g) -> Grads { return {mul(g, x) * factor}; });
}

// The analytic and numeric values quoted in a failure message.
struct Quoted {
    double analytic = 0, numeric = 0;
};
Quoted quoted_values(const std::string& message) {
    const std::size_t a = message.find("analytic "), n = message.find(" vs numeric ");
    REQUIRE(a != std::string::npos);
    REQUIRE(n != std::string::npos);
    return {std::stod(message.substr(a + 9)), std::stod(message.substr(n + 12))};
}

Tensor values(const std::vector<double>& v) { return from_vector(v); }
Tensor values(const std::vector<double>& v, Shape shape) { return from_vector(v, std::move(shape)); }

}  // namespace

TEST_SUITE("autograd") {

TEST_CASE("gradcheck fails a wrong backward rule naming the input and element and both values") {
    // Only element 2 is non-zero, so it is the only one where the wrong rule (x g instead of
    // 2 x g) differs from the finite difference.
    const GradcheckResult r =
        gradcheck([](const std::vector<Var>& x) { return square_with_rule(x[0], 1.0); }, {values({0, 0, 1.5, 0})});
    CHECK_FALSE(r.ok);
    CHECK_FALSE(static_cast<bool>(r));
    CHECK(r.failures == 1);
    CHECK(r.message.find("input 0 float64 (4), element (2)") != std::string::npos);
    CHECK(r.message.find("(1 element(s) failed)") != std::string::npos);
    // numeric = 2 x w and analytic = x w for the random output weight w of that element.
    const Quoted q = quoted_values(r.message);
    CHECK(q.analytic != 0.0);
    CHECK(q.numeric == doctest::Approx(2 * q.analytic).epsilon(1e-6));
}

TEST_CASE("gradcheck names the right input and a multi-dim element index") {
    // f(a, b) = a * b + b^2 (wrong rule): the a * b part is right for both inputs; the square's
    // mistake shows only in b, at its one non-zero element (1, 0).
    const GradcheckResult r = gradcheck(
        [](const std::vector<Var>& x) { return x[0] * x[1] + square_with_rule(x[1], 1.0); },
        {values({0.5, -1, 2, 0.25}, {2, 2}), values({0, 0, 0.75, 0}, {2, 2})});
    CHECK_FALSE(r.ok);
    CHECK(r.failures == 1);
    CHECK(r.message.find("input 1 float64 (2, 2), element (1, 0)") != std::string::npos);
}

TEST_CASE("gradcheck passes a right rule with an empty message") {
    Generator gen(21);
    const GradcheckResult r = gradcheck([](const std::vector<Var>& x) { return square_with_rule(x[0], 2.0); },
                                        {randn({3, 4}, 0.0, 1.0, f64, gen)});
    CHECK(r.ok);
    CHECK(r.failures == 0);
    CHECK(r.message.empty());
}

TEST_CASE("gradcheck's tolerances decide whether a slightly wrong rule passes") {
    // A rule 0.1% too large: within rtol 1e-2, outside rtol 1e-5 (with atol 0).
    Generator gen(22);
    const Tensor x = rand({5}, 0.5, 1.5, f64, gen);
    const GradcheckFn f = [](const std::vector<Var>& v) { return square_with_rule(v[0], 2.002); };
    CHECK(gradcheck(f, {x}, {.atol = 0.0, .rtol = 1e-2}).ok);
    const GradcheckResult strict = gradcheck(f, {x}, {.atol = 0.0, .rtol = 1e-5});
    CHECK_FALSE(strict.ok);
    CHECK(strict.failures == 5);
}

TEST_CASE("gradcheck fails a rule that returns no gradient for an input that matters") {
    const GradcheckFn f = [](const std::vector<Var>& x) {
        return record("forgetful", x[0].data() * 3.0, {x[0]}, [](const Tensor&) -> Grads { return {Tensor()}; });
    };
    const GradcheckResult r = gradcheck(f, {values({1, 2, 3})});
    CHECK_FALSE(r.ok);
    CHECK(r.failures == 3);
    CHECK(quoted_values(r.message).analytic == 0.0);
}

TEST_CASE("gradcheck fails a NaN gradient") {
    const GradcheckFn f = [](const std::vector<Var>& x) {
        return record("nan_rule", x[0].data() * 3.0, {x[0]}, [](const Tensor& g) -> Grads {
            return {full_like(g, std::numeric_limits<double>::quiet_NaN())};
        });
    };
    const GradcheckResult r = gradcheck(f, {values({1, 2})});
    CHECK_FALSE(r.ok);
    CHECK(r.failures == 2);
}

TEST_CASE("gradcheck passes an input that f ignores (both gradients are zero)") {
    const GradcheckResult r = gradcheck([](const std::vector<Var>& x) { return exp(x[0]); }, {values({1, 2}), values({3, 4})});
    CHECK(r.ok);
}

TEST_CASE("gradcheck accepts a strided view and leaves every element as it was") {
    // The transpose of every other column of a (3, 4) buffer.
    Generator gen(23);
    const Tensor buffer = randn({3, 4}, 0.0, 1.0, f64, gen);
    const std::vector<double> before = buffer.to_vector<double>();
    const Tensor view = buffer.slice(1, 0, 4, 2).t();  // (2, 3)
    REQUIRE_FALSE(view.is_contiguous());
    const GradcheckResult r =
        gradcheck([](const std::vector<Var>& x) { return square_with_rule(x[0], 2.0) * x[0]; }, {view});
    INFO(r.message);
    CHECK(r.ok);
    check_close(buffer, before, 0.0);  // bit for bit, including the elements the view skips
}

TEST_CASE("gradcheck rejects a float32 input and an expanded input and a float32 result") {
    const GradcheckFn identity_times_2 = [](const std::vector<Var>& x) { return x[0] * 2.0; };
    CHECK_THROWS_WITH_AS(gradcheck(identity_times_2, {zeros({3}, DType::Float32)}),
                         doctest::Contains("gradcheck: input 0 is float32 (3); the checker needs float64"), Error);
    CHECK_THROWS_WITH_AS(gradcheck(identity_times_2, {zeros({3}, f64).expand({2, 3})}),
                         doctest::Contains("repeats elements (stride 0 at dim 0)"), Error);
    CHECK_THROWS_WITH_AS(
        gradcheck([](const std::vector<Var>&) { return Var(zeros({2}, DType::Float32)); }, {zeros({2}, f64)}),
        doctest::Contains("f returned float32 (2), expected float64"), Error);
}

}  // TEST_SUITE
