// Lesson 04: the invariants the lesson teaches and the data it trains on. Attention rows sum to
// 1 and padded source positions get exactly 0; one decoder step with attention passes the
// gradient checker; the generated data is what it claims (reversed sequences; dates that parse
// back, by a parser written here, to the date they were made from; held-out sets never drawn
// for training); and the same seed gives the same numbers for any thread count. The outcomes at
// the full budget are in test_lesson04_slow.cpp.
#include <doctest/doctest.h>

#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lessons/04_bahdanau_seq2seq/dates.hpp"
#include "lessons/04_bahdanau_seq2seq/gates.hpp"
#include "lessons/04_bahdanau_seq2seq/reversal.hpp"
#include "lessons/04_bahdanau_seq2seq/training.hpp"
#include "nn/attention/scaled_dot_product.hpp"
#include "nn/text/tokenizers.hpp"
#include "tensor/thread_pool.hpp"
#include "tests/testing_nn.hpp"

using namespace qkv;
using namespace qkv::lesson04;

namespace {

std::string text(const nn::Vocab& vocab, const std::vector<std::int64_t>& ids) {
    std::string s;
    for (std::int64_t id : ids) s += vocab.token(id);
    return s;
}

// ---- an independent date parser: numbers and month words, read per format --------------------

const char* const months[] = {"january", "february", "march",     "april",   "may",      "june",
                              "july",    "august",   "september", "october", "november", "december"};

struct Parsed {
    int year = 0, month = 0, day = 0;
    std::string weekday;  // lower case, as written ("sat", "saturday"), or empty
};

Parsed parse(const std::string& s, int format) {
    std::vector<std::string> nums, words;
    std::string cur;
    bool digits = false;
    const auto flush = [&] {
        if (!cur.empty()) (digits ? nums : words).push_back(cur);
        cur.clear();
    };
    for (unsigned char c : s) {
        const bool d = std::isdigit(c) != 0, a = std::isalpha(c) != 0;
        if ((d && !digits) || (a && digits) || (!d && !a)) flush();
        if (d || a) cur += static_cast<char>(std::tolower(c)), digits = d;
    }
    flush();
    Parsed p;
    for (const std::string& w : words) {
        for (int m = 0; m < 12; ++m)
            if (w == months[m] || w == std::string(months[m]).substr(0, 3)) p.month = m + 1;
        if (w.size() >= 3 && w.substr(w.size() - 3) == "day") p.weekday = w;
        if (w == "mon" || w == "tue" || w == "wed" || w == "thu" || w == "fri" || w == "sat" || w == "sun") p.weekday = w;
    }
    const auto n = [&](std::size_t i) { return std::stoi(nums.at(i)); };
    const auto century = [](int yy) { return yy < 50 ? 2000 + yy : 1900 + yy; };
    switch (format) {
        case 0: case 1: case 2: case 7: case 10: p.day = n(0), p.year = n(1); break;
        case 3: p.day = n(0), p.month = n(1), p.year = century(n(2)); break;
        case 4: case 8: p.year = n(0), p.month = n(1), p.day = n(2); break;
        case 5: p.day = n(0), p.month = n(1), p.year = n(2); break;
        case 6: p.month = n(0), p.day = n(1), p.year = n(2); break;
        case 9: p.day = n(0), p.year = century(n(1)); break;
        case 11: p.year = std::stoi(nums.at(0).substr(0, 4)), p.month = std::stoi(nums[0].substr(4, 2)),
                 p.day = std::stoi(nums[0].substr(6, 2)); break;
        default: FAIL("unknown format ", format);
    }
    return p;
}

}  // namespace

