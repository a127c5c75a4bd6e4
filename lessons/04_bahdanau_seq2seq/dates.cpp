#include "lessons/04_bahdanau_seq2seq/dates.hpp"

#include <array>
#include <cstdio>
#include <algorithm>
#include <memory>
#include <set>
#include <tuple>

#include "nn/text/tokenizers.hpp"
#include "tensor/core.hpp"

namespace qkv::lesson04 {

namespace {

const std::array<const char*, 12> month_names = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};
const std::array<const char*, 7> weekday_names = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                  "Friday", "Saturday", "Sunday"};
const std::array<const char*, num_date_formats> format_names = {
    "d Mon yyyy",  "Month d, yyyy", "Weekday, Month d, yyyy", "dd/mm/yy", "yyyy年m月d日",    "dd.mm.yyyy",
    "mm/dd/yyyy",  "dth Month yyyy", "yyyy/mm/dd",            "dd-MON-yy", "Wkd, d Mon yyyy", "yyyymmdd"};

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static const std::array<int, 12> days = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[static_cast<std::size_t>(m - 1)];
}

constexpr std::int64_t iso_year = iso_year_first, iso_day = iso_day_first;

// Builds the source text and records, as it goes, where the year and day digits land.
class Writer {
public:
    Writer() : align_(10, -1) {}
    void text(const std::string& s) { out_ += s, chars_ += static_cast<std::int64_t>(nn::split_chars(s).size()); }
    void number(int v, int width) {  // zero-padded to `width` digits
        char buf[8];
        std::snprintf(buf, sizeof buf, "%0*d", width, v);
        text(buf);
    }
    void year4(int y) { mark(iso_year, 4), number(y, 4); }
    void year2(int y) { mark(iso_year + 2, 2), number(y % 100, 2); }
    void day(int d, bool pad) {
        const int width = pad || d >= 10 ? 2 : 1;
        mark(iso_day + 2 - width, width), number(d, width);
    }
    void month(int m, bool pad) { number(m, pad || m >= 10 ? 2 : 1); }
    FormattedDate done() { return {out_, align_}; }

private:
    // The next `n` source characters are the digits at output positions first .. first+n-1.
    void mark(std::int64_t first, std::int64_t n) {
        for (std::int64_t k = 0; k < n; ++k) align_[static_cast<std::size_t>(first + k)] = chars_ + k;
    }
    std::string out_;
    std::int64_t chars_ = 0;  // code points written so far
    std::vector<std::int64_t> align_;
};

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return s;
}

const char* ordinal_suffix(int d) {
    if (d % 10 == 1 && d != 11) return "st";
    if (d % 10 == 2 && d != 12) return "nd";
    if (d % 10 == 3 && d != 13) return "rd";
    return "th";
}

// Days in the years first .. last (none when first > last).
std::uint64_t days_in_years(int first, int last) {
    std::uint64_t n = 0;
    for (int y = first; y <= last; ++y) n += is_leap(y) ? 366 : 365;
    return n;
}

// The days a two-digit year can write, as the index range [lo, hi) of all_dates(first_year,
// last_year): the chosen years within 1950 .. 2049. Empty (lo == hi) when they miss that window.
struct DayRange {
    std::uint64_t lo = 0, hi = 0;
};
DayRange two_digit_days(const DatesOptions& o) {
    const int first = std::max(o.first_year, 1950), last = std::min(o.last_year, 2049);
    const std::uint64_t lo = days_in_years(o.first_year, first - 1);
    return {lo, lo + days_in_years(first, last)};
}

}  // namespace

std::vector<Date> all_dates(int first_year, int last_year) {
    std::vector<Date> out;
    for (int y = first_year; y <= last_year; ++y)
        for (int m = 1; m <= 12; ++m)
            for (int d = 1; d <= days_in_month(y, m); ++d) out.push_back({y, m, d});
    return out;
}

int weekday(const Date& date) {
    // Zeller: January and February count as months 13 and 14 of the year before; h = 0 is Saturday.
    const int m = date.month < 3 ? date.month + 12 : date.month;
    const int y = date.month < 3 ? date.year - 1 : date.year;
    const int k = y % 100, j = y / 100;
    const int h = (date.day + 13 * (m + 1) / 5 + k + k / 4 + j / 4 + 5 * j) % 7;
    return (h + 5) % 7;  // Saturday (0) -> 5, Sunday (1) -> 6, Monday (2) -> 0
}

bool two_digit_year(int format) { return format == 3 || format == 9; }

std::string iso(const Date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
    return buf;
}

std::string date_format_name(int f) {
    if (f < 0 || f >= num_date_formats) fail("date_format_name", "format ", f, " outside [0, ", num_date_formats, ")");
    return format_names[static_cast<std::size_t>(f)];
}

