// nn/optim: SGD, Adam and AdamW against sequences of updates worked out by hand (or, for Adam's
// square roots, by its textbook definition in plain doubles), their state dicts, and
// clip_grad_norm_.
//
// Every test runs three updates of a 2-element parameter p0 = (1, -2) with fixed gradients
//   g1 = (0.5, 1),  g2 = (-1, 2),  g3 = (0.25, -0.5).
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "autograd/helpers.hpp"
#include "nn/optim/adam.hpp"
#include "nn/optim/clip.hpp"
#include "nn/optim/sgd.hpp"
#include "tensor/thread_pool.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_close;
using qkv::test::f64;

namespace {

const std::vector<std::vector<double>> grads{{0.5, 1.0}, {-1.0, 2.0}, {0.25, -0.5}};

Var start(DType dtype = f64) { return parameter(tensor({1.0, -2.0}, dtype)); }

void set_grad(const Var& p, const std::vector<double>& g) { p.set_grad(from_vector(g).to(p.dtype())); }

// The three updates with the fixed gradients.
void run_three_steps(Optimizer& opt, const Var& p) {
    for (const auto& g : grads) {
        set_grad(p, g);
        opt.step();
    }
}

// Adam for one scalar, by the definition (Kingma & Ba, Algorithm 1, plus the two decays).
struct ScalarAdam {
    double p, m = 0, v = 0;
    int t = 0;
    void step(double grad, double lr, double b1, double b2, double eps, double wd, bool decoupled) {
        ++t;
        if (decoupled) p = p - lr * wd * p;
        const double g = decoupled ? grad : grad + wd * p;
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        const double m_hat = m / (1 - std::pow(b1, t)), v_hat = v / (1 - std::pow(b2, t));
        p = p - lr * m_hat / (std::sqrt(v_hat) + eps);
    }
};

std::vector<double> scalar_adam(double lr, double b1, double b2, double eps, double wd, bool decoupled) {
    std::vector<double> out;
    for (std::size_t i = 0; i < 2; ++i) {
        ScalarAdam a{i == 0 ? 1.0 : -2.0};
        for (const auto& g : grads) a.step(g[i], lr, b1, b2, eps, wd, decoupled);
        out.push_back(a.p);
    }
    return out;
}

// A module with two parameters, for named state.
struct Pair : Module {
    Var w = parameter(tensor({1.0, -2.0}, f64));
    Var b = parameter(tensor({0.5}, f64));
    void visit(Visitor& v) override { v.param("w", w), v.param("b", b); }
    std::string type_name() const override { return "Pair"; }
};

std::int64_t int_entry(const TensorMap& state, const std::string& key) {
    REQUIRE(state.count(key) == 1);
    return static_cast<std::int64_t>(state.at(key).item());
}

}  // namespace

