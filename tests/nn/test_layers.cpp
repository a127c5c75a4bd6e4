// nn's basic layers: Linear, Embedding, LayerNorm, Dropout, activations, Sequential, and the
// Module machinery (names, train/eval, summary, counts, to()) seen through them.
#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <set>
#include <sstream>

#include "autograd/helpers.hpp"
#include "nn/activations.hpp"
#include "nn/dropout.hpp"
#include "nn/embedding.hpp"
#include "nn/init.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/sequential.hpp"
#include "tests/testing_nn.hpp"

using namespace qkv;
using namespace qkv::nn;
using qkv::test::check_close;
using qkv::test::check_gradients;
using qkv::test::f64;

namespace {

// gradcheck of a float64 module with respect to its input and every one of its parameters.
void check_module_gradients(const std::string& what, UnaryModule& m, const Tensor& input) {
    qkv::test::check_module_gradients(what, m, [&](const std::vector<Var>& x) { return m(x[0]); }, {input});
}

std::vector<std::string> names_of(Module& m) {
    std::vector<std::string> names;
    for (const auto& [name, p] : m.named_parameters()) names.push_back(name);
    return names;
}

// A nested module: submodules by value, a list of them, and a Sequential.
struct Block : UnaryModule {
    Linear up;
    std::vector<Linear> layers;
    LayerNorm ln;
    Sequential head;

    explicit Block(Generator& gen)
        : up(4, 8, gen), layers{Linear(8, 8, gen), Linear(8, 8, {.bias = false}, gen)}, ln(8),
          head(Dropout(0.5, gen), Linear(8, 2, gen)) {}

    Var forward(const Var& x) override {
        Var h = relu(up(x));
        for (Linear& l : layers) h = l(h);
        return head(ln(h));
    }
    void visit(Visitor& v) override {
        v.module("up", up);
        v.modules("layers", layers);
        v.module("ln", ln);
        v.module("head", head);
    }
    std::string type_name() const override { return "Block"; }
};

}  // namespace