FormattedDate format_date(const Date& d, int f) {
    const bool two = two_digit_year(f);
    if (d.year < (two ? 1950 : 1000) || d.year > (two ? 2049 : 2999) || d.month < 1 || d.month > 12 || d.day < 1 ||
        d.day > days_in_month(d.year, d.month))
        fail("format_date", "date ", d.year, "-", d.month, "-", d.day, " is not a day of ", two ? "1950 .. 2049" : "1000 .. 2999",
             " (format ", f, ")");
    const std::string month = month_names[static_cast<std::size_t>(d.month - 1)];
    const std::string mon = month.substr(0, 3);
    const std::string wday = weekday_names[static_cast<std::size_t>(weekday(d))];
    Writer w;
    switch (f) {
        case 0: w.day(d.day, false), w.text(" " + mon + " "), w.year4(d.year); break;                // 21 Nov 2026
        case 1: w.text(month + " "), w.day(d.day, false), w.text(", "), w.year4(d.year); break;      // November 21, 2026
        case 2: w.text(wday + ", " + month + " "), w.day(d.day, false), w.text(", "), w.year4(d.year); break;
        case 3: w.day(d.day, true), w.text("/"), w.month(d.month, true), w.text("/"), w.year2(d.year); break;  // 21/11/26
        case 4: w.year4(d.year), w.text("年"), w.month(d.month, false), w.text("月"), w.day(d.day, false), w.text("日"); break;
        case 5: w.day(d.day, true), w.text("."), w.month(d.month, true), w.text("."), w.year4(d.year); break;  // 21.11.2026
        case 6: w.month(d.month, true), w.text("/"), w.day(d.day, true), w.text("/"), w.year4(d.year); break;  // 11/21/2026
        case 7: w.day(d.day, false), w.text(std::string(ordinal_suffix(d.day)) + " " + month + " "), w.year4(d.year); break;
        case 8: w.year4(d.year), w.text("/"), w.month(d.month, true), w.text("/"), w.day(d.day, true); break;  // 2026/11/21
        case 9: w.day(d.day, true), w.text("-" + upper(mon) + "-"), w.year2(d.year); break;                    // 21-NOV-26
        case 10: w.text(wday.substr(0, 3) + ", "), w.day(d.day, false), w.text(" " + mon + " "), w.year4(d.year); break;
        case 11: w.year4(d.year), w.month(d.month, true), w.day(d.day, true); break;                            // 20261121
        default: fail("format_date", "format ", f, " outside [0, ", num_date_formats, ")");
    }
    return w.done();
}

std::string dates_options_error(const DatesOptions& o) {
    if (o.first_year < 1000 || o.last_year > 2999 || o.first_year > o.last_year)
        return cat("years ", o.first_year, " .. ", o.last_year, " are not within 1000 .. 2999");
    if (o.heldout < 0) return cat("heldout must be >= 0, got ", o.heldout);
    const auto need = 2 * static_cast<std::uint64_t>(o.heldout);
    const std::string years = cat("years ", o.first_year, " .. ", o.last_year, " hold ");
    const std::string too_few = cat(": too few for ", o.heldout, " held-out dates, which need at least ", need,
                                    " (twice as many, so that half are left for training)");
    const std::uint64_t all = days_in_years(o.first_year, o.last_year);
    if (all < need) return cat(years, all, " days", too_few);
    const DayRange two = two_digit_days(o);
    if (two.lo < two.hi && two.hi - two.lo < need)
        return cat(years, two.hi - two.lo, " days a two-digit year can write (those within 1950 .. 2049)", too_few,
                   "; choose years that cover more of 1950 .. 2049, or none of it");
    return "";
}

Task dates_task(std::uint64_t seed, const DatesOptions& o) {
    if (const std::string problem = dates_options_error(o); !problem.empty()) fail("dates_task", problem);
    // Days are numbered by their index in all_dates(first_year, last_year); the two-digit-year
    // formats draw from the index range of the chosen years within 1950 .. 2049, and are left out
    // when that range is empty.
    auto days = std::make_shared<std::vector<Date>>(all_dates(o.first_year, o.last_year));
    const auto n = static_cast<std::uint64_t>(days->size());
    const DayRange two = two_digit_days(o);
    std::vector<int> formats;
    for (int f = 0; f < num_date_formats; ++f)
        if (two.lo < two.hi || !two_digit_year(f)) formats.push_back(f);

    Task task;
    task.name = "dates";
    // Every character any format can write: all formats of one leap year's days cover every
    // month, weekday, ordinal suffix and digit.
    std::vector<std::string> texts;
    for (const Date& d : all_dates(1952, 1952))
        for (int f = 0; f < num_date_formats; ++f) texts.push_back(format_date(d, f).text);
    task.src_vocab = nn::CharTokenizer::build(texts).vocab();
    task.tgt_vocab = nn::CharTokenizer::build({"0123456789-"}).vocab();
    task.max_target_len = 10;

    const nn::CharTokenizer src(task.src_vocab), tgt(task.tgt_vocab);
    auto heldout_days = std::make_shared<std::set<std::uint64_t>>();
    // One example: a format, then a day it can write that `skip` does not exclude.
    auto draw = [days, src, tgt, two, n, formats](Generator& g, const std::set<std::uint64_t>& skip, std::uint64_t* day) {
        const int f = formats[g.below(formats.size())];
        for (;;) {
            const std::uint64_t k = two_digit_year(f) ? two.lo + g.below(two.hi - two.lo) : g.below(n);
            if (skip.count(k)) continue;
            if (day) *day = k;
            const Date& d = (*days)[k];
            FormattedDate fd = format_date(d, f);
            return Example{src.encode(fd.text), tgt.encode(iso(d)), fd.align, f};
        }
    };
    Generator gen(seed);
    while (static_cast<std::int64_t>(task.heldout.size()) < o.heldout) {
        std::uint64_t day = 0;
        task.heldout.push_back(draw(gen, *heldout_days, &day));  // distinct days: each drawn day is skipped after
        heldout_days->insert(day);
    }
    task.sample = [draw, heldout_days](Generator& g) { return draw(g, *heldout_days, nullptr); };
    return task;
}

}  // namespace qkv::lesson04