TEST_SUITE("nn") {

// ---- SGD ------------------------------------------------------------------------------------

TEST_CASE("SGD without momentum moves by lr times the gradient") {
    const Var p = start();
    SGD opt({p}, 0.1);
    run_three_steps(opt, p);
    // p0 (1, -2) - 0.1 g1 = (0.95, -2.1); - 0.1 g2 = (1.05, -2.3); - 0.1 g3 = (1.025, -2.25)
    check_close(p.data(), {1.025, -2.25}, 1e-14);
    CHECK(opt.step_count() == 3);
}

TEST_CASE("SGD with momentum accumulates a velocity starting at the first gradient") {
    const Var p = start();
    SGD opt({p}, 0.1, 0.9);
    run_three_steps(opt, p);
    // element 0: buf = 0.5,                  p = 1 - 0.05 = 0.95
    //            buf = 0.45 - 1 = -0.55,     p = 0.95 + 0.055 = 1.005
    //            buf = -0.495 + 0.25 = -0.245, p = 1.005 + 0.0245 = 1.0295
    // element 1: buf = 1,                    p = -2 - 0.1 = -2.1
    //            buf = 0.9 + 2 = 2.9,        p = -2.1 - 0.29 = -2.39
    //            buf = 2.61 - 0.5 = 2.11,    p = -2.39 - 0.211 = -2.601
    check_close(p.data(), {1.0295, -2.601}, 1e-14);
    check_close(opt.state_dict().at("momentum_buffer.0"), {-0.245, 2.11}, 1e-14);
}

TEST_CASE("SGD with Nesterov momentum steps by the gradient plus the coming momentum") {
    const Var p = start();
    SGD opt({p}, 0.1, 0.9, 0.0, 0.0, true);
    run_three_steps(opt, p);
    // element 0: buf = 0.5,    g = 0.5 + 0.45 = 0.95,          p = 1 - 0.095 = 0.905
    //            buf = -0.55,  g = -1 - 0.495 = -1.495,        p = 0.905 + 0.1495 = 1.0545
    //            buf = -0.245, g = 0.25 - 0.2205 = 0.0295,     p = 1.0545 - 0.00295 = 1.05155
    // element 1: buf = 1,      g = 1 + 0.9 = 1.9,              p = -2 - 0.19 = -2.19
    //            buf = 2.9,    g = 2 + 2.61 = 4.61,            p = -2.19 - 0.461 = -2.651
    //            buf = 2.11,   g = -0.5 + 1.899 = 1.399,       p = -2.651 - 0.1399 = -2.7909
    check_close(p.data(), {1.05155, -2.7909}, 1e-14);
}

TEST_CASE("SGD weight decay adds wd times p and dampening spares the first step") {
    const Var p = start();
    SGD opt({p}, 0.1, 0.9, 0.5, 0.1);
    run_three_steps(opt, p);
    // element 0: g = 0.5 + 0.1 * 1 = 0.6,          buf = 0.6 (first: undamped), p = 1 - 0.06 = 0.94
    //            g = -1 + 0.094 = -0.906,          buf = 0.54 - 0.453 = 0.087,  p = 0.94 - 0.0087 = 0.9313
    //            g = 0.25 + 0.09313 = 0.34313,     buf = 0.0783 + 0.171565 = 0.249865,
    //                                              p = 0.9313 - 0.0249865 = 0.9063135
    // element 1: g = 1 - 0.2 = 0.8,                buf = 0.8,                   p = -2 - 0.08 = -2.08
    //            g = 2 - 0.208 = 1.792,            buf = 0.72 + 0.896 = 1.616,  p = -2.08 - 0.1616 = -2.2416
    //            g = -0.5 - 0.22416 = -0.72416,    buf = 1.4544 - 0.36208 = 1.09232,
    //                                              p = -2.2416 - 0.109232 = -2.350832
    check_close(p.data(), {0.9063135, -2.350832}, 1e-14);
    check_close(opt.state_dict().at("momentum_buffer.0"), {0.249865, 1.09232}, 1e-14);
}

TEST_CASE("SGD in float32 rounds each stored value to float32") {
    const Var p = start(DType::Float32);
    SGD opt({p}, 0.1, 0.9);
    run_three_steps(opt, p);
    CHECK(p.dtype() == DType::Float32);
    check_close(p.data(), {1.0295, -2.601}, 1e-6);
}

TEST_CASE("SGD rejects Nesterov without momentum or with dampening, and bad rates") {
    const Var p = start();
    CHECK_THROWS_WITH_AS(SGD({p}, 0.1, 0.0, 0.0, 0.0, true),
                         doctest::Contains("SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum 0 and dampening 0"),
                         Error);
    CHECK_THROWS_WITH_AS(SGD({p}, 0.1, 0.9, 0.1, 0.0, true), doctest::Contains("dampening 0.1"), Error);
    CHECK_THROWS_WITH_AS(SGD({p}, -1.0), doctest::Contains("SGD: lr must be finite and >= 0, got -1"), Error);
    CHECK_THROWS_WITH_AS(SGD({p}, 0.1, -0.5), doctest::Contains("SGD: momentum must be finite and >= 0, got -0.5"), Error);
    SGD ok({p}, 0.1);
    CHECK_THROWS_WITH_AS(ok.set_lr(std::nan("")), doctest::Contains("SGD: lr must be finite and >= 0, got nan"), Error);
    CHECK_THROWS_WITH_AS(SGD(std::vector<Var>{}, 0.1), doctest::Contains("optimizer: got an empty parameter list"), Error);
}

// ---- Adam and AdamW --------------------------------------------------------------------------

TEST_CASE("Adam's first step moves each element by lr, whatever its gradient's size") {
    // t = 1: m_hat = g and v_hat = g^2 exactly, so the step is lr * g / (|g| + eps).
    const Var p = start();
    Adam opt({p}, 0.1);
    set_grad(p, {0.5, 1000.0});
    opt.step();
    check_close(p.data(), {1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 - 0.1 * 1000 / (1000 + 1e-8)}, 1e-15);
}

TEST_CASE("Adam follows its definition over three steps, with bias correction") {
    const Var p = start();
    Adam opt({p}, 0.1, {0.8, 0.9}, 1e-3);
    run_three_steps(opt, p);
    check_close(p.data(), scalar_adam(0.1, 0.8, 0.9, 1e-3, 0.0, false), 1e-14);
    // the running averages of element 0: m = 0.2 * 0.5 = 0.1, then 0.08 - 0.2 = -0.12, then
    // -0.096 + 0.05 = -0.046; v = 0.1 * 0.25 = 0.025, then 0.0225 + 0.1 = 0.1225, then
    // 0.11025 + 0.00625 = 0.1165
    const TensorMap state = opt.state_dict();
    CHECK(state.at("exp_avg.0").at({0}) == doctest::Approx(-0.046).epsilon(1e-12));
    CHECK(state.at("exp_avg_sq.0").at({0}) == doctest::Approx(0.1165).epsilon(1e-12));
    CHECK(int_entry(state, "step.0") == 3);
}

TEST_CASE("Adam weight decay is an L2 term added to the gradient") {
    const Var p = start();
    Adam opt({p}, 0.1, {0.9, 0.999}, 1e-8, 0.3);
    run_three_steps(opt, p);
    check_close(p.data(), scalar_adam(0.1, 0.9, 0.999, 1e-8, 0.3, false), 1e-14);
}

TEST_CASE("AdamW decays the weights directly, outside the moments") {
    const Var p = start();
    AdamW opt({p}, 0.1, {0.9, 0.999}, 1e-8, 0.3);
    run_three_steps(opt, p);
    check_close(p.data(), scalar_adam(0.1, 0.9, 0.999, 1e-8, 0.3, true), 1e-14);
    CHECK(opt.type_name() == "AdamW");
    CHECK(AdamW({p}).weight_decay() == 0.01);  // PyTorch's default
}

TEST_CASE("AdamW is Adam after shrinking p by 1 - lr * wd, to the bit") {
    for (const DType dtype : {DType::Float32, DType::Float64}) {
        const Var a = start(dtype), b = start(dtype);
        const double lr = 0.05, wd = 0.2;
        AdamW adamw({a}, lr, {0.9, 0.99}, 1e-8, wd);
        Adam adam({b}, lr, {0.9, 0.99}, 1e-8, 0.0);
        for (const auto& g : grads) {
            set_grad(a, g), set_grad(b, g);
            adamw.step();
            dispatch_float(dtype, "test", [&](auto tag) {  // b <- b * (1 - lr wd), rounded like a parameter
                using T = typename decltype(tag)::type;
                T* x = b.data().data<T>();
                for (int i = 0; i < 2; ++i) x[i] = static_cast<T>(x[i] * (1 - lr * wd));
            });
            adam.step();
        }
        CHECK(equal(a.data(), b.data()));
        CHECK(equal(adamw.state_dict().at("exp_avg_sq.0"), adam.state_dict().at("exp_avg_sq.0")));
    }
}

TEST_CASE("Adam in float32 keeps float32 state and tracks the float64 result") {
    const Var p = start(DType::Float32);
    Adam opt({p}, 0.1, {0.8, 0.9}, 1e-3);
    run_three_steps(opt, p);
    check_close(p.data(), scalar_adam(0.1, 0.8, 0.9, 1e-3, 0.0, false), 1e-6);
    CHECK(opt.state_dict().at("exp_avg.0").dtype() == DType::Float32);
}

// Adam's update is shared over the threads (in blocks of 64 elements) for a large parameter:
// the same bits with 1, 2 and 3 threads, for Adam (its L2 term) and AdamW, float32 and float64,
// and an odd size whose last block is short.
TEST_CASE("Adam and AdamW on a large parameter give the same bits with 1, 2 and 3 threads") {
    for (const bool decoupled : {false, true})
        for (const DType dtype : {DType::Float32, DType::Float64}) {
            CAPTURE(decoupled);
            const std::string name = dtype_name(dtype);
            CAPTURE(name);
            Generator gen(4);
            const Tensor start_value = randn({100003}, 0.0, 1.0, dtype, gen);
            const std::vector<Tensor> step_grads = {randn({100003}, 0.0, 1.0, dtype, gen),
                                                    randn({100003}, 0.0, 1.0, dtype, gen)};
            std::vector<Tensor> results;
            for (const int threads : {1, 2, 3}) {
                const ThreadCountGuard guard(threads);
                const Var p(start_value.clone());
                std::unique_ptr<Optimizer> opt;
                if (decoupled) opt = std::make_unique<AdamW>(std::vector<Var>{p}, 0.01, std::pair{0.9, 0.999}, 1e-8, 0.1);
                else opt = std::make_unique<Adam>(std::vector<Var>{p}, 0.01, std::pair{0.9, 0.999}, 1e-8, 0.1);
                for (const Tensor& g : step_grads) {
                    p.set_grad(g);
                    opt->step();
                }
                results.push_back(p.data());
            }
            CHECK(equal(results[0], results[1]));
            CHECK(equal(results[0], results[2]));
            CHECK_FALSE(equal(results[0], start_value));
        }
}

// a * b + c as adam.cpp's mul_add: rounded once with FMA instructions, twice without (where
// nothing can fuse them).
double reference_mul_add(double a, double b, double c) {
#if defined(__FMA__)
    return std::fma(a, b, c);
#else
    volatile double product = a * b;
    return product + c;
#endif
}

// Adam's update, element by element, with every rounding where adam.cpp's comment puts it:
// the three multiply-adds as mul_add, the shrunk parameter rounded before the step is
// subtracted (volatile keeps this file's compiler from fusing the two), and m, v and p rounded
// to T when stored.
template <class T>
void reference_adam_step(T& p, T& m, T& v, double g, int t, double lr, double wd, bool decoupled) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    if (decoupled) {
        volatile T shrunk = static_cast<T>(p * reference_mul_add(-lr, wd, 1.0));
        p = shrunk;
    } else if (wd != 0.0) {
        g = reference_mul_add(wd, static_cast<double>(p), g);
    }
    m = static_cast<T>(reference_mul_add(b1, static_cast<double>(m), (1 - b1) * g));
    v = static_cast<T>(reference_mul_add(b2, static_cast<double>(v), (1 - b2) * g * g));
    const double m_hat = m / (1 - std::pow(b1, t)), v_hat = v / (1 - std::pow(b2, t));
    p = static_cast<T>(p - lr * m_hat / (std::sqrt(v_hat) + eps));
}