TEST_SUITE("nn") {

// ---- Linear ------------------------------------------------------------------------------------

TEST_CASE("Linear computes x W^T + b with W stored (out, in)") {
    Linear lin(2, 3);
    CHECK(lin.weight.shape() == Shape{3, 2});
    copy_(lin.weight.data(), tensor({{1, 2}, {3, 4}, {5, 6}}));
    copy_(lin.bias.data(), tensor({0.5, -1, 2}));
    // Row (1, -1): (1*1 + 2*-1 + 0.5, 3*1 + 4*-1 - 1, 5*1 + 6*-1 + 2) = (-0.5, -2, 1)
    // Row (2, 0.5): (2 + 1 + 0.5, 6 + 2 - 1, 10 + 3 + 2) = (3.5, 7, 15)
    const Var y = lin(Var(tensor({{1, -1}, {2, 0.5}})));
    CHECK(y.shape() == Shape{2, 3});
    check_close(y.data(), {-0.5, -2, 1, 3.5, 7, 15}, 1e-6);
    const Var single = lin(Var(tensor({1, -1})));  // a 1-d input gives a 1-d output
    CHECK(single.shape() == Shape{3});
    check_close(single.data(), {-0.5, -2, 1}, 1e-6);
}

TEST_CASE("Linear applies to the last dim of a 3-d input") {
    Generator gen(3);
    Linear lin(4, 3, gen);
    const Tensor x = randn({2, 5, 4}, 0, 1, DType::Float32, gen);
    const Var y = lin(Var(x));
    REQUIRE(y.shape() == Shape{2, 5, 3});
    // Reference: a naive triple loop over positions, outputs and inputs.
    for (std::int64_t b = 0; b < 2; ++b)
        for (std::int64_t t = 0; t < 5; ++t)
            for (std::int64_t j = 0; j < 3; ++j) {
                double expected = lin.bias.data().at({j});
                for (std::int64_t k = 0; k < 4; ++k) expected += x.at({b, t, k}) * lin.weight.data().at({j, k});
                CHECK(y.data().at({b, t, j}) == doctest::Approx(expected).epsilon(1e-5));
            }
}

TEST_CASE("Linear gradients match finite differences with and without bias and for 3-d input") {
    Generator gen(11);
    Linear with_bias(3, 4, gen), without_bias(3, 4, {.bias = false}, gen);
    with_bias.to(f64);
    without_bias.to(f64);
    CHECK(without_bias.num_parameters() == 12);
    check_module_gradients("Linear 2-d", with_bias, randn({5, 3}, 0, 1, f64, gen));
    check_module_gradients("Linear 3-d", with_bias, randn({2, 3, 3}, 0, 1, f64, gen));
    check_module_gradients("Linear no bias, 3-d", without_bias, randn({2, 2, 3}, 0, 1, f64, gen));
}

TEST_CASE("Linear initialises weight and bias uniformly within 1 over sqrt of in") {
    Generator gen(5);
    Linear lin(256, 64, gen);
    const double bound = 1.0 / 16.0;
    const std::vector<double> w = lin.weight.data().to_vector<double>();
    const std::vector<double> b = lin.bias.data().to_vector<double>();
    double sum = 0, sum_sq = 0, largest = 0;
    for (double v : w) sum += v, sum_sq += v * v, largest = std::max(largest, std::abs(v));
    for (double v : b) CHECK(std::abs(v) <= bound);
    CHECK(largest <= bound);
    CHECK(largest > 0.99 * bound);  // the whole range is used
    // U(-a, a) has mean 0 and variance a^2 / 3. With n = 16384 samples the sample variance's
    // relative standard error is sqrt(0.8 / n) ~ 0.7%, so 5% is a wide margin.
    const double n = static_cast<double>(w.size());
    CHECK(std::abs(sum / n) < 0.05 * bound);
    CHECK(sum_sq / n == doctest::Approx(bound * bound / 3).epsilon(0.05));
}

TEST_CASE("Linear rejects an input whose last dim is not in_features") {
    Linear lin(4, 3);
    CHECK(lin.describe() == "in=4, out=3, bias=true");
    CHECK(Linear(4, 3, {.bias = false}).describe() == "in=4, out=3, bias=false");
    CHECK_THROWS_WITH_AS(lin(Var(zeros({2, 5}))), "Linear(in=4, out=3): input (2, 5) has last dim 5, expected 4",
                         Error);
    CHECK_THROWS_WITH_AS(lin(Var(scalar(1.0))), doctest::Contains("input () has no last dim"), Error);
}

// ---- init ----------------------------------------------------------------------------------------

TEST_CASE("init functions fill tensors with the documented distributions") {
    Generator gen(9);
    Tensor t = zeros({100, 300});  // fan_in 300, fan_out 100
    init::xavier_uniform_(t, 1.0, gen);
    const double xavier_bound = std::sqrt(6.0 / 400.0);
    std::vector<double> v = t.to_vector<double>();
    double sq = 0, largest = 0;
    for (double x : v) sq += x * x, largest = std::max(largest, std::abs(x));
    CHECK(largest <= xavier_bound);
    CHECK(sq / static_cast<double>(v.size()) == doctest::Approx(xavier_bound * xavier_bound / 3).epsilon(0.05));

    init::kaiming_uniform_(t, 0.0, gen);  // ReLU gain sqrt 2: bound sqrt(6 / fan_in)
    v = t.to_vector<double>();
    largest = 0;
    for (double x : v) largest = std::max(largest, std::abs(x));
    CHECK(largest <= std::sqrt(6.0 / 300.0));
    CHECK(largest > 0.99 * std::sqrt(6.0 / 300.0));

    init::normal_(t, 1.0, 0.5, gen);
    v = t.to_vector<double>();
    double sum = 0;
    sq = 0;
    for (double x : v) sum += x, sq += (x - 1.0) * (x - 1.0);
    CHECK(sum / 30000.0 == doctest::Approx(1.0).epsilon(0.01));
    CHECK(std::sqrt(sq / 30000.0) == doctest::Approx(0.5).epsilon(0.02));

    init::ones_(t);
    CHECK(t.at({7, 9}) == 1.0);
    init::zeros_(t);
    CHECK(t.at({7, 9}) == 0.0);
    CHECK(init::fan_in_and_out(zeros({8, 3, 5})) == std::pair<std::int64_t, std::int64_t>{15, 40});
    CHECK_THROWS_WITH_AS(init::fan_in_and_out(zeros({4})), doctest::Contains("at least 2 dims, got shape (4)"), Error);
}

// ---- Embedding -----------------------------------------------------------------------------------

TEST_CASE("Embedding looks up rows for ids of any shape") {
    Embedding emb(5, 3);
    const Tensor ids = from_vector<std::int64_t>({4, 0, 4, 2}, {2, 2});
    const Var out = emb(ids);
    REQUIRE(out.shape() == Shape{2, 2, 3});
    const std::vector<std::int64_t> flat{4, 0, 4, 2};
    for (std::int64_t n = 0; n < 4; ++n)
        qkv::test::check_close(cat("row of id ", flat[n]), emb.weight.data().select(0, flat[n]),
                               out.data().select(0, n / 2).select(0, n % 2), 0, 0);
}

TEST_CASE("Embedding gradients sum over repeated ids") {
    Generator gen(2);
    Embedding emb(6, 4, gen);
    const Tensor ids = from_vector<std::int64_t>({1, 3, 1, 1, 5, 3}, {2, 3});
    check_gradients(
        "Embedding with repeats",
        [&](const std::vector<Var>& x) {
            emb.weight = x[0];
            return emb(ids);
        },
        {randn({6, 4}, 0, 1, f64, gen)});
}

TEST_CASE("Embedding padding row starts at zero and gets no gradient") {
    Generator gen(4);
    Embedding emb(5, 3, {.padding_idx = 2}, gen);
    CHECK(emb.describe() == "num=5, dim=3, padding_idx=2");
    for (std::int64_t c = 0; c < 3; ++c) CHECK(emb.weight.data().at({2, c}) == 0.0);
    copy_(emb.weight.data().select(0, 2), tensor({7, 8, 9}));  // e.g. loaded from a checkpoint

    const std::vector<std::int64_t> ids{2, 0, 2, 4, 0, 2};
    const Var out = emb(from_vector(ids, {3, 2}));
    CHECK(out.data().at({0, 0, 1}) == 8.0);  // the forward value is the row as it is
    const Tensor g = randn({3, 2, 3}, 0, 1, DType::Float32, gen);
    out.backward(g);

    // Reference: each row's gradient is the sum of g at the positions holding its id, except
    // the padding row's, which is zero.
    const Tensor grad = emb.weight.grad();
    for (std::int64_t row = 0; row < 5; ++row)
        for (std::int64_t c = 0; c < 3; ++c) {
            double expected = 0;
            if (row != 2)
                for (std::int64_t n = 0; n < 6; ++n)
                    if (ids[n] == row) expected += g.at({n / 2, n % 2, c});
            CHECK(grad.at({row, c}) == doctest::Approx(expected));
        }
}

// embedding()'s padding_idx zeroes the padding row's gradient after the sum: every other row's
// gradient must be exactly (bit for bit) what the lookup without padding gives.
TEST_CASE("embedding with padding_idx gives the padding row no gradient and the others theirs, to the bit") {
    Generator gen(6);
    const Tensor ids = from_vector<std::int64_t>({3, 0, 3, 1, 4, 3, 0, 2}, {2, 4});
    const Tensor start = randn({5, 3}, 0, 1, DType::Float32, gen);
    const Tensor g = randn({2, 4, 3}, 0, 1, DType::Float32, gen);
    const Var plain(start.clone(), true), padded(start.clone(), true);
    const Var out_plain = embedding(plain, ids), out_padded = embedding(padded, ids, 3);
    CHECK(out_padded.shape() == Shape{2, 4, 3});
    CHECK(equal(out_plain.data(), out_padded.data()));  // the padding row's value is looked up as it is
    out_plain.backward(g);
    out_padded.backward(g);
    for (std::int64_t row = 0; row < 5; ++row) {
        CAPTURE(row);
        CHECK(equal(padded.grad().select(0, row), row == 3 ? zeros({3}) : plain.grad().select(0, row)));
    }
    CHECK_THROWS_WITH_AS(embedding(padded, ids, 5),
                         doctest::Contains("padding_idx 5 is out of range for weight (5, 3)"), Error);
    CHECK_THROWS_WITH_AS(embedding(padded, ids, -2), doctest::Contains("padding_idx -2 is out of range"), Error);
}

TEST_CASE("Embedding rejects out-of-range ids naming id, position and size") {
    Embedding emb(10, 4);
    const Tensor ids = from_vector<std::int64_t>({1, 2, 3, 4, 5, 12}, {2, 3});
    CHECK_THROWS_WITH_AS(emb(ids), doctest::Contains("id 12 at position (1, 2)"), Error);
    CHECK_THROWS_WITH_AS(emb(ids), doctest::Contains("num_embeddings 10"), Error);
    CHECK_THROWS_WITH_AS(emb(from_vector<std::int64_t>({3, -1})), doctest::Contains("id -1 at position (1) of ids (2)"), Error);
    CHECK_THROWS_WITH_AS(emb(tensor({1.0})), doctest::Contains("ids must be int64"), Error);
    CHECK_THROWS_WITH_AS(Embedding(10, 4, {.padding_idx = 10}), doctest::Contains("padding_idx 10 is out of range"), Error);
}

// ---- LayerNorm -----------------------------------------------------------------------------------

TEST_CASE("LayerNorm module normalises the last dims and starts as weight ones and bias zeros") {
    LayerNorm ln(4);
    check_close(ln.weight.data(), {1, 1, 1, 1});
    check_close(ln.bias.data(), {0, 0, 0, 0});
    // (1, 2, 3, 4): mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
    const Var y = ln(Var(tensor({{1, 2, 3, 4}})));
    const double r = 1.0 / std::sqrt(1.25 + 1e-5);
    check_close(y.data(), {-1.5 * r, -0.5 * r, 0.5 * r, 1.5 * r}, 1e-6);
    CHECK(ln.describe() == "shape=(4), eps=1e-05, affine=true");
    CHECK(LayerNorm(4, {.elementwise_affine = false}).num_parameters() == 0);
}

TEST_CASE("LayerNorm module gradients match finite differences") {
    Generator gen(8);
    LayerNorm over_last(5), over_two(Shape{2, 3});
    over_last.to(f64);
    over_two.to(f64);
    // Non-trivial affine parameters, so their gradients are tested at a generic point.
    normal_(over_last.weight.data(), 1, 0.5, gen);
    normal_(over_last.bias.data(), 0, 0.5, gen);
    normal_(over_two.weight.data(), 1, 0.5, gen);
    check_module_gradients("LayerNorm(5)", over_last, randn({3, 5}, 0, 1, f64, gen));
    check_module_gradients("LayerNorm((2, 3))", over_two, randn({2, 2, 3}, 0, 1, f64, gen));
    LayerNorm plain(4, {.elementwise_affine = false});
    plain.to(f64);
    check_module_gradients("LayerNorm without affine", plain, randn({2, 4}, 0, 1, f64, gen));
}

TEST_CASE("LayerNorm module rejects an input that does not end with its shape") {
    LayerNorm ln(Shape{2, 3});
    CHECK_THROWS_WITH_AS(ln(Var(zeros({4, 3, 2}))),
                         "LayerNorm((2, 3)): input (4, 3, 2) does not end with the normalized shape (2, 3)", Error);
    CHECK_THROWS_WITH_AS(ln(Var(zeros({3}))), doctest::Contains("input (3) does not end"), Error);
}

// ---- activations ---------------------------------------------------------------------------------

TEST_CASE("activation modules compute their formulas") {
    const Var x(tensor({-1.5, 0.5, 2.0}, f64));
    const double xs[] = {-1.5, 0.5, 2.0};
    std::vector<double> relu_v, gelu_v, gelu_tanh_v, tanh_v, sigmoid_v;
    for (double v : xs) {
        relu_v.push_back(v > 0 ? v : 0);
        gelu_v.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
        gelu_tanh_v.push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (v + 0.044715 * v * v * v))));
        tanh_v.push_back(std::tanh(v));
        sigmoid_v.push_back(1 / (1 + std::exp(-v)));
    }
    check_close(ReLU()(x).data(), relu_v);
    check_close(GELU()(x).data(), gelu_v);
    check_close(GELUTanh()(x).data(), gelu_tanh_v);
    check_close(Tanh()(x).data(), tanh_v);
    check_close(Sigmoid()(x).data(), sigmoid_v);
    CHECK(GELU().type_name() == "GELU");
    CHECK(ReLU().num_parameters() == 0);
}

