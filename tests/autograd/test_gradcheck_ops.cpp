// Every differentiable op's backward rule against central differences of its forward, one table
// row per op. Each row runs on three layouts:
//   contiguous  inputs are fresh row-major tensors;
//   strided     each input is a transposed, stepped view into a larger buffer (helpers.hpp);
//   broadcast   for ops that broadcast their operands, operand shapes that differ, e.g.
//               (3, 1, 4) with (5, 4), or a 0-d operand; for every other op, smaller inputs
//               that f expands to the row's shapes first (so the gradient must be summed
//               back over the copies).
// A failure names the op and layout (the SUBCASE) and the input, element and both values.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tests/autograd/helpers.hpp"

using namespace qkv;
using namespace qkv::test;

namespace {

using Inputs = std::vector<Var>;

struct OpCase {
    std::string name;
    GradcheckFn f;
    std::vector<Shape> shapes;                        // input shapes for the first two layouts
    std::vector<Domain> domains = {};                 // one per input; one entry applies to all
    std::vector<std::vector<Shape>> broadcasts = {};  // operand shapes the op broadcasts itself
    GradcheckOptions options = {};
};

// A seed from the row's name (FNV-1a), so adding a row does not change the others' inputs.
std::uint64_t seed_of(const std::string& name) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    return h;
}

Domain domain_of(const OpCase& c, std::size_t i) {
    if (c.domains.size() == 1) return c.domains[0];
    return i < c.domains.size() ? c.domains[i] : Domain::normal();
}

std::string shapes_str(const std::vector<Shape>& shapes) {
    std::string s;
    for (const Shape& shape : shapes) s += (s.empty() ? "" : " & ") + shape_str(shape);
    return s;
}

// The row's shapes without their leading dim: (3, 4) -> (4), (5) -> (); 0-d stays 0-d.
std::vector<Shape> without_leading_dim(const std::vector<Shape>& shapes) {
    std::vector<Shape> out;
    for (const Shape& s : shapes) out.push_back(s.empty() ? s : Shape(s.begin() + 1, s.end()));
    return out;
}

void run_layouts(const OpCase& c) {
    Generator gen(seed_of(c.name));
    const auto draw_all = [&](const std::vector<Shape>& shapes, bool strided) {
        std::vector<Tensor> inputs;
        for (std::size_t i = 0; i < shapes.size(); ++i)
            inputs.push_back(strided ? draw_strided(shapes[i], domain_of(c, i), gen) : draw(shapes[i], domain_of(c, i), gen));
        return inputs;
    };

    SUBCASE((c.name + " / contiguous " + shapes_str(c.shapes)).c_str()) {
        check_gradients(c.name, c.f, draw_all(c.shapes, false), c.options);
    }
    SUBCASE((c.name + " / strided " + shapes_str(c.shapes)).c_str()) {
        const std::vector<Tensor> inputs = draw_all(c.shapes, true);
        for (const Tensor& x : inputs)
            if (x.numel() > 1) REQUIRE_FALSE(x.is_contiguous());
        check_gradients(c.name, c.f, inputs, c.options);
    }
    if (c.broadcasts.empty()) {
        const std::vector<Shape> small = without_leading_dim(c.shapes);
        SUBCASE((c.name + " / broadcast: " + shapes_str(small) + " expanded").c_str()) {
            const GradcheckFn expanded = [f = c.f, shapes = c.shapes](const Inputs& xs) {
                Inputs big;
                for (std::size_t i = 0; i < xs.size(); ++i) big.push_back(xs[i].expand(shapes[i]));
                return f(big);
            };
            check_gradients(c.name, expanded, draw_all(small, false), c.options);
        }
    }
    for (const std::vector<Shape>& shapes : c.broadcasts) {
        SUBCASE((c.name + " / broadcast " + shapes_str(shapes)).c_str()) {
            check_gradients(c.name, c.f, draw_all(shapes, false), c.options);
        }
    }
}

void run_table(const std::vector<OpCase>& table) {
    for (const OpCase& c : table) run_layouts(c);
}

