// Checkers for lesson 08's exercises (lessons/08_vision_and_local_attention/EXERCISES.md): each
// compares the student's function (qkv::exercises) with the library's on several inputs.
#include <doctest/doctest.h>

#include <cmath>

#include "exercises/exercise_check.hpp"
#include "lessons/08_vision_and_local_attention/exercises/local_vision.hpp"
#include "nn/attention/masks.hpp"
#include "nn/vision/patch_embedding.hpp"

using namespace qkv;

namespace {

// A mask compared as numbers (1 = masked out), so check_close names the first (query, key)
// that differs.
bool check_mask(const std::string& what, const Tensor& expected, const Tensor& got) {
    if (!exercise::check_that(got.dtype() == DType::Bool, what + ": expected a bool mask, got " + dtype_name(got.dtype()),
                              "qkv masks are bool, true = masked out"))
        return false;
    return exercise::check_close(what, expected.to(DType::Float64), got.to(DType::Float64), 0.0, 0.0,
                                 "true (1) where the query may NOT see the key");
}

std::string list(const std::vector<std::int64_t>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "}";
}

}  // namespace

TEST_CASE("exercise 08.1: Patch embedding as a reshape and a permute") {
    exercise::run("08.1", [] {
        Generator gen(81);
        for (const Shape& s : {Shape{1, 1, 4, 4}, Shape{2, 1, 16, 16}, Shape{2, 3, 8, 12}, Shape{1, 2, 6, 2}}) {
            const std::int64_t p = s[3] == 2 ? 2 : 4;
            const Tensor images = randn(s, 0, 1, DType::Float64, gen);
            const Tensor got = exercises::patchify(images, p);
            if (!exercise::check_close("patchify(" + exercise::brief("images", images) + ", p = " + std::to_string(p) + ")",
                                       nn::patchify(Var(images), p).data(), got, 0.0, 0.0,
                                       "patches row by row over the grid; inside a patch: channel, then row, then column"))
                return;
        }
        const Tensor t = randn({1, 2, 8, 8}, 0, 1, DType::Float64, gen).transpose(2, 3);  // not contiguous
        if (!exercise::check_close("patchify of a transposed (non-contiguous) image", nn::patchify(Var(t.contiguous()), 4).data(),
                                   exercises::patchify(t, 4), 0.0, 0.0, "reshape needs contiguous memory: copy once"))
            return;
        exercise::check_that(exercise::throws_error([&] { exercises::patchify(randn({1, 1, 6, 6}, 0, 1, DType::Float64, gen), 4); }),
                             "patchify of a 6x6 image with p = 4 should throw qkv::Error", "4 does not tile 6");
    });
}

TEST_CASE("exercise 08.2: The band mask of local attention") {
    exercise::run("08.2", [] {
        for (std::int64_t T : {1, 2, 5, 9})
            for (std::int64_t w : {0, 1, 2, 10}) {
                const Tensor got = exercises::band_mask(T, w);
                if (!check_mask("band_mask(" + std::to_string(T) + ", " + std::to_string(w) + ")",
                                nn::attention::band_mask(T, w), got))
                    return;
            }
        exercise::check_that(exercise::throws_error([] { exercises::band_mask(0, 1); }), "band_mask(0, 1) should throw",
                             "T must be >= 1");
        exercise::check_that(exercise::throws_error([] { exercises::band_mask(4, -1); }), "band_mask(4, -1) should throw",
                             "w must be >= 0");
    });
}

TEST_CASE("exercise 08.3: The receptive field of stacked band layers") {
    exercise::run("08.3", [] {
        for (std::int64_t L : {0, 1, 2, 3, 6})
            for (std::int64_t w : {0, 1, 2, 5}) {
                const std::int64_t got = exercises::band_reach(L, w);
                const std::string what = "band_reach(layers = " + std::to_string(L) + ", w = " + std::to_string(w) + ")";
                if (!exercise::check_number(what, static_cast<double>(nn::attention::band_reach(L, w)),
                                            static_cast<double>(got), 0.0,
                                            "one layer carries information at most w positions"))
                    return;
                // And it is what the mask allows: position 0 hears key `got`, not `got + 1`.
                if (got + 1 < 40)
                    exercise::check_that(nn::attention::reachable(40, w, {}, L, 0, got) &&
                                             !nn::attention::reachable(40, w, {}, L, 0, got + 1),
                                         what + " disagrees with a walk through band_mask(40, w)");
            }
        exercise::check_that(exercise::throws_error([] { exercises::band_reach(-1, 2); }), "band_reach(-1, 2) should throw");
    });
}

TEST_CASE("exercise 08.4: A band with global tokens") {
    exercise::run("08.4", [] {
        for (const std::vector<std::int64_t>& g :
             std::vector<std::vector<std::int64_t>>{{}, {0}, {0, 7}, {3, 3}, {8}}) {
            const Tensor got = exercises::band_global_mask(9, 1, g);
            if (!check_mask("band_global_mask(9, 1, " + list(g) + ")", nn::attention::band_global_mask(9, 1, g), got)) return;
        }
        exercise::check_that(exercise::throws_error([] { exercises::band_global_mask(9, 1, {9}); }),
                             "band_global_mask(9, 1, {9}) should throw", "positions lie in [0, T)");
        exercise::check_that(exercise::throws_error([] { exercises::band_global_mask(9, 1, {-1}); }),
                             "band_global_mask(9, 1, {-1}) should throw", "positions lie in [0, T)");
    });
}

TEST_CASE("exercise 08.5: The best accuracy a local model can reach") {
    exercise::run("08.5", [] {
        // Lesson 08's task with 3 layers of w = 2: 64 places for the mark, 8 symbols.
        const std::int64_t T = 65, layers = 3, w = 2, symbols = 8;
        std::int64_t heard = 0;
        for (std::int64_t p = 1; p < T; ++p) heard += nn::attention::reachable(T, w, {}, layers, 0, p);
        const double best =
            (static_cast<double>(heard) + static_cast<double>(T - 1 - heard) / static_cast<double>(symbols)) /
            static_cast<double>(T - 1);
        exercise::check_number("08.5: the local model's best accuracy (3 decimals)", best, exercise::answer("08.5"), 0.004,
                               "(positions [CLS] can hear + a 1-in-8 guess at the others) / 64");
    });
}