// adam.cpp's loop runs in vectors with a scalar remainder, and the compiler is free to fuse a
// multiply and an add differently in each (it did: float64 AdamW lost a rounding in the vector
// lanes only). 199 elements cover whole vectors and a remainder; each must be the reference's.
TEST_CASE("Adam's update is its formula to the bit, in the vector lanes and the remainder alike") {
    for (const int decay : {0, 1, 2})  // none, Adam's L2, AdamW's decoupled
        for (const DType dtype : {DType::Float32, DType::Float64}) {
            CAPTURE(decay);
            const std::string name = dtype_name(dtype);
            CAPTURE(name);
            const double lr = 0.01, wd = decay == 0 ? 0.0 : 0.1;
            Generator gen(9);
            const Var p(randn({199}, 0.0, 1.0, dtype, gen));
            std::unique_ptr<Optimizer> opt;
            if (decay == 2) opt = std::make_unique<AdamW>(std::vector<Var>{p}, lr, std::pair{0.9, 0.999}, 1e-8, wd);
            else opt = std::make_unique<Adam>(std::vector<Var>{p}, lr, std::pair{0.9, 0.999}, 1e-8, wd);
            dispatch_float(dtype, "test", [&](auto tag) {
                using T = typename decltype(tag)::type;
                std::vector<T> ref_p(p.data().data<T>(), p.data().data<T>() + 199), ref_m(199, T(0)), ref_v(199, T(0));
                for (int t = 1; t <= 3; ++t) {
                    const Tensor g = randn({199}, 0.0, 1.0, dtype, gen);
                    p.set_grad(g);
                    opt->step();
                    for (std::size_t i = 0; i < 199; ++i)
                        reference_adam_step<T>(ref_p[i], ref_m[i], ref_v[i], g.data<T>()[i], t, lr, wd, decay == 2);
                }
                int mismatches = 0;
                for (std::size_t i = 0; i < 199; ++i) mismatches += p.data().data<T>()[i] != ref_p[i];
                CHECK(mismatches == 0);
            });
        }
}

