// Helpers for the exercise checkers (tests/exercises/NN/check_NN.cpp), so that every failure
// teaches: it names the exercise, the input, expected and got, where they first differ, and a hint.
//
//   TEST_CASE("exercise 03.2: Scaled dot-product attention with masks") {
//       qkv::exercise::run("03.2", [&] {
//           Tensor q = randn({2, 3, 5}, 0, 1, DType::Float32, gen);                 // (B, T, d)
//           qkv::exercise::check_close("output for " + qkv::exercise::brief("q", q),
//                                      reference(q), mine(q), 1e-5, 1e-6,
//                                      "divide the scores by sqrt(d_k) before the softmax");
//       });
//   }
//
// run() turns qkv::NotImplemented (an unsolved stub) into ONE failure, "exercise 03.2 is not done
// yet: see ...", instead of a cascade. answer("03.5") reads the student's number from
// lessons/03_*/exercises/answers.txt.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/gradcheck.hpp"
#include "lessons/common/exercise.hpp"
#include "tensor/tensor.hpp"
#include "tests/testing.hpp"

#ifndef QKV_SOURCE_DIR
#error "tests/CMakeLists.txt defines QKV_SOURCE_DIR (the repository root) for the exercise checkers"
#endif

namespace qkv::exercise {

namespace detail {

inline std::string& current_id() {
    static std::string id;  // the exercise run() is checking, for the messages below
    return id;
}

// Counts a passed check, so doctest's summary shows how many were made.
inline bool pass() {
    CHECK(true);
    return true;
}

inline std::string prefix() { return current_id().empty() ? std::string("exercise: ") : "exercise " + current_id() + ": "; }

// One failure: the exercise, what was checked, and the hint.
inline bool fail_with(const std::string& what, const std::string& hint) {
    const std::string message = prefix() + what + (hint.empty() ? std::string() : "\n  hint: " + hint);
    FAIL_CHECK(message);
    return false;
}

inline std::string number(double v) {
    std::ostringstream out;
    out << std::setprecision(6) << v;
    return out.str();
}

inline std::string index_str(const Shape& index) {
    std::string s = "[";
    for (std::size_t i = 0; i < index.size(); ++i) s += (i ? ", " : "") + std::to_string(index[i]);
    return s + "]";
}

inline std::string first_values(const std::vector<double>& v, std::size_t count = 6) {
    std::string s = "[";
    for (std::size_t i = 0; i < std::min(count, v.size()); ++i) s += (i ? ", " : "") + number(v[i]);
    return s + (v.size() > count ? ", ...]" : "]");
}

// The folder lessons/NN_name of exercise "NN.K", relative to the repository root ("" if none).
inline std::string lesson_folder(const std::string& id) {
    namespace fs = std::filesystem;
    const std::string nn = id.substr(0, 2);
    const fs::path lessons = fs::path(QKV_SOURCE_DIR) / "lessons";
    if (fs::is_directory(lessons))
        for (const auto& entry : fs::directory_iterator(lessons)) {
            const std::string name = entry.path().filename().string();
            if (entry.is_directory() && name.size() > 3 && name.compare(0, 2, nn) == 0 && name[2] == '_')
                return "lessons/" + name;
        }
    return "";
}

// GitHub's anchor for a heading: lower case; letters, digits, '-', '_' and non-ASCII kept;
// spaces become '-'; everything else dropped. "03.2 Scaled dot-product" -> "032-scaled-dot-product".
inline std::string anchor(const std::string& heading) {
    std::string a;
    for (unsigned char c : heading) {
        if (c >= 0x80 || std::isalnum(c) || c == '-' || c == '_') a += static_cast<char>(std::tolower(c));
        else if (c == ' ') a += '-';
    }
    return a;
}

// "lessons/03_dot_product_attention/EXERCISES.md#032-scaled-dot-product-attention-with-masks".
inline std::string where(const std::string& id) {
    const std::string folder = lesson_folder(id);
    const std::string md = folder + "/EXERCISES.md";
    std::ifstream in(std::filesystem::path(QKV_SOURCE_DIR) / md);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("## " + id + " ", 0) == 0) return md + "#" + anchor(line.substr(3));
    return md;
}

}  // namespace detail

// Runs one exercise's checks. An unsolved stub becomes one failure naming the exercise and where
// to read; any other qkv::Error escaping the student's code is reported with the exercise's name.
template <class Body>
void run(const std::string& id, Body&& body) {
    detail::current_id() = id;
    try {
        body();
    } catch (const NotImplemented& e) {
        FAIL_CHECK(std::string(e.what()));
    } catch (const doctest::detail::TestFailureException&) {
        throw;
    } catch (const std::exception& e) {
        const std::string message = "exercise " + id + ": your code threw an exception: " + e.what() + "\n  (read " + detail::where(id) + ")";
        FAIL_CHECK(message);
    }
    detail::current_id().clear();
}