// Fixed, irregular bool patterns (true where the row-major position k has k % 3 == 1), so
// selections mix both sides in every row of any shape.
Tensor pattern_mask(const Shape& shape) {
    std::vector<std::uint8_t> v(static_cast<std::size_t>(shape_numel(shape)));
    for (std::size_t k = 0; k < v.size(); ++k) v[k] = k % 3 == 1;
    return from_vector(v, shape);
}

Tensor ids(const std::vector<std::int64_t>& values) { return from_vector(values); }
Tensor ids(const std::vector<std::int64_t>& values, Shape shape) { return from_vector(values, std::move(shape)); }

// Binary ops that broadcast: (2, 3, 4) with itself, then mismatched and 0-d operands.
const std::vector<std::vector<Shape>> kBinaryBroadcasts = {{{3, 1, 4}, {5, 4}}, {{2, 3}, {}}, {{}, {2, 3}}, {{4, 1}, {1, 3}}};
const std::vector<Shape> kBinaryShapes = {{2, 3, 4}, {2, 3, 4}};

}  // namespace

TEST_SUITE("autograd") {

TEST_CASE("gradcheck: binary elementwise ops on contiguous and strided and broadcast operands") {
    const std::vector<OpCase> table = {
        {"add", [](const Inputs& x) { return add(x[0], x[1]); }, kBinaryShapes, {}, kBinaryBroadcasts},
        {"sub", [](const Inputs& x) { return sub(x[0], x[1]); }, kBinaryShapes, {}, kBinaryBroadcasts},
        {"mul", [](const Inputs& x) { return mul(x[0], x[1]); }, kBinaryShapes, {}, kBinaryBroadcasts},
        {"div", [](const Inputs& x) { return div(x[0], x[1]); }, kBinaryShapes,
         {Domain::normal(), Domain::signed_away(0.5, 2.0)}, kBinaryBroadcasts},
        {"operator+ (Var, Var)", [](const Inputs& x) { return x[0] + x[1]; }, kBinaryShapes, {}, kBinaryBroadcasts},
        {"operator- (Var, Var)", [](const Inputs& x) { return x[0] - x[1]; }, kBinaryShapes, {}, kBinaryBroadcasts},
        {"operator* (Var, Var)", [](const Inputs& x) { return x[0] * x[1]; }, kBinaryShapes, {}, kBinaryBroadcasts},
        {"operator/ (Var, Var)", [](const Inputs& x) { return x[0] / x[1]; }, kBinaryShapes,
         {Domain::normal(), Domain::signed_away(0.5, 2.0)}, kBinaryBroadcasts},
        {"pow (Var, Var)", [](const Inputs& x) { return pow(x[0], x[1]); }, kBinaryShapes,
         {Domain::uniform(0.5, 2.0), Domain::uniform(-2.0, 2.0)}, kBinaryBroadcasts},
        {"maximum", [](const Inputs& x) { return maximum(x[0], x[1]); }, kBinaryShapes,
         {Domain::grid(0.02), Domain::grid(0.06)}, kBinaryBroadcasts},
        {"minimum", [](const Inputs& x) { return minimum(x[0], x[1]); }, kBinaryShapes,
         {Domain::grid(0.02), Domain::grid(0.06)}, kBinaryBroadcasts},
        // The condition has the operands' broadcast shape, or only their last dim.
        {"where (full condition)",
         [](const Inputs& x) {
             return where(pattern_mask(broadcast_shapes(x[0].shape(), x[1].shape(), "test")), x[0], x[1]);
         },
         kBinaryShapes, {}, kBinaryBroadcasts},
        {"where (condition broadcast from the last dim)",
         [](const Inputs& x) {
             const Shape out = broadcast_shapes(x[0].shape(), x[1].shape(), "test");
             return where(pattern_mask({out.back()}), x[0], x[1]);
         },
         kBinaryShapes, {}, {{{3, 1, 4}, {5, 4}}, {{2, 3}, {}}}},
    };
    run_table(table);
}

TEST_CASE("gradcheck: unary elementwise ops and operators with doubles") {
    const std::vector<Shape> x34 = {{3, 4}};
    const Domain positive = Domain::uniform(0.5, 2.0), away_from_kinks = Domain::grid(0.05);
    const std::vector<OpCase> table = {
        {"neg", [](const Inputs& x) { return neg(x[0]); }, x34},
        {"unary operator-", [](const Inputs& x) { return -x[0]; }, x34},
        {"abs", [](const Inputs& x) { return abs(x[0]); }, x34, {away_from_kinks}},
        {"exp", [](const Inputs& x) { return exp(x[0]); }, x34},
        {"log", [](const Inputs& x) { return log(x[0]); }, x34, {positive}},
        {"sqrt", [](const Inputs& x) { return sqrt(x[0]); }, x34, {positive}},
        {"rsqrt", [](const Inputs& x) { return rsqrt(x[0]); }, x34, {positive}},
        {"tanh", [](const Inputs& x) { return tanh(x[0]); }, x34},
        {"sigmoid", [](const Inputs& x) { return sigmoid(x[0] * 3.0); }, x34},
        {"relu", [](const Inputs& x) { return relu(x[0]); }, x34, {away_from_kinks}},
        {"gelu", [](const Inputs& x) { return gelu(x[0] * 2.0); }, x34},
        {"gelu_tanh", [](const Inputs& x) { return gelu_tanh(x[0] * 2.0); }, x34},
        {"clamp(-0.5, 0.5)", [](const Inputs& x) { return clamp(x[0], -0.5, 0.5); }, x34, {away_from_kinks}},
        {"pow(x, 3.0) on both signs", [](const Inputs& x) { return pow(x[0], 3.0); }, x34},
        {"pow(x, 2.0) on both signs", [](const Inputs& x) { return pow(x[0], 2.0); }, x34},
        {"pow(x, -1.5)", [](const Inputs& x) { return pow(x[0], -1.5); }, x34, {positive}},
        {"pow(x, 0.5)", [](const Inputs& x) { return pow(x[0], 0.5); }, x34, {positive}},
        {"x + 2.5", [](const Inputs& x) { return x[0] + 2.5; }, x34},
        {"2.5 + x", [](const Inputs& x) { return 2.5 + x[0]; }, x34},
        {"x - 1.5", [](const Inputs& x) { return x[0] - 1.5; }, x34},
        {"1.5 - x", [](const Inputs& x) { return 1.5 - x[0]; }, x34},
        {"x * -3.0", [](const Inputs& x) { return x[0] * -3.0; }, x34},
        {"-3.0 * x", [](const Inputs& x) { return -3.0 * x[0]; }, x34},
        {"x / 4.0", [](const Inputs& x) { return x[0] / 4.0; }, x34},
        {"4.0 / x", [](const Inputs& x) { return 4.0 / x[0]; }, x34, {Domain::signed_away(0.5, 2.0)}},
        {"masked_fill(x, mask, 0.7)", [](const Inputs& x) { return masked_fill(x[0], pattern_mask(x[0].shape()), 0.7); },
         x34},
        {"masked_fill with a mask broadcast from the last dim",
         [](const Inputs& x) { return masked_fill(x[0], pattern_mask({x[0].size(-1)}), -2.0); }, x34},
        // -inf scores then softmax, as attention masks: row 1 is entirely masked and must give
        // zero probabilities and zero gradient, not NaN.
        {"masked_fill(-inf) then softmax, one row fully masked",
         [](const Inputs& x) {
             Tensor mask = pattern_mask(x[0].shape());
             fill_(mask.select(0, 1), 1.0);
             return softmax(masked_fill(x[0], mask, -std::numeric_limits<double>::infinity()), -1);
         },
         x34},
    };
    run_table(table);
}

TEST_CASE("gradcheck: reductions over one dim or several dims or all dims with and without keepdim") {
    const std::vector<Shape> x345 = {{3, 4, 5}};
    std::vector<OpCase> table;
    const std::vector<std::pair<std::string, Dims>> dim_sets = {{"{1}", {1}}, {"{-1}", {-1}}, {"{0, 2}", {0, 2}}, {"{} (all)", {}}};
    for (bool keep : {false, true}) {
        const std::string k = keep ? " keepdim" : "";
        for (const auto& dim_set : dim_sets) {
            const std::string& label = dim_set.first;
            const Dims dims = dim_set.second;  // a variable of its own: lambdas capture it
            table.push_back({"sum " + label + k, [dims, keep](const Inputs& x) { return sum(x[0], dims, keep); }, x345});
            table.push_back({"mean " + label + k, [dims, keep](const Inputs& x) { return mean(x[0], dims, keep); }, x345});
            table.push_back({"logsumexp " + label + k,
                             [dims, keep](const Inputs& x) { return logsumexp(x[0], dims, keep); }, x345});
            for (std::int64_t c : {0, 1})
                table.push_back({"var correction " + std::to_string(c) + " " + label + k,
                                 [dims, keep, c](const Inputs& x) { return var(x[0], dims, c, keep); }, x345});
        }
        for (std::int64_t d : {0, 1, -1})
            table.push_back({"max dim " + std::to_string(d) + k,
                             [d, keep](const Inputs& x) { return max(x[0], d, keep); }, x345, {Domain::distinct()}});
    }
    run_table(table);
}

TEST_CASE("gradcheck: views") {
    const std::vector<Shape> x345 = {{3, 4, 5}};
    const std::vector<OpCase> table = {
        {"reshape (3, 4, 5) -> (12, 5)", [](const Inputs& x) { return x[0].reshape({12, 5}); }, x345},
        {"reshape to (-1)", [](const Inputs& x) { return x[0].reshape({-1}); }, x345},
        {"reshape (3, 4, 5) -> (5, 2, 6)", [](const Inputs& x) { return x[0].reshape({5, 2, 6}); }, x345},
        {"flatten()", [](const Inputs& x) { return x[0].flatten(); }, x345},
        {"flatten(1, 2)", [](const Inputs& x) { return x[0].flatten(1, 2); }, x345},
        {"transpose(0, 2)", [](const Inputs& x) { return x[0].transpose(0, 2); }, x345},
        {"transpose(-1, -2)", [](const Inputs& x) { return x[0].transpose(-1, -2); }, x345},
        {"transpose then reshape (a copy)", [](const Inputs& x) { return x[0].transpose(0, 1).reshape({4, 15}); }, x345},
        {"permute {2, 0, 1}", [](const Inputs& x) { return x[0].permute({2, 0, 1}); }, x345},
        {"permute {-1, 0, 1}", [](const Inputs& x) { return x[0].permute({-1, 0, 1}); }, x345},
        {"slice(1, 0, 4, 2)", [](const Inputs& x) { return x[0].slice(1, 0, 4, 2); }, x345},
        {"slice(2, 1, 5, 3)", [](const Inputs& x) { return x[0].slice(2, 1, 5, 3); }, x345},
        {"slice(-1, -3, 100) (negative start, clamped end)", [](const Inputs& x) { return x[0].slice(-1, -3, 100); }, x345},
        {"narrow(2, 1, 3)", [](const Inputs& x) { return x[0].narrow(2, 1, 3); }, x345},
        {"narrow(0, 2, 1)", [](const Inputs& x) { return x[0].narrow(0, 2, 1); }, x345},
        {"select(1, 2)", [](const Inputs& x) { return x[0].select(1, 2); }, x345},
        {"select(-1, -1)", [](const Inputs& x) { return x[0].select(-1, -1); }, x345},
        {"slice of a slice", [](const Inputs& x) { return x[0].slice(1, 1, 4).slice(1, 0, 3, 2); }, x345},
        {"expand (3, 1, 5) -> (3, 4, 5)", [](const Inputs& x) { return x[0].expand({3, 4, 5}); }, {{3, 1, 5}}},
        {"expand (4, 1) -> (2, 4, 3) (new leading dim)", [](const Inputs& x) { return x[0].expand({2, 4, 3}); }, {{4, 1}}},
        {"expand with -1 kept sizes", [](const Inputs& x) { return x[0].expand({-1, 4, -1}); }, {{3, 1, 5}}},
        {"squeeze(1)", [](const Inputs& x) { return x[0].squeeze(1); }, {{3, 1, 5}}},
        {"unsqueeze(0)", [](const Inputs& x) { return x[0].unsqueeze(0); }, {{3, 5}}},
        {"unsqueeze(1)", [](const Inputs& x) { return x[0].unsqueeze(1); }, {{3, 5}}},
        {"unsqueeze(-1)", [](const Inputs& x) { return x[0].unsqueeze(-1); }, {{3, 5}}},
        {"t()", [](const Inputs& x) { return x[0].t(); }, {{3, 5}}},
    };
    run_table(table);
}

TEST_CASE("gradcheck: concat and stack and split and chunk") {
    // Pieces are weighted 1, 2, 3, ... before being joined again, so a piece routed to the
    // wrong place, or dropped, changes the gradient.
    const auto weighted = [](const std::vector<Var>& pieces, std::int64_t dim) {
        std::vector<Var> scaled;
        for (std::size_t k = 0; k < pieces.size(); ++k) scaled.push_back(pieces[k] * static_cast<double>(k + 1));
        return concat(scaled, dim);
    };
    const std::vector<OpCase> table = {
        {"concat dim 0", [](const Inputs& x) { return concat(x, 0); }, {{2, 3}, {4, 3}, {1, 3}}},
        {"concat dim 1", [](const Inputs& x) { return concat(x, 1); }, {{2, 3}, {2, 1}, {2, 2}}},
        {"concat dim -1 of 3-d parts", [](const Inputs& x) { return concat(x, -1); }, {{2, 3, 2}, {2, 3, 4}}},
        {"stack dim 0", [](const Inputs& x) { return stack(x, 0); }, {{2, 3}, {2, 3}, {2, 3}}},
        {"stack dim 1", [](const Inputs& x) { return stack(x, 1); }, {{2, 3}, {2, 3}, {2, 3}}},
        {"stack dim -1", [](const Inputs& x) { return stack(x, -1); }, {{2, 3}, {2, 3}, {2, 3}}},
        {"split size 3 dim 0 (pieces 3, 3, 1)", [weighted](const Inputs& x) { return weighted(split(x[0], 3, 0), 0); },
         {{7, 3}}},
        {"split size 2 dim 1 (pieces 2, 2, 1)", [weighted](const Inputs& x) { return weighted(split(x[0], 2, 1), 1); },
         {{3, 5}}},
        {"chunk 3 dim 0 (pieces 3, 3, 1)", [weighted](const Inputs& x) { return weighted(chunk(x[0], 3, 0), 0); },
         {{7, 3}}},
        {"chunk 4 dim -1 (pieces 2, 2, 2)", [weighted](const Inputs& x) { return weighted(chunk(x[0], 4, -1), -1); },
         {{2, 6}}},
    };
    run_table(table);
}

TEST_CASE("split and chunk pieces have torch's sizes") {
    const Var x(zeros({7, 3}, f64), true);
    std::vector<std::int64_t> sizes;
    for (const Var& p : split(x, 3, 0)) sizes.push_back(p.size(0));
    CHECK(sizes == std::vector<std::int64_t>{3, 3, 1});
    sizes.clear();
    for (const Var& p : chunk(Var(zeros({2, 6}, f64), true), 4, 1)) sizes.push_back(p.size(1));
    CHECK(sizes == std::vector<std::int64_t>{2, 2, 2});  // ceil(6 / 4) = 2, so 3 pieces, not 4
}

TEST_CASE("gradcheck: matmul 2-d and batched and with broadcast batch dims and 1-d operands") {
    const auto mm = [](const Inputs& x) { return matmul(x[0], x[1]); };
    const std::vector<OpCase> table = {
        {"matmul (3, 4) @ (4, 5)", mm, {{3, 4}, {4, 5}}},
        {"matmul batched (2, 3, 4) @ (2, 4, 5)", mm, {{2, 3, 4}, {2, 4, 5}}},
        {"matmul broadcast batch (2, 1, 3, 4) @ (5, 4, 6)", mm, {{2, 1, 3, 4}, {5, 4, 6}}, {},
         {{{2, 1, 3, 4}, {5, 4, 6}}, {{3, 4}, {2, 4, 5}}, {{2, 3, 4}, {4, 5}}}},
        {"matmul 1-d @ 2-d (4) @ (4, 5)", mm, {{4}, {4, 5}}},
        {"matmul 2-d @ 1-d (3, 4) @ (4)", mm, {{3, 4}, {4}}},
        {"matmul 1-d @ 1-d (4) @ (4)", mm, {{4}, {4}}},
        {"matmul batched @ 1-d (2, 3, 4) @ (4)", mm, {{2, 3, 4}, {4}}},
        {"matmul 1-d @ batched (4) @ (2, 4, 5)", mm, {{4}, {2, 4, 5}}},
    };
    run_table(table);
}

TEST_CASE("gradcheck: index_select and embedding and gather with repeated indices") {
    const std::vector<OpCase> table = {
        {"index_select dim 0 [4, 0, 4, 2]", [](const Inputs& x) { return index_select(x[0], 0, ids({4, 0, 4, 2})); },
         {{5, 3}}},
        {"index_select dim 1 [2, 2, 0]", [](const Inputs& x) { return index_select(x[0], 1, ids({2, 2, 0})); },
         {{4, 3}}},
        {"embedding (6, 4) with ids (2, 3), repeated",
         [](const Inputs& x) { return embedding(x[0], ids({1, 5, 1, 0, 1, 5}, {2, 3})); }, {{6, 4}}},
        // The padding path records its own op. Its padding row gets no gradient by definition,
        // not the derivative, so that id is left out here (test_layers.cpp checks the row).
        {"embedding (6, 4) with padding_idx 3, an id not looked up",
         [](const Inputs& x) { return embedding(x[0], ids({1, 5, 1, 0, 1, 5}, {2, 3}), 3); }, {{6, 4}}},
        {"gather dim 1", [](const Inputs& x) { return gather(x[0], 1, ids({3, 3, 0, 1, 2, 1}, {3, 2})); }, {{3, 4}}},
        {"gather dim 0", [](const Inputs& x) { return gather(x[0], 0, ids({2, 0, 2, 1, 1, 0, 0, 2}, {2, 4})); },
         {{3, 4}}},
    };
    run_table(table);
}

TEST_CASE("gradcheck: softmax and log_softmax and layer_norm") {
    const std::vector<Shape> x345 = {{3, 4, 5}};
    std::vector<OpCase> table;
    for (std::int64_t d : {0, 1, -1}) {
        table.push_back({"softmax dim " + std::to_string(d), [d](const Inputs& x) { return softmax(x[0], d); }, x345});
        table.push_back(
            {"log_softmax dim " + std::to_string(d), [d](const Inputs& x) { return log_softmax(x[0], d); }, x345});
    }
    table.push_back({"layer_norm, weight and bias, last dim",
                     [](const Inputs& x) { return layer_norm(x[0], x[1], x[2], 1); }, {{3, 4, 5}, {5}, {5}}});
    table.push_back({"layer_norm, no weight or bias, last dim",
                     [](const Inputs& x) { return layer_norm(x[0], Var(), Var(), 1); }, x345});
    table.push_back({"layer_norm, weight only", [](const Inputs& x) { return layer_norm(x[0], x[1], Var(), 1); },
                     {{3, 4, 5}, {5}}});
    table.push_back({"layer_norm, weight and bias, last 2 dims",
                     [](const Inputs& x) { return layer_norm(x[0], x[1], x[2], 2); }, {{3, 4, 5}, {4, 5}, {4, 5}}});
    table.push_back({"layer_norm, no weight or bias, last 2 dims",
                     [](const Inputs& x) { return layer_norm(x[0], Var(), Var(), 2); }, x345});
    run_table(table);
}

TEST_CASE("gradcheck: dropout in training (seeded inside f) and in eval") {
    const std::vector<Shape> x45 = {{4, 5}};
    const std::vector<OpCase> table = {
        {"dropout p = 0.3 training",
         [](const Inputs& x) {
             Generator gen(7);  // the same mask on every call
             return dropout(x[0], 0.3, true, gen);
         },
         x45},
        {"dropout p = 0.5 training",
         [](const Inputs& x) {
             Generator gen(8);
             return dropout(x[0], 0.5, true, gen);
         },
         x45},
        {"dropout p = 0.5 eval (identity)", [](const Inputs& x) { return dropout(x[0], 0.5, false); }, x45},
        {"dropout p = 0 training (identity)", [](const Inputs& x) { return dropout(x[0], 0.0, true); }, x45},
    };
    run_table(table);
}

TEST_CASE("gradcheck: cross_entropy with every reduction and ignore_index and label smoothing and 3-d logits") {
    const Tensor t4 = ids({1, 4, -100, 0});
    const Tensor t23 = ids({2, 0, -100, 4, 4, 1}, {2, 3});
    const auto ce = [](Tensor targets, Reduction r, double smoothing, std::int64_t ignore = -100) {
        return [=](const Inputs& x) {
            return cross_entropy(x[0], targets, {.ignore_index = ignore, .label_smoothing = smoothing, .reduction = r});
        };
    };
    const std::vector<OpCase> table = {
        {"cross_entropy mean, one ignored", ce(t4, Reduction::Mean, 0.0), {{4, 5}}},
        {"cross_entropy sum, one ignored", ce(t4, Reduction::Sum, 0.0), {{4, 5}}},
        {"cross_entropy none, one ignored", ce(t4, Reduction::None, 0.0), {{4, 5}}},
        {"cross_entropy mean, ignore_index 2", ce(ids({2, 0, 2, 3}), Reduction::Mean, 0.0, 2), {{4, 5}}},
        {"cross_entropy mean, label smoothing 0.1", ce(t4, Reduction::Mean, 0.1), {{4, 5}}},
        {"cross_entropy sum, label smoothing 0.1", ce(t4, Reduction::Sum, 0.1), {{4, 5}}},
        {"cross_entropy none, label smoothing 0.1", ce(t4, Reduction::None, 0.1), {{4, 5}}},
        {"cross_entropy mean, 3-d logits", ce(t23, Reduction::Mean, 0.0), {{2, 3, 5}}},
        {"cross_entropy none, 3-d logits, smoothing 0.1", ce(t23, Reduction::None, 0.1), {{2, 3, 5}}},
        {"cross_entropy sum, 3-d logits, smoothing 0.1", ce(t23, Reduction::Sum, 0.1), {{2, 3, 5}}},
    };
    run_table(table);
}

TEST_CASE("a fully masked softmax row has zero probabilities and a zero finite gradient") {
    // Scores (2, 3); row 0 masked at column 1 only, row 1 masked everywhere.
    const Var x = leaf({0.3, -1.2, 2.0, 0.5, 0.1, -0.7}, {2, 3});
    const Tensor mask = from_vector(std::vector<std::uint8_t>{0, 1, 0, 1, 1, 1}, {2, 3});
    const Var p = softmax(masked_fill(x, mask, -std::numeric_limits<double>::infinity()), -1);
    // Row 0 by hand: softmax of (0.3, 2.0) over the unmasked columns.
    const double e0 = std::exp(0.3), e2 = std::exp(2.0);
    check_close(p.data(), {e0 / (e0 + e2), 0, e2 / (e0 + e2), 0, 0, 0});

    const Tensor w = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
    sum(p * Var(w)).backward();
    // Row 0: dL/dx_j = p_j (w_j - sum_i w_i p_i) at unmasked j, 0 at the masked column.
    const double p0 = e0 / (e0 + e2), p2 = e2 / (e0 + e2), avg = 1 * p0 + 3 * p2;
    check_close(x.grad(), {p0 * (1 - avg), 0, p2 * (3 - avg), 0, 0, 0});
}

TEST_CASE("logsumexp of a fully masked row is -inf with a zero finite gradient") {
    const Var x = leaf({0.5, -1.0, 2.0, 1.0, 3.0, -2.0}, {2, 3});
    const Tensor mask = from_vector(std::vector<std::uint8_t>{0, 0, 1, 1, 1, 1}, {2, 3});
    const Var lse = logsumexp(masked_fill(x, mask, -std::numeric_limits<double>::infinity()), {1});
    const double e0 = std::exp(0.5), e1 = std::exp(-1.0);
    check_close(lse.data(), {std::log(e0 + e1), -std::numeric_limits<double>::infinity()});

    lse.backward(from_vector(std::vector<double>{2.0, 5.0}));  // row 1's upstream gradient is not 0
    // Row 0: d lse/dx_j = softmax_j over the live entries, times the upstream 2.
    check_close(x.grad(), {2 * e0 / (e0 + e1), 2 * e1 / (e0 + e1), 0, 0, 0, 0});
}

}  // TEST_SUITE