TEST_SUITE("lesson04") {

TEST_CASE("reversal data: targets mirror sources, lengths 3-8 over 10 symbols, held-out never drawn") {
    const Task task = reversal_task(0);
    REQUIRE(task.heldout.size() == 1000);
    std::set<std::vector<std::int64_t>> held;
    const std::int64_t zero = task.src_vocab.id("0");
    for (const Example& e : task.heldout) {
        const auto n = static_cast<std::int64_t>(e.src.size());
        CHECK(n >= 3);
        CHECK(n <= 8);
        REQUIRE(e.tgt.size() == e.src.size());
        for (std::int64_t i = 0; i < n; ++i) {
            CHECK(e.tgt[static_cast<std::size_t>(i)] == e.src[static_cast<std::size_t>(n - 1 - i)]);
            CHECK(e.align[static_cast<std::size_t>(i)] == n - 1 - i);
            CHECK(e.src[static_cast<std::size_t>(i)] >= zero);
            CHECK(e.src[static_cast<std::size_t>(i)] < zero + 10);
        }
        held.insert(e.src);
    }
    CHECK(held.size() == 1000);  // distinct
    Generator gen(1);
    std::set<std::size_t> lengths;
    for (int i = 0; i < 20000; ++i) {
        const Example e = task.sample(gen);
        lengths.insert(e.src.size());
        if (held.count(e.src)) FAIL("a training draw repeats a held-out sequence");
    }
    CHECK(lengths == std::set<std::size_t>{3, 4, 5, 6, 7, 8});
}

TEST_CASE("dates: the issue's example, leap years, and weekdays that advance one a day") {
    CHECK(format_date({2026, 11, 21}, 2).text == "Saturday, November 21, 2026");
    CHECK(format_date({2026, 11, 21}, 0).text == "21 Nov 2026");
    CHECK(format_date({2026, 11, 21}, 1).text == "November 21, 2026");
    CHECK(format_date({2026, 11, 21}, 3).text == "21/11/26");
    CHECK(format_date({2026, 11, 21}, 4).text == "2026年11月21日");
    CHECK(format_date({2026, 11, 1}, 7).text == "1st November 2026");
    CHECK(format_date({2026, 11, 12}, 7).text == "12th November 2026");
    CHECK(iso({2026, 11, 21}) == "2026-11-21");
    CHECK(all_dates(2000, 2000).size() == 366);  // divisible by 400
    CHECK(all_dates(1900, 1900).size() == 365);  // by 100, not 400
    CHECK(all_dates(2024, 2024).size() == 366);
    const std::vector<Date> days = all_dates();
    CHECK(days.size() == 730485);  // 2000 years of 365.2425 days
    for (std::size_t i = 1; i < days.size(); ++i)
        if (weekday(days[i]) != (weekday(days[i - 1]) + 1) % 7) FAIL("weekday does not advance at ", iso(days[i]));
    CHECK_THROWS_AS(format_date({1949, 12, 31}, 3), Error);  // two-digit years cover 1950 .. 2049 only
    CHECK_THROWS_AS(format_date({2026, 2, 29}, 0), Error);
}

TEST_CASE("dates: every held-out and training example parses back to its target date") {
    const Task task = dates_task(0);
    REQUIRE(task.heldout.size() == 1000);
    std::vector<Example> examples = task.heldout;
    Generator gen(5);
    for (int i = 0; i < 3000; ++i) examples.push_back(task.sample(gen));
    std::set<int> formats;
    const char* const wdays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
    for (const Example& e : examples) {
        const std::string src = text(task.src_vocab, e.src), tgt = text(task.tgt_vocab, e.tgt);
        INFO(src, " -> ", tgt, " (format ", e.kind, ")");
        formats.insert(e.kind);
        const Parsed p = parse(src, e.kind);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", p.year, p.month, p.day);
        CHECK(std::string(buf) == tgt);
        const Date d{p.year, p.month, p.day};
        if (!p.weekday.empty()) CHECK(std::string(wdays[weekday(d)]).substr(0, p.weekday.size()) == p.weekday);
        if (two_digit_year(e.kind)) CHECK((p.year >= 1950 && p.year <= 2049));
        // The alignment labels point at the very digit the output writes.
        const std::vector<std::string> chars = nn::split_chars(src);
        int counted = 0;
        for (std::size_t i = 0; i < e.align.size(); ++i) {
            if (e.align[i] < 0) continue;
            ++counted;
            CHECK(chars.at(static_cast<std::size_t>(e.align[i])) == std::string(1, tgt[i]));
            CHECK(((i <= 3) || i == 8 || i == 9));  // year or day digits only
        }
        // Year digits counted: all 4, or the last 2 when the year is written with 2; the day's
        // units digit always, its tens digit when written.
        const std::set<int> zero_padded_day = {3, 5, 6, 8, 9, 11};  // dd in the format's name
        const bool two_day_digits = zero_padded_day.count(e.kind) || p.day >= 10;
        CHECK(counted == (two_digit_year(e.kind) ? 2 : 4) + (two_day_digits ? 2 : 1));
        CHECK(e.align[9] >= 0);
    }
    CHECK(formats.size() == static_cast<std::size_t>(num_date_formats));
    CHECK(num_date_formats >= 10);
}

TEST_CASE("dates: held-out days are distinct and never drawn for training") {
    const Task task = dates_task(0);
    std::set<std::string> held;
    for (const Example& e : task.heldout) held.insert(text(task.tgt_vocab, e.tgt));
    CHECK(held.size() == task.heldout.size());
    Generator gen(9);
    for (int i = 0; i < 30000; ++i)
        if (held.count(text(task.tgt_vocab, task.sample(gen).tgt))) FAIL("a training draw repeats a held-out day");
}

// Every held-out date and `draws` training dates of `task`: parsed back by the test's own parser,
// checked against the target, and returned as (format, year) pairs.
std::vector<std::pair<int, int>> parsed_years(const Task& task, int draws) {
    std::vector<Example> examples = task.heldout;
    Generator gen(11);
    for (int i = 0; i < draws; ++i) examples.push_back(task.sample(gen));
    std::vector<std::pair<int, int>> out;
    for (const Example& e : examples) {
        const std::string src = text(task.src_vocab, e.src), tgt = text(task.tgt_vocab, e.tgt);
        const Parsed p = parse(src, e.kind);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", p.year, p.month, p.day);
        if (std::string(buf) != tgt) FAIL(src, " (format ", e.kind, ") parses to ", buf, ", not ", tgt);
        out.emplace_back(e.kind, p.year);
    }
    return out;
}

TEST_CASE("dates: --years outside 1950 .. 2049 leave out the two-digit-year formats, partly inside they keep the overlap") {
    std::set<int> formats;
    for (const auto& [format, year] : parsed_years(dates_task(0, {100, 1000, 1100}), 2000)) {
        formats.insert(format);
        if (year < 1000 || year > 1100) FAIL("year ", year, " outside 1000 .. 1100");
    }
    CHECK(formats == std::set<int>{0, 1, 2, 4, 5, 6, 7, 8, 10, 11});  // no 3 (dd/mm/yy) or 9 (dd-MON-yy)

    formats.clear();
    for (const auto& [format, year] : parsed_years(dates_task(0, {100, 1940, 1960}), 2000)) {
        formats.insert(format);
        if (year < 1940 || year > 1960) FAIL("year ", year, " outside 1940 .. 1960");
        if (two_digit_year(format) && year < 1950) FAIL("format ", format, " wrote year ", year, " with two digits");
    }
    CHECK(formats.size() == 12);

    // One year, exactly twice as many days as held-out dates: half of its days are left to train on.
    const Task one_year = dates_task(0, {183, 2000, 2000});
    std::set<std::string> held;
    for (const Example& e : one_year.heldout) held.insert(text(one_year.tgt_vocab, e.tgt));
    CHECK(held.size() == 183);
    std::set<std::string> trained;
    Generator gen(2);
    for (int i = 0; i < 5000; ++i) trained.insert(text(one_year.tgt_vocab, one_year.sample(gen).tgt));
    for (const std::string& d : trained)
        if (held.count(d)) FAIL("training drew held-out day ", d);
    CHECK(trained.size() == 366 - 183);  // 5000 draws reach every one of the 183 days left
}

TEST_CASE("dates: options with too few days are rejected, naming the days there are") {
    CHECK(dates_options_error({}).empty());
    // 2000 is a leap year (divisible by 400): 366 days.
    const std::string one_year =
        "years 2000 .. 2000 hold 366 days: too few for 1000 held-out dates, which need at least 2000 (twice as many, "
        "so that half are left for training)";
    CHECK(dates_options_error({1000, 2000, 2000}) == one_year);
    CHECK_THROWS_WITH_AS(dates_task(0, {1000, 2000, 2000}), ("dates_task: " + one_year).c_str(), Error);
    CHECK(dates_options_error({183, 2000, 2000}).empty());   // 366 >= 2 * 183
    CHECK(!dates_options_error({184, 2000, 2000}).empty());  // 366 < 2 * 184
    // 2000 .. 2020: 21 years, 6 of them leap (2000, 2004, .., 2020): 21 * 365 + 6 = 7671 days.
    CHECK(dates_options_error({1000, 2000, 2020}).empty());
    CHECK(dates_options_error({3835, 2000, 2020}).empty());  // 7670 <= 7671
    CHECK(!dates_options_error({3836, 2000, 2020}).empty());  // 7671 < 7672
    // 1000 .. 1950 has plenty of days, but a two-digit year can write only 1950's 365.
    const std::string window = dates_options_error({1000, 1000, 1950});
    CHECK(window.find("hold 365 days a two-digit year can write") != std::string::npos);
    CHECK(dates_options_error({1000, 1000, 1949}).empty());  // no two-digit-year formats at all
    CHECK(!dates_options_error({-1, 1000, 1949}).empty());
    CHECK(!dates_options_error({10, 999, 1949}).empty());
}

TEST_CASE("dates: no source string names two different dates, in any two formats") {
    std::map<std::string, std::string> seen;  // source text -> its ISO date
    std::vector<Date> days = all_dates(1948, 2051);
    for (int y : {1000, 1001, 2998, 2999})
        for (const Date& d : all_dates(y, y)) days.push_back(d);
    for (const Date& d : days)
        for (int f = 0; f < num_date_formats; ++f) {
            if (two_digit_year(f) && (d.year < 1950 || d.year > 2049)) continue;
            const std::string s = format_date(d, f).text;
            const auto [it, fresh] = seen.emplace(s, iso(d));
            if (!fresh && it->second != iso(d)) FAIL("'", s, "' names both ", it->second, " and ", iso(d));
        }
    CHECK(seen.size() > 400000);
}

TEST_CASE("attention rows sum to 1 and padded source positions get exactly 0, on a bucketed date batch") {
    const Task task = dates_task(0, {200});
    Generator gen(3);
    const std::vector<std::vector<Example>> batches = draw_bucketed(task, 16, 2, gen);
    nn::Seq2SeqConfig mc;
    mc.src_vocab = task.src_vocab.size(), mc.tgt_vocab = task.tgt_vocab.size();
    nn::Seq2Seq model(mc, gen);
    for (const auto& examples : batches) {
        const Seq2SeqBatch b = make_batch(examples, task.tgt_vocab);
        const nn::Seq2SeqOutput out = model(b.src, b.src_lengths, b.tgt_in);
        const Tensor a = out.attention.data();  // (B, T, S)
        for (std::int64_t k = 0; k < a.size(0); ++k) {
            const auto len = static_cast<std::int64_t>(examples[static_cast<std::size_t>(k)].src.size());
            for (std::int64_t i = 0; i < a.size(1); ++i) {
                double total = 0;
                for (std::int64_t j = 0; j < a.size(2); ++j) {
                    total += a.at({k, i, j});
                    if (j >= len && a.at({k, i, j}) != 0.0) FAIL("padded position ", j, " of a length-", len, " source has weight ", a.at({k, i, j}));
                }
                CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
            }
        }
    }
}

TEST_CASE("gradcheck: one GRU decoder step with additive attention over a padded source") {
    nn::Seq2SeqConfig mc;
    mc.src_vocab = 6, mc.tgt_vocab = 5, mc.embed_size = 2, mc.hidden_size = 3, mc.attention_size = 2;
    Generator gen(21);
    nn::Seq2Seq model(mc, gen);
    model.to(DType::Float64);
    nn::BahdanauDecoder& dec = model.decoder;
    const std::int64_t B = 2, S = 4, E = 2, H = 3;
    const Tensor lengths = from_vector(std::vector<std::int64_t>{4, 2});
    const Tensor mask = nn::padding_mask(lengths, S);  // (B, 1, S)
    std::vector<Tensor> inputs = {randn({B, E}, 0, 1, DType::Float64, gen), randn({B, H}, 0, 1, DType::Float64, gen),
                                  randn({B, S, 2 * H}, 0, 1, DType::Float64, gen)};
    // gradcheck's leaves after the three inputs become the attention's and the cell's parameters.
    qkv::test::ParameterLeaves attention(*dec.attention), cell(dec.cell);
    for (const Tensor& p : attention.values()) inputs.push_back(p);
    for (const Tensor& p : cell.values()) inputs.push_back(p);
    const auto step = [&](const std::vector<Var>& x) {
        attention.assign(x, 3);
        cell.assign(x, 3 + attention.size());
        nn::DecoderMemory m;
        m.values = x[2];
        m.keys = dec.attention->project_keys(x[2]);
        m.mask = mask;
        const nn::DecoderStep d = dec.step(x[0], x[1], m);
        return concat({d.state, d.context, d.weights}, 1);  // (B, H + 2H + S)
    };
    REQUIRE(attention.size() + cell.size() == 7);  // W_q, W_k, w_v; weight_ih, weight_hh, bias_ih, bias_hh
    const GradcheckResult r = gradcheck(step, inputs);
    INFO(r.message);
    CHECK(r.ok);

    // The padded annotations (sequence 1, positions 2 and 3) get no gradient at all.
    std::vector<Var> leaves;
    for (const Tensor& t : inputs) leaves.push_back(Var(t.clone(), true));
    sum(step(leaves)).backward();
    const Tensor g = leaves[2].grad();
    for (std::int64_t j = 2; j < S; ++j)
        for (std::int64_t k = 0; k < 2 * H; ++k) CHECK(g.at({1, j, k}) == 0.0);
    double real = 0;
    for (std::int64_t k = 0; k < 2 * H; ++k) real += std::abs(g.at({1, 1, k}));
    CHECK(real > 0);
}

TEST_CASE("the same seed gives the same losses and decodings, for 1 and 2 threads") {
    const Task task = reversal_task(4, {3, 8, 10, 100});
    const TrainConfig c = reversal_config(4, 6);
    const auto run = [&](int threads) {
        const ThreadCountGuard count(threads);
        Trained trained = train(task, c);
        Evaluation evaluation = evaluate(trained.model, task);
        return std::pair{std::move(trained), std::move(evaluation)};
    };
    const auto [a, ea] = run(1);
    const auto [b, eb] = run(2);
    CHECK(a.losses == b.losses);
    CHECK(ea.decoded == eb.decoded);
    Trained other = train(task, reversal_config(5, 6));
    CHECK(other.losses != a.losses);
    // And the data: the same seed, the same held-out set; another seed, another.
    CHECK(reversal_task(4, {3, 8, 10, 100}).heldout[7].src == task.heldout[7].src);
    CHECK(dates_task(4, {50}).heldout[3].src == dates_task(4, {50}).heldout[3].src);
    CHECK(dates_task(4, {50}).heldout[3].src != dates_task(5, {50}).heldout[3].src);
}

TEST_CASE("evaluate counts exact matches and alignments as a plain loop over greedy decoding does") {
    const Task task = reversal_task(2, {3, 8, 10, 60});
    Trained t = train(task, reversal_config(2, 40));
    CHECK(t.losses.back() < t.losses.front());
    const Evaluation ev = evaluate(t.model, task, 25);  // batches of 25, the last one short
    std::int64_t exact = 0, aligned = 0, counted = 0;
    std::vector<std::int64_t> aligned_at(8), counted_at(8);  // per output position, sources up to 8 long
    for (const Example& e : task.heldout) {
        const Seq2SeqBatch b = make_batch({e}, task.tgt_vocab);
        const nn::GreedyOutput g = t.model.greedy_decode(b.src, b.src_lengths, 9, task.tgt_vocab.bos_id(), task.tgt_vocab.eos_id());
        exact += g.tokens[0] == e.tgt;
        const auto n = static_cast<std::int64_t>(e.src.size());
        const auto rows = static_cast<std::int64_t>(g.tokens[0].size()) + 1;
        for (std::int64_t i = 0; i < n; ++i) {
            ++counted, ++counted_at[static_cast<std::size_t>(i)];
            if (i >= std::min(rows, g.attention.size(1))) continue;
            std::int64_t best = 0;
            for (std::int64_t j = 1; j < n; ++j)
                if (g.attention.at({0, i, j}) > g.attention.at({0, i, best})) best = j;
            aligned += best == n - 1 - i;
            aligned_at[static_cast<std::size_t>(i)] += best == n - 1 - i;
        }
    }
    CHECK(ev.exact_match == doctest::Approx(static_cast<double>(exact) / 60.0));
    CHECK(ev.counted == counted);
    CHECK(ev.aligned == aligned);
    CHECK(ev.counted_at == counted_at);
    CHECK(ev.aligned_at == aligned_at);
    // Positions 3 .. 7 exist only in sources of length 4 and more: a range other than the whole.
    const std::int64_t late = counted_at[3] + counted_at[4] + counted_at[5] + counted_at[6] + counted_at[7];
    CHECK(ev.counted_over(3, 7) == late);
    const std::int64_t late_aligned = aligned_at[3] + aligned_at[4] + aligned_at[5] + aligned_at[6] + aligned_at[7];
    CHECK(ev.alignment_over(3, 7) == doctest::Approx(static_cast<double>(late_aligned) / static_cast<double>(late)));
    CHECK(ev.counted_over(0, 100) == counted);
    CHECK(ev.alignment_over(20, 30) == 0);
    std::int64_t total = 0;
    for (std::int64_t c : ev.total_by_len) total += c;
    CHECK(total == 60);
    for (std::int64_t len = 3; len <= 8; ++len)
        CHECK(ev.total_at(len) == ev.total_by_len[static_cast<std::size_t>(len)]);
    CHECK(ev.total_at(9) == 0);  // past the longest source: no examples, not an out-of-range read
    CHECK(ev.total_at(-1) == 0);
    CHECK(ev.accuracy_at(40) == 0);
}

TEST_CASE("bad task options and batches are rejected with clear errors") {
    CHECK_THROWS_WITH_AS(reversal_task(0, {5, 3, 10, 10}),
                         "reversal_task: need 1 <= min_len <= max_len and 1 <= symbols <= 10, got lengths 5..3 and 10 symbols",
                         Error);
    CHECK_THROWS_AS(dates_task(0, {1000, 900, 2000}), Error);
    CHECK_THROWS_AS(date_format_name(12), Error);
    const Task task = reversal_task(0, {3, 8, 10, 10});
    Generator gen(0);
    CHECK_THROWS_AS(draw_bucketed(task, 0, 2, gen), Error);
}

}  // TEST_SUITE

