// GPT (nn/gpt/gpt.hpp), its KV-cache step and generation (nn/gpt/generate.hpp), and the
// sampling rules (nn/sampling.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "autograd/gradcheck.hpp"
#include "nn/attention/recording.hpp"
#include "nn/gpt/generate.hpp"
#include "nn/losses.hpp"
#include "tests/testing.hpp"

using namespace qkv;
using qkv::test::max_abs_diff;

namespace {

nn::GPTConfig small_gpt_config(double dropout = 0.0) {
    nn::GPTConfig c;
    c.vocab_size = 11;
    c.d_model = 8;
    c.num_heads = 2;
    c.num_layers = 2;
    c.d_ff = 16;
    c.max_len = 12;
    c.dropout = dropout;
    c.init_std = 0.5;  // larger than GPT-2's 0.02, so the tiny model's logits differ visibly
    return c;
}

}  // namespace

TEST_SUITE("nn") {

TEST_CASE("GPT: causal, the logits at t do not depend on later tokens, and they do on earlier ones") {
    Generator gen(1);
    nn::GPT model(small_gpt_config(), gen);
    model.eval();
    NoGradGuard no_grad;
    nn::RecordAttention record;
    const Tensor ids = from_vector(std::vector<std::int64_t>{1, 4, 7, 2, 9, 3}, {1, 6});
    Tensor changed = ids.clone();
    changed.set({0, 4}, 5.0);  // a later token
    const Tensor a = model(ids).data(), b = model(changed).data();  // (1, 6, V)
    CHECK(max_abs_diff(a.narrow(1, 0, 4), b.narrow(1, 0, 4)) == 0.0);  // positions 0..3 cannot see position 4
    CHECK(max_abs_diff(a.narrow(1, 4, 2), b.narrow(1, 4, 2)) > 1e-4);
    // And the attention weights put nothing above the diagonal.
    for (const Tensor& w : model.attention_weights()) CHECK(max(abs(triu(w.select(0, 0), 1))).item() == 0.0);
}

TEST_CASE("GPT: the output projection is the token embedding, listed once, and its gradient is right") {
    Generator gen(2);
    nn::GPT model(small_gpt_config(), gen);
    std::int64_t with_name = 0;
    for (const auto& [name, p] : model.named_parameters()) with_name += name.find("tokens.weight") != std::string::npos;
    CHECK(with_name == 1);
    // Parameters: E (V, D), positions (max_len, D), 2 layers, final LayerNorm; no (V, D) output matrix.
    const std::int64_t D = 8, F = 16, V = 11, L = 12;
    const std::int64_t layer = 4 * (D * D + D) + (D * F + F) + (F * D + D) + 2 * 2 * D;
    CHECK(model.num_parameters() == V * D + L * D + 2 * layer + 2 * D);
    NoGradGuard no_grad;
    const Tensor ids = from_vector(std::vector<std::int64_t>{1, 2, 3}, {1, 3});
    const Tensor h = model.hidden(ids).data();
    CHECK(max_abs_diff(model(ids).data(), matmul(h, model.tokens.weight.data().transpose(0, 1))) < 1e-6);
}

TEST_CASE("GPT: gradcheck of the loss with respect to the tied embedding (both of its uses) and the positions") {
    Generator gen(3);
    nn::GPT model(small_gpt_config(), gen);
    model.to(DType::Float64);
    const Tensor ids = from_vector(std::vector<std::int64_t>{1, 4, 7, 2, 9, 3, 3, 0}, {2, 4});
    const Tensor targets = from_vector(std::vector<std::int64_t>{4, 7, 2, 9, 3, 3, 0, 5}, {2, 4});
    const auto loss = [&](const std::vector<Var>& x) {
        model.tokens.weight = x[0];
        model.positions.weight = x[1];
        return cross_entropy(model(ids), targets);
    };
    const GradcheckResult r = gradcheck(loss, {model.tokens.weight.data().clone(), model.positions.weight.data().clone()});
    CHECK_MESSAGE(r.ok, r.message);
}

TEST_CASE("GPT: bad configurations and inputs are refused with the value named") {
    nn::GPTConfig c = small_gpt_config();
    c.d_model = 9;
    CHECK_THROWS_WITH_AS(nn::GPT{c}, doctest::Contains("multiple of num_heads"), Error);
    c = small_gpt_config();
    c.vocab_size = 0;
    CHECK_THROWS_WITH_AS(nn::GPT{c}, doctest::Contains("vocab_size"), Error);
    Generator gen(4);
    nn::GPT model(small_gpt_config(), gen);
    CHECK_THROWS_WITH_AS(model(zeros({1, 13}, DType::Int64)), doctest::Contains("exceeds max_len 12"), Error);
    CHECK_THROWS_WITH_AS(model(full({1, 2}, 11.0, DType::Int64)), doctest::Contains("id 11"), Error);
    CHECK_THROWS_AS(model(zeros({3}, DType::Int64)), Error);
}

TEST_CASE("gpt_step: one position through the cache gives forward's logits and attention at that position") {
    for (DType dtype : {DType::Float64, DType::Float32}) {
        CAPTURE(dtype_name(dtype));
        Generator gen(5);
        nn::GPT model(small_gpt_config(0.3), gen);  // dropout is set but off in eval mode
        model.to(dtype);
        model.eval();
        NoGradGuard no_grad;
        const std::vector<std::int64_t> seq{2, 5, 5, 8, 1, 10, 3, 7, 4, 6, 9, 0};  // 12 = max_len
        const Tensor ids = from_vector(seq, {1, 12});
        const Tensor ids2 = from_vector(std::vector<std::int64_t>{3, 3, 1, 0, 9, 8, 7, 6, 5, 4, 2, 1}, {1, 12});
        const Tensor both = concat({ids, ids2}, 0);             // (2, 12): two rows side by side
        nn::RecordAttention record;
        const Tensor full_logits = model(both).data();          // (2, 12, V)
        const std::vector<Tensor> full_weights = model.attention_weights();
        nn::GPTCache cache = nn::start_gpt_cache(model, 2);
        const double tol = dtype == DType::Float64 ? 1e-12 : 1e-5;
        for (std::int64_t t = 0; t < 12; ++t) {
            const Tensor step = nn::gpt_step(model, both.select(1, t).contiguous(), cache).data();  // (2, V)
            CHECK(max_abs_diff(step, full_logits.select(1, t)) < tol);
            for (std::size_t l = 0; l < 2; ++l)  // (2, H, 1, t + 1) against row t of forward's (2, H, 12, 12)
                CHECK(max_abs_diff(cache.last_weights[l].squeeze(2),
                                   full_weights[l].select(2, t).narrow(2, 0, t + 1)) < tol);
        }
        CHECK(cache.length == 12);
        model.train();
        nn::GPTCache fresh = nn::start_gpt_cache(model, 2);
        CHECK_THROWS_WITH_AS(nn::gpt_step(model, zeros({2}, DType::Int64), fresh), doctest::Contains("eval mode"), Error);
        model.eval();
        CHECK_THROWS_WITH_AS(nn::gpt_step(model, zeros({2}, DType::Int64), cache), doctest::Contains("full"), Error);
        CHECK_THROWS_WITH_AS(nn::gpt_step(model, zeros({3}, DType::Int64), cache), doctest::Contains("rows"), Error);
    }
}

TEST_CASE("generate: with and without the cache, the same tokens; a seed fixes them; stop and banned ids hold") {
    Generator init(6);
    nn::GPT model(small_gpt_config(0.2), init);
    nn::GenerateOptions o;
    o.max_new_tokens = 10;
    o.sampling = {1.3, 0, 1.0};  // flat enough that many different tokens come up
    o.never = {0, 2};
    const std::vector<std::vector<std::int64_t>> prompts{{2, 5}, {2, 9}, {2, 1}};
    Generator a(7), b(7), c(7), d(8);
    o.use_cache = true;
    const auto cached = nn::generate(model, prompts, o, a);
    const auto again = nn::generate(model, prompts, o, c);
    const auto other_seed = nn::generate(model, prompts, o, d);
    o.use_cache = false;
    const auto uncached = nn::generate(model, prompts, o, b);
    CHECK(cached == uncached);
    CHECK(cached == again);
    CHECK(cached != other_seed);
    CHECK(model.is_training());  // generate switched to eval mode and back
    for (const auto& row : cached) {
        CHECK(row.size() == 10);
        for (std::int64_t id : row) CHECK((id != 0 && id != 2));
    }
    // A row stops after its stop token (kept); the others go on.
    o.use_cache = true;
    o.stop_id = cached[1][3];
    Generator e(7);
    const auto stopped = nn::generate(model, prompts, o, e);
    for (const auto& row : stopped) {  // the stop token at most once, and only last
        const auto n = std::count(row.begin(), row.end(), o.stop_id);
        CHECK(n <= 1);
        if (n == 1) CHECK(row.back() == o.stop_id);
        if (n == 0) CHECK(row.size() == 10);
    }
    // Row 1 draws as before until its stop token (every row draws in order, and rows 0 and 2
    // may stop earlier and shift the later draws, so only up to the first stop of any row).
    CHECK(stopped[1].size() <= 4);
    // Greedy with its argmax banned takes the next most likely token.
    {
        nn::GenerateOptions greedy;
        greedy.max_new_tokens = 1;
        greedy.sampling = {0.0, 0, 1.0};
        Generator unused(0);
        const std::int64_t best = nn::generate(model, {{2, 5}}, greedy, unused)[0][0];
        greedy.never = {best};
        const std::int64_t second = nn::generate(model, {{2, 5}}, greedy, unused)[0][0];
        NoGradGuard no_grad;
        nn::EvalGuard eval(model);
        const Tensor logits = model(from_vector(std::vector<std::int64_t>{2, 5}, {1, 2})).data().select(0, 0).select(0, 1);
        const std::vector<double> z = logits.to_vector<double>();
        std::int64_t expected = -1;
        for (std::int64_t v = 0; v < 11; ++v)
            if (v != best && (expected < 0 || z[static_cast<std::size_t>(v)] > z[static_cast<std::size_t>(expected)])) expected = v;
        CHECK(second == expected);
    }
    // A prompt of max_len tokens leaves no room, but asks for none.
    o.max_new_tokens = 0;
    CHECK(nn::generate(model, {std::vector<std::int64_t>(12, 1)}, o, a)[0].empty());
    o.max_new_tokens = 10;
    // Errors: prompts of different lengths, too long, banned id outside the vocabulary.
    CHECK_THROWS_WITH_AS(nn::generate(model, {{2, 5}, {2}}, o, a), doctest::Contains("one length"), Error);
    o.max_new_tokens = 11;
    CHECK_THROWS_WITH_AS(nn::generate(model, prompts, o, a), doctest::Contains("max_len"), Error);
    o.max_new_tokens = 2;
    o.never = {11};
    CHECK_THROWS_WITH_AS(nn::generate(model, prompts, o, a), doctest::Contains("banned id 11"), Error);
}

TEST_CASE("sampling: temperature, top-k and top-p shape the distribution as defined") {
    const Tensor logits = from_vector(std::vector<double>{1.0, 3.0, 2.0, 3.0, -INFINITY});
    // Temperature 0: the first argmax (ties to the smaller id).
    CHECK(nn::sampling_distribution(logits, {0.0, 0, 1.0}) == std::vector<double>{0, 1, 0, 0, 0});
    // Temperature 1: softmax; the -inf logit gets exactly 0.
    const std::vector<double> p = nn::sampling_distribution(logits, {1.0, 0, 1.0});
    const double z = std::exp(1.0) + 2 * std::exp(3.0) + std::exp(2.0);
    CHECK(p[0] == doctest::Approx(std::exp(1.0) / z));
    CHECK(p[1] == doctest::Approx(std::exp(3.0) / z));
    CHECK(p[4] == 0.0);
    // Temperature 2 flattens: p_i ~ e^(z_i / 2).
    const std::vector<double> flat = nn::sampling_distribution(logits, {2.0, 0, 1.0});
    CHECK(flat[1] / flat[0] == doctest::Approx(std::exp(1.0)));
    // top-k 2: ids 1 and 3 (equal), renormalised; top-k 1 with a tie keeps the smaller id.
    CHECK(nn::sampling_distribution(logits, {1.0, 2, 1.0}) == std::vector<double>{0, 0.5, 0, 0.5, 0});
    CHECK(nn::top_k_filter(p, 1) == std::vector<double>{0, 1, 0, 0, 0});
    // top-p: a token is kept while the mass before it is < p.
    const std::vector<double> q{0.1, 0.4, 0.3, 0.2};
    CHECK(nn::top_p_filter(q, 0.3) == std::vector<double>{0, 1, 0, 0});            // 0.4 alone reaches 0.3
    std::vector<double> kept = nn::top_p_filter(q, 0.5);                          // 0.4 < 0.5: 0.3 too
    CHECK(kept[1] == doctest::Approx(0.4 / 0.7));
    CHECK(kept[2] == doctest::Approx(0.3 / 0.7));
    CHECK((kept[0] == 0 && kept[3] == 0));
    kept = nn::top_p_filter(q, 0.7);  // the mass before the third is exactly 0.7: it is left out
    CHECK((kept[3] == 0 && kept[0] == 0));
    CHECK(nn::top_p_filter(q, 1.0) == q);
    CHECK(nn::top_p_filter(q, 1e-9) == std::vector<double>{0, 1, 0, 0});
    // Bad options are named.
    CHECK_THROWS_WITH_AS(nn::sampling_distribution(logits, {-1.0, 0, 1.0}), doctest::Contains("temperature"), Error);
    CHECK_THROWS_WITH_AS(nn::sampling_distribution(logits, {1.0, -1, 1.0}), doctest::Contains("top_k"), Error);
    CHECK_THROWS_WITH_AS(nn::sampling_distribution(logits, {1.0, 0, 0.0}), doctest::Contains("top_p"), Error);
    CHECK_THROWS_WITH_AS(nn::sampling_distribution(full({3}, -INFINITY, DType::Float64), {1.0, 0, 1.0}),
                         doctest::Contains("-inf"), Error);
    CHECK_THROWS_WITH_AS(nn::sampling_distribution(from_vector(std::vector<double>{0.0, NAN}), {1.0, 0, 1.0}),
                         doctest::Contains("broken"), Error);
}

TEST_CASE("sampling: draws follow the distribution, and a seed fixes them") {
    const std::vector<double> p{0.5, 0.0, 0.3, 0.2};
    Generator gen(9);
    std::map<std::int64_t, int> counts;
    const int n = 40000;
    for (int i = 0; i < n; ++i) ++counts[nn::draw_from(p, gen)];
    CHECK(counts[1] == 0);
    for (std::int64_t i : {0, 2, 3}) {
        // Within 5 standard deviations of the expected count.
        const double expected = n * p[static_cast<std::size_t>(i)], sd = std::sqrt(n * p[static_cast<std::size_t>(i)] * (1 - p[static_cast<std::size_t>(i)]));
        CHECK(std::abs(counts[i] - expected) < 5 * sd);
    }
    Generator a(10), b(10);
    for (int i = 0; i < 100; ++i) CHECK(nn::draw_from(p, a) == nn::draw_from(p, b));
}

}  // TEST_SUITE