TEST_CASE("activation module gradients match finite differences") {
    Generator gen(13);
    // Away from 0, where ReLU has its kink.
    const Tensor x = qkv::test::draw({3, 4}, qkv::test::Domain::grid(0.05), gen);
    ReLU relu_m;
    GELU gelu_m;
    GELUTanh gelu_tanh_m;
    Tanh tanh_m;
    Sigmoid sigmoid_m;
    check_module_gradients("ReLU", relu_m, x);
    check_module_gradients("GELU", gelu_m, x);
    check_module_gradients("GELUTanh", gelu_tanh_m, x);
    check_module_gradients("Tanh", tanh_m, x);
    check_module_gradients("Sigmoid", sigmoid_m, x);
}

// ---- Sequential ----------------------------------------------------------------------------------

TEST_CASE("Sequential chains its modules and names them 0, 1, ...") {
    Generator gen(21);
    Sequential seq(Linear(3, 4, gen), Tanh(), Linear(4, 2, gen));
    CHECK(seq.size() == 3);
    CHECK(names_of(seq) == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
    const Var x(randn({5, 3}, 0, 1, DType::Float32, gen));
    const Var expected = seq.at<Linear>(2)(tanh(seq.at<Linear>(0)(x)));
    check_close(seq(x).data(), expected.data().to_vector<double>(), 1e-7);
    CHECK_THROWS_WITH_AS(seq.at<Linear>(1), doctest::Contains("module 1 is a Tanh"), Error);
    CHECK_THROWS_WITH_AS(seq[3], doctest::Contains("index 3 is out of range for 3 modules"), Error);

    Sigmoid& added = seq.add(Sigmoid());
    CHECK(seq.size() == 4);
    CHECK(&seq[3] == &added);
    CHECK(Sequential()(x).data().shares_storage_with(x.data()));  // empty: the identity
}

TEST_CASE("Sequential gradients match finite differences") {
    Generator gen(22);
    Sequential seq(Linear(3, 4, gen), GELU(), LayerNorm(4), Linear(4, 2, gen));
    seq.to(f64);
    check_module_gradients("Sequential", seq, randn({2, 3, 3}, 0, 1, f64, gen));
}

// ---- Module machinery through real layers ----------------------------------------------------------

TEST_CASE("named_parameters gives dotted names through nested modules and lists") {
    Generator gen(1);
    Block block(gen);
    CHECK(names_of(block) == std::vector<std::string>{"up.weight", "up.bias", "layers.0.weight", "layers.0.bias",
                                                      "layers.1.weight", "ln.weight", "ln.bias", "head.1.weight",
                                                      "head.1.bias"});
    // up 4*8 + 8, layers.0 8*8 + 8, layers.1 8*8, ln 8 + 8, head.1 8*2 + 2
    CHECK(block.num_parameters() == 40 + 72 + 64 + 16 + 18);
}

TEST_CASE("train and eval reach every nested module and eval turns Dropout off") {
    Generator gen(1);
    Block block(gen);
    std::int64_t modules = 0;
    block.eval();
    block.for_each_module([&](const std::string&, Module& m) {
        CHECK_FALSE(m.is_training());
        ++modules;
    });
    CHECK(modules == 8);  // block, up, layers.0, layers.1, ln, head, head.0, head.1
    const Var x(randn({4, 8}, 0, 1, DType::Float32, gen));
    Dropout& drop = block.head.at<Dropout>(0);
    CHECK(drop(x).data().to_vector<float>() == x.data().to_vector<float>());

    block.train();
    block.for_each_module([&](const std::string&, Module& m) { CHECK(m.is_training()); });
    // In training about half the elements are zeroed; the rest are doubled (1 / (1 - p)).
    const std::vector<float> in = x.data().to_vector<float>(), out = drop(x).data().to_vector<float>();
    int zeroed = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (out[i] == 0.0f) ++zeroed;
        else CHECK(out[i] == 2.0f * in[i]);
    }
    CHECK(zeroed > 0);
    CHECK(zeroed < 32);
}