TEST_CASE("--quick: reversal of 3-5 symbols reaches exact match >= 0.9 on the held-out length-5 sequences") {
    // The milestone the README promises for `lesson04 --quick` (seed 0), with its own settings.
    const Task task = reversal_task(0, quick_reversal_options());
    Trained t = train(task, reversal_config(0, quick_steps));
    const Evaluation ev = evaluate(t.model, task);
    INFO("exact match at length 5: " << ev.accuracy_at(5) << " of " << ev.total_at(5));
    CHECK(ev.total_at(5) >= 100);
    CHECK(ev.accuracy_at(5) >= 0.9);
}

TEST_CASE("recall: more gradient reaches step 1 in a GRU than in a tanh RNN, and the GRU learns what the RNN cannot") {
    const RecallOptions o = quick_recall_options(0);
    Generator g1(o.seed + 1), g2(o.seed + 1), data(o.seed + 2);
    RecallModel tanh_rnn(CellKind::Tanh, o, g1), gru(CellKind::Gru, o, g2);
    const Tensor ids = recall_batch(o, o.batch_size, data);
    const double r_tanh = gradient_reaching_start(tanh_rnn, ids), r_gru = gradient_reaching_start(gru, ids);
    INFO("at init: tanh " << r_tanh << ", GRU " << r_gru);
    CHECK(r_gru > 5 * r_tanh);
    const RecallResult t = train_recall(tanh_rnn, o), g = train_recall(gru, o);
    INFO("accuracy: tanh " << t.accuracy << ", GRU " << g.accuracy);
    CHECK(g.accuracy >= 0.9);
    CHECK(t.accuracy < 0.5);
    // After training, gradient still reaches step 1 of the GRU; the tanh RNN's has vanished.
    CHECK(g.start_ratio_after > 0.1);
    CHECK(t.start_ratio_after < 1e-3);

    // Clipping: one SGD step on an all-wrong batch wrecks the GRU unclipped, not clipped.
    const SpikeDemo d = spike_demo(gru, o, 1, 1);
    INFO("spike norm " << d.spike_norm << ", clean " << d.clean_norm << "; accuracy " << d.accuracy_before << " -> "
                       << d.accuracy_unclipped << " unclipped, " << d.accuracy_clipped << " clipped");
    CHECK(d.accuracy_before == doctest::Approx(g.accuracy));
    // The margins hold in both builds: release (FMA) and the sanitizer build (no FMA) train to
    // different GRUs, whose spike is 70x (sanitizers) to 500x (README) a clean batch's gradient.
    CHECK(d.spike_norm > 20 * d.clean_norm);
    CHECK(d.accuracy_unclipped < d.accuracy_before - 0.2);
    // Clipping keeps the damage a small fraction of the unclipped step's.
    CHECK(d.accuracy_before - d.accuracy_clipped < 0.1 * (d.accuracy_before - d.accuracy_unclipped));
}