TEST_CASE("gradcheck: a Var with a constant Tensor on either side of +, -, *, / and matmul") {
    Generator gen(11);
    const Tensor c = randn({3, 4}, 0, 1, f64, gen);                // the constant, (3, 4)
    const Tensor away = rand({3, 4}, 0.5, 2.0, f64, gen);          // a divisor away from 0
    const Tensor w = randn({4, 5}, 0, 1, f64, gen), u = randn({2, 3}, 0, 1, f64, gen);
    const std::vector<Shape> x34 = {{3, 4}};
    run_table({
        {"x + c", [c](const Inputs& x) { return x[0] + c; }, x34},
        {"c - x", [c](const Inputs& x) { return c - x[0]; }, x34},
        {"x * c", [c](const Inputs& x) { return x[0] * c; }, x34},
        {"x / c", [away](const Inputs& x) { return x[0] / away; }, x34},
        {"c / x", [c](const Inputs& x) { return c / x[0]; }, x34, {Domain::signed_away(0.5, 2.0)}},
        {"matmul(x, w)", [w](const Inputs& x) { return matmul(x[0], w); }, x34},
        {"matmul(u, x)", [u](const Inputs& x) { return matmul(u, x[0]); }, x34},
    });
}

TEST_CASE("a constant Tensor beside a Var gives the Tensor op's values and takes no gradient") {
    Generator gen(12);
    const Var x(randn({2, 3}, 0, 1, f64, gen), true);
    const Tensor c = randn({2, 3}, 0, 1, f64, gen);
    CHECK(equal((x * c).data(), mul(x.data(), c)));
    CHECK(equal((c - x).data(), sub(c, x.data())));
    const Var y = x * c + c;
    CHECK(y.requires_grad());
    sum(y).backward();
    CHECK(equal(x.grad(), c));  // d/dx (x c + c) = c
    // Without a Var that requires grad, the result records no op.
    CHECK_FALSE((Var(c) * c).requires_grad());
}

TEST_CASE("method forms record the same ops as the functions") {
    Generator gen(13);
    const Var x(randn({2, 3}, 0, 1, f64, gen), true), w(randn({3, 4}, 0, 1, f64, gen), true);
    CHECK(equal(x.sum().data(), sum(x).data()));
    CHECK(equal(x.sum({1}, true).data(), sum(x, {1}, true).data()));
    CHECK(equal(x.mean({0}).data(), mean(x, {0}).data()));
    CHECK(equal(x.matmul(w).data(), matmul(x, w).data()));
    CHECK(equal(x.softmax(-1).data(), softmax(x, -1).data()));
    CHECK(equal(x.log_softmax(0).data(), log_softmax(x, 0).data()));
    CHECK(x.matmul(w).op_name() == "matmul");
    CHECK(x.softmax(-1).op_name() == "softmax");
}