// "q (2, 3, 5) float32 = [0.12, -1.3, ...]": an input, for a failure message.
inline std::string brief(const std::string& name, const Tensor& t) {
    if (!t.defined()) return name + " (undefined)";
    return name + " " + shape_str(t.shape()) + " " + dtype_name(t.dtype()) + " = " +
           detail::first_values(t.to_vector<double>());
}

// Compares got with expected element by element: |got - expected| <= atol + rtol * |expected|
// (NaN matches only NaN, an infinity only itself), by the one comparison every test uses
// (qkv::test::describe_mismatch, tests/testing.hpp). On a mismatch it fails once with the
// exercise, how many elements differ, the largest difference and where, the first few
// mismatches, the first few values of each, and the hint. Returns whether they matched.
inline bool check_close(const std::string& what, const Tensor& expected, const Tensor& got, double rtol = 1e-5,
                        double atol = 1e-6, const std::string& hint = "") {
    std::string mismatch = test::describe_mismatch(expected, got, rtol, atol);
    if (mismatch.empty()) return detail::pass();
    if (!got.defined()) mismatch += " (did the function return Tensor{}?)";
    else if (expected.shape() == got.shape())
        mismatch = "shape " + shape_str(expected.shape()) + ": " + mismatch + "\n  expected " +
                   detail::first_values(expected.to_vector<double>()) + "\n  got      " +
                   detail::first_values(got.to_vector<double>());
    detail::fail_with(what + "\n  " + mismatch, hint);
    return false;
}

// Compares two shapes (or any sizes), failing with both and the hint.
inline bool check_shape(const std::string& what, const Shape& expected, const Shape& got, const std::string& hint = "") {
    if (expected == got) return detail::pass();
    detail::fail_with(what + "\n  expected " + shape_str(expected) + ", got " + shape_str(got), hint);
    return false;
}

// A condition that must hold, with what was checked and the hint.
inline bool check_that(bool ok, const std::string& what, const std::string& hint = "") {
    if (ok) return detail::pass();
    detail::fail_with(what, hint);
    return false;
}

// Runs the float64 gradient checker on f and fails with its message (which input, which element,
// analytic and numeric values) and the hint.
inline bool check_gradient(const std::string& what, const GradcheckFn& f, const std::vector<Tensor>& inputs,
                           const std::string& hint = "", const GradcheckOptions& options = {}) {
    const GradcheckResult r = gradcheck(f, inputs, options);
    if (r) return detail::pass();
    std::ostringstream msg;
    msg << detail::prefix() << "gradient check failed: " << what << "\n";
    for (std::size_t i = 0; i < inputs.size(); ++i) msg << "  input " << i << ": " << brief("x", inputs[i]) << "\n";
    msg << "  " << r.message << "\n  " << r.failures << " element(s) failed";
    if (!hint.empty()) msg << "\n  hint: " << hint;
    FAIL_CHECK(msg.str());
    return false;
}

// A number compared within a relative tolerance (for experiment answers).
inline bool check_number(const std::string& what, double expected, double got, double rtol, const std::string& hint = "") {
    if (std::abs(got - expected) <= rtol * std::abs(expected) + 1e-12) return detail::pass();
    detail::fail_with(what + "\n  expected " + detail::number(expected) + " (within " + detail::number(rtol * 100) + "%), got " + detail::number(got), hint);
    return false;
}

// The student's answer to experiment "NN.K": the line `NN.K = value` in
// lessons/NN_name/exercises/answers.txt. Throws NotImplemented while the value is `?` or the line
// is missing (so run() reports "not done yet"); fails clearly if the value is not a number.
inline double answer(const std::string& id) {
    const std::string file = detail::lesson_folder(id) + "/exercises/answers.txt";
    std::ifstream in(std::filesystem::path(QKV_SOURCE_DIR) / file);
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
        std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        const auto trim = [](std::string& s) {
            s.erase(0, s.find_first_not_of(" \t\r"));
            s.erase(s.find_last_not_of(" \t\r") + 1);
        };
        trim(key);
        trim(value);
        if (key != id) continue;
        if (value == "?" || value.empty()) break;
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(value, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != value.size())
            throw Error("exercise " + id + ": the answer in " + file + " must be one number, got '" + value + "'");
        return v;
    }
    throw NotImplemented(id, detail::where(id) + "  (then write `" + id + " = <your number>` in " + file + ")");
}

}  // namespace qkv::exercise

namespace qkv::exercise {

// True if f throws a qkv::Error (the bad-input checks: "did the student's function refuse it?").
// An unsolved stub's qkv::NotImplemented is an Error too, but passes through, so that run()
// reports "not done yet" instead of "did not throw". Catch NotImplemented and rethrow it the
// same way wherever a checker catches qkv::Error around the student's code.
template <class F>
bool throws_error(F&& f) {
    try {
        f();
    } catch (const NotImplemented&) {
        throw;
    } catch (const Error&) {
        return true;
    }
    return false;
}

}  // namespace qkv::exercise