TEST_CASE("Dropout masks are reproducible for the same seed") {
    const Var x(ones({64}));
    // Two masks from a Dropout built from Generator(seed); other draws from that generator
    // after construction must not change them.
    auto masks = [&](std::uint64_t seed, bool draw_more) {
        Generator gen(seed);
        Dropout d(0.3, gen);
        if (draw_more) (void)gen.next_u64();
        const std::vector<float> first = d(x).data().to_vector<float>();
        return std::make_pair(first, d(x).data().to_vector<float>());
    };
    CHECK(masks(7, false) == masks(7, false));
    CHECK(masks(7, false) == masks(7, true));
    CHECK(masks(7, false).first != masks(8, false).first);
    CHECK(masks(7, false).first != masks(7, false).second);  // each call draws a new mask
    CHECK_THROWS_WITH_AS(Dropout(1.5), doctest::Contains("probability must be in [0, 1], got 1.5"), Error);
}

TEST_CASE("summary has one line per module with parameter counts") {
    Generator gen(1);
    Block block(gen);
    const std::string s = block.summary();
    std::vector<std::string> lines;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    REQUIRE(lines.size() == 8);
    CHECK(lines[0] == "(model)  Block()  210 params");
    CHECK(lines[1] == "  up  Linear(in=4, out=8, bias=true)  40 params");
    CHECK(lines[3] == "    layers.1  Linear(in=8, out=8, bias=false)  64 params");
    CHECK(lines[4] == "  ln  LayerNorm(shape=(8), eps=1e-05, affine=true)  16 params");
    CHECK(lines[5] == "  head  Sequential(2 modules)  18 params");
    CHECK(lines[6] == "    head.0  Dropout(p=0.5)  0 params");
}

