// Task 2: date normalisation, character by character. The same day written in 12 human formats
//
//   21 Nov 2026 | November 21, 2026 | Saturday, November 21, 2026 | 21/11/26 | 2026年11月21日
//   21.11.2026  | 11/21/2026        | 21st November 2026          | 2026/11/21 | 21-NOV-26
//   Sat, 21 Nov 2026 | 20261121
//
// becomes 2026-11-21 (ISO 8601). Dates run from 1000-01-01 to 2999-12-31 (Gregorian calendar).
// The two formats with a two-digit year yy only write dates of 1950 .. 2049, where yy means 20yy
// when yy < 50 and 19yy otherwise, so every string names exactly one date.
//
// Why a thousand years either side, not just 1950 .. 2049? Within one century window the first
// two digits of the year follow from the third ("19" iff it is 5 .. 9), and a model trained on
// such dates learns to read "19" or "20" off the decade digit: it gets every year right while its
// attention sits a character or two to the right of the "19" it writes. With years 1000 .. 2999
// every year digit must be read where it is written. (lesson04 --years 1950-2049 shows the shortcut.)
//
// The alignment metric: an output digit of the day or the year counts when the source writes
// that very digit, and then it should attend to it. "21/11/26": output '2' '6' of 2026 match the
// source's '2' '6'; the century "20" is not written, so those two output digits are not counted.
// "November 1, 2026": the day's units digit '1' matches the source's '1'; the leading '0' of
// the output's "01" is not written, so it is not counted. Month digits are not counted (most
// formats spell the month as a word).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lessons/04_bahdanau_seq2seq/task.hpp"

namespace qkv::lesson04 {

struct Date {
    int year = 1950, month = 1, day = 1;
    bool operator==(const Date&) const = default;
};

// Every day of the years first .. last, in order.
std::vector<Date> all_dates(int first_year = 1000, int last_year = 2999);
// 0 = Monday .. 6 = Sunday (Zeller's congruence, Gregorian calendar).
int weekday(const Date& d);
// Formats 3 (dd/mm/yy) and 9 (dd-MON-yy) write the year with two digits.
bool two_digit_year(int format);
// "2026-11-21"
std::string iso(const Date& d);
// Where the year and the day sit in iso(): "yyyy-mm-dd" (target positions, first and last).
inline constexpr std::int64_t iso_year_first = 0, iso_year_last = 3, iso_day_first = 8, iso_day_last = 9;

inline constexpr int num_date_formats = 12;
// A short description of format f: "d Mon yyyy", "dd/mm/yy", ...
std::string date_format_name(int f);

struct FormattedDate {
    std::string text;                // UTF-8
    std::vector<std::int64_t> align; // 10 entries, one per character of iso(): the source
                                     // character index (code points) of the same digit, or -1
};
FormattedDate format_date(const Date& d, int f);

struct DatesOptions {
    std::int64_t heldout = 1000;  // held-out dates: none of these days is ever drawn for training
    int first_year = 1000;        // the years of the dates (at most 1000 .. 2999)
    int last_year = 2999;
};

// Each example draws a format uniformly, then a day: from first_year .. last_year, and for the
// two-digit-year formats from those years within 1950 .. 2049 (the two formats are left out when
// there are none). The held-out set (distinct days) comes from `seed`; training draws skip its days.
Task dates_task(std::uint64_t seed, const DatesOptions& options = {});

// Why dates_task would reject `options`, or "" when it accepts them: the years must lie within
// 1000 .. 2999, and each range of days examples are drawn from (all the years; those a two-digit
// year can write) must hold at least twice as many days as there are held-out dates, so that at
// least half of every range is left for training.
std::string dates_options_error(const DatesOptions& options);

}  // namespace qkv::lesson04