TEST_CASE("Adam rejects betas not below 1 and negative eps or weight decay") {
    const Var p = start();
    CHECK_THROWS_WITH_AS(Adam({p}, 1e-3, {1.0, 0.999}), doctest::Contains("Adam: beta1 must be in [0, 1), got 1"), Error);
    CHECK_THROWS_WITH_AS(Adam({p}, 1e-3, {0.9, -0.1}), doctest::Contains("beta2 must be in [0, 1), got -0.1"), Error);
    CHECK_THROWS_WITH_AS(Adam({p}, 1e-3, {0.9, 0.999}, -1.0), doctest::Contains("eps must be finite and >= 0"), Error);
    CHECK_THROWS_WITH_AS(AdamW({p}, 1e-3, {0.9, 0.999}, 1e-8, -0.1),
                         doctest::Contains("AdamW: weight_decay must be finite and >= 0, got -0.1"), Error);
}

// ---- what every optimizer shares -------------------------------------------------------------

TEST_CASE("optimizer leaves parameters without a gradient and their state untouched") {
    Pair m;
    const Tensor b0 = m.b.data().clone();
    Adam opt(m.named_parameters(), 0.1);
    sum(m.w * m.w).backward();  // b takes no part: no gradient
    opt.step();
    CHECK(equal(m.b.data(), b0));
    CHECK(m.w.data().at({0}) != 1.0);  // (w did move)
    TensorMap state = opt.state_dict();
    CHECK(state.count("exp_avg.w") == 1);
    CHECK(state.count("exp_avg.b") == 0);

    // Next, both have gradients: b takes its own first step (t = 1 in its bias correction).
    opt.zero_grad();
    CHECK(!m.w.grad().defined());
    (sum(m.w * m.w) + sum(m.b * 4.0)).backward();  // d/db = 4
    opt.step();
    state = opt.state_dict();
    CHECK(int_entry(state, "step.w") == 2);
    CHECK(int_entry(state, "step.b") == 1);
    CHECK(int_entry(state, "step") == 2);
    check_close(m.b.data(), {0.5 - 0.1 * 4 / (4 + 1e-8)}, 1e-15);
}