TEST_CASE("to Float64 converts every parameter and keeps the values") {
    Generator gen(1);
    Block block(gen);
    const std::vector<double> before = block.up.weight.data().to_vector<double>();
    block.to(f64);
    for (const auto& named : block.named_parameters()) {
        INFO(named.first);  // (clang 14 cannot capture a structured binding in INFO's lambda)
        CHECK(named.second.dtype() == DType::Float64);
        CHECK(named.second.requires_grad());
    }
    CHECK(block.up.weight.data().to_vector<double>() == before);
    block.eval();
    CHECK(block(Var(randn({3, 4}, 0, 1, f64, gen))).dtype() == DType::Float64);
}

TEST_CASE("to converts in place: parameters keep their identity, their gradients follow, ties hold") {
    Generator gen(2);
    Block block(gen);
    const std::vector<Var> before = block.parameters();
    sum(block.up.weight * block.up.weight).backward();  // d/dW = 2 W
    const std::vector<double> grad = block.up.weight.grad().to_vector<double>();
    block.to(f64);
    const std::vector<Var> after = block.parameters();
    REQUIRE(after.size() == before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        CHECK(after[i].impl() == before[i].impl());  // the same Var: an optimizer holding it sees f64
        CHECK(before[i].dtype() == DType::Float64);
    }
    CHECK(block.up.weight.grad().dtype() == DType::Float64);
    CHECK(block.up.weight.grad().to_vector<double>() == grad);

    // A weight shared by two Linears (tied) is listed once, stays shared through to(), and
    // collects the gradients of both uses.
    Linear a(3, 3, {.bias = false}, gen), b(3, 3, {.bias = false}, gen);
    b.weight = a.weight;
    Sequential pair(a, b);  // copies of a and b: handles to the same Vars
    CHECK(pair.named_parameters().size() == 1);
    CHECK(pair.named_parameters()[0].first == "0.weight");
    CHECK(pair.num_parameters() == 9);
    pair.to(f64);
    CHECK(a.weight.impl() == b.weight.impl());
    CHECK(a.weight.dtype() == DType::Float64);
    const Var x(ones({1, 3}, f64));
    sum(a(x) + b(x)).backward();  // each use adds ones: d/dW = 2 for every element
    CHECK(a.weight.grad().to_vector<double>() == std::vector<double>(9, 2.0));
}

}  // TEST_SUITE