TEST_CASE("an optimizer built before Module::to keeps stepping its parameters, its state converted") {
    Pair m;
    m.to(DType::Float32);
    Adam opt(m.named_parameters(), 0.1);
    sum(m.w * m.w).backward();
    opt.step();
    const Tensor m1 = opt.state_dict().at("exp_avg.w");  // (1 - b1) g1, float32
    CHECK(m1.dtype() == DType::Float32);
    m.to(f64);  // in place: opt still holds m.w and m.b
    opt.zero_grad();
    sum(m.w * m.w).backward();
    const Tensor g2 = m.w.grad().clone();  // float64
    opt.step();
    const Tensor m2 = opt.state_dict().at("exp_avg.w");
    CHECK(m2.dtype() == DType::Float64);
    CHECK(m.w.dtype() == DType::Float64);
    // m2 = b1 m1 + (1 - b1) g2, with m1's float32 values carried over exactly.
    CHECK(allclose(m2, m1.to(f64) * 0.9 + g2 * 0.1, 0.0, 1e-12));
}

TEST_CASE("optimizer updates a parameter listed twice only once") {
    const Var p = start();
    SGD opt(NamedParameters{{"tied", p}, {"also_tied", p}}, 0.1);
    CHECK(opt.params().size() == 1);
    CHECK(opt.params()[0].first == "tied");
    set_grad(p, {1.0, 1.0});
    opt.step();
    check_close(p.data(), {0.9, -2.1}, 1e-15);
}

TEST_CASE("optimizer state_dict snapshots the state and restores a run exactly") {
    Pair m;
    Adam first(m.named_parameters(), 0.1, {0.9, 0.99});
    sum(m.w * m.w + m.b).backward();
    first.step();
    first.set_lr(0.07);
    const TensorMap saved = first.state_dict();
    CHECK(int_entry(saved, "step") == 1);
    CHECK(saved.at("lr").item() == 0.07);
    std::vector<std::string> keys;
    for (const auto& [k, t] : saved) keys.push_back(k);
    CHECK(keys == std::vector<std::string>{"exp_avg.b", "exp_avg.w", "exp_avg_sq.b", "exp_avg_sq.w", "lr", "step",
                                           "step.b", "step.w"});

    // A second model and optimizer, made from the saved values, take the same next step.
    Pair twin;
    copy_(twin.w.data(), m.w.data()), copy_(twin.b.data(), m.b.data());
    Adam second(twin.named_parameters(), 0.5, {0.9, 0.99});
    second.load_state_dict(saved);
    CHECK(second.step_count() == 1);
    CHECK(second.lr() == 0.07);
    for (Pair* model : {&m, &twin}) {
        model->zero_grad();
        sum(model->w * model->w + model->b).backward();
    }
    first.step(), second.step();
    CHECK(equal(m.w.data(), twin.w.data()));
    CHECK(equal(m.b.data(), twin.b.data()));
    // the snapshot did not follow the second step
    CHECK(int_entry(saved, "step.w") == 1);
    CHECK(!equal(saved.at("exp_avg.w"), first.state_dict().at("exp_avg.w")));
}

TEST_CASE("optimizer load_state_dict lists every problem and changes nothing") {
    Pair m;
    Adam opt(m.named_parameters(), 0.1);
    sum(m.w * m.w + m.b).backward();
    opt.step();
    const TensorMap good = opt.state_dict();

    TensorMap bad = good;
    bad.erase("step");
    bad["exp_avg.w"] = zeros({3}, f64);
    bad["exp_avg.nope"] = zeros({2}, f64);
    bad["momentum_buffer.w"] = zeros({2}, f64);
    bad.erase("exp_avg_sq.b");
    bad["step.b"] = scalar(1.0, f64);
    Adam other(m.named_parameters(), 0.3);
    try {
        other.load_state_dict(bad);
        FAIL("no error");
    } catch (const Error& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("Adam.load_state_dict: ") == 0);
        CHECK(msg.find("no 'step' entry") != std::string::npos);
        CHECK(msg.find("'exp_avg.w' must be a floating tensor of the parameter's shape (2), got float64 (3)") !=
              std::string::npos);
        CHECK(msg.find("unexpected entry 'exp_avg.nope'") != std::string::npos);
        CHECK(msg.find("unexpected entry 'momentum_buffer.w'") != std::string::npos);
        CHECK(msg.find("missing 'exp_avg_sq.b' (the parameter has other state)") != std::string::npos);
        CHECK(msg.find("'step.b' must be an int64 0-d tensor in [0, 'step'], got float64 ()") != std::string::npos);
    }
    CHECK(other.step_count() == 0);
    CHECK(other.lr() == 0.3);
    CHECK(other.state_dict().size() == 2);  // still only "step" and "lr"

    TensorMap no_lr = good;
    no_lr.erase("lr");
    CHECK_THROWS_WITH_AS(other.load_state_dict(no_lr), doctest::Contains("no 'lr' entry"), Error);
    SGD plain(m.named_parameters(), 0.1);  // no momentum: no state kinds at all
    CHECK_THROWS_WITH_AS(plain.load_state_dict(good), doctest::Contains("SGD.load_state_dict: unexpected entry 'exp_avg.b'"),
                         Error);
}

// ---- gradient clipping ----------------------------------------------------------------------

TEST_CASE("clip_grad_norm_ scales all gradients together to max_norm") {
    const Var a = parameter(zeros({2})), b = parameter(zeros({1})), unused = parameter(zeros({3}));
    set_grad(a, {3.0, 4.0});
    set_grad(b, {12.0});
    // total = sqrt(9 + 16 + 144) = 13; coef = 6.5 / (13 + 1e-6)
    const double total = clip_grad_norm_({a, b, unused}, 6.5);
    CHECK(total == 13.0);
    const double coef = 6.5 / (13.0 + 1e-6);
    check_close(a.grad(), {3 * coef, 4 * coef}, 1e-7);
    check_close(b.grad(), {12 * coef}, 1e-7);
    CHECK(!unused.grad().defined());
    // the clipped norm is just under 6.5
    double squares = 0;
    for (const Var& p : {a, b})
        for (const double g : p.grad().to_vector<double>()) squares += g * g;
    CHECK(std::sqrt(squares) == doctest::Approx(6.5).epsilon(1e-6));
    CHECK(std::sqrt(squares) < 6.5);
}

TEST_CASE("clip_grad_norm_ leaves small gradients alone but scales a norm equal to max_norm, as PyTorch") {
    const Var a = parameter(zeros({2}, f64));
    set_grad(a, {3.0, 4.0});
    CHECK(clip_grad_norm_({a}, 100.0) == 5.0);
    check_close(a.grad(), {3.0, 4.0}, 0.0);
    // coef = 5 / (5 + 1e-6) < 1
    CHECK(clip_grad_norm_({a}, 5.0) == 5.0);
    check_close(a.grad(), {3.0 * 5 / (5 + 1e-6), 4.0 * 5 / (5 + 1e-6)}, 1e-15);
    CHECK(clip_grad_norm_({parameter(zeros({2}))}, 1.0) == 0.0);  // no gradients at all
}

TEST_CASE("clip_grad_norm_ refuses non-finite gradients and negative max_norm") {
    const Var a = parameter(zeros({2})), b = parameter(zeros({1}));
    set_grad(a, {1.0, 2.0});
    set_grad(b, {std::nan("")});
    CHECK_THROWS_WITH_AS(clip_grad_norm_({a, b}, 1.0),
                         doctest::Contains("clip_grad_norm_: the gradient of parameter 1 (float32 (1)) holds NaN or Inf"),
                         Error);
    check_close(a.grad(), {1.0, 2.0}, 0.0);  // nothing was scaled
    CHECK_THROWS_WITH_AS(clip_grad_norm_({a}, -1.0), doctest::Contains("max_norm must be >= 0, got -1"), Error);
}

}  // TEST_SUITE
