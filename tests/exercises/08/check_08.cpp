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

// Masks compared as numbers, so check_close can say which (query, key) differs.
Tensor as_numbers(const Tensor& mask) { return mask.to(DType::Float64); }

void check_mask(const std::string& what, const Tensor& expected, const Tensor& got) {
    INFO(what);
    REQUIRE_MESSAGE(got.dtype() == DType::Bool, what << ": expected a bool mask (true = masked out), got "
                                                      << dtype_name(got.dtype()));
    exercise::check_close(what, as_numbers(expected), as_numbers(got), 0.0, 0.0);
}

}  // namespace

TEST_CASE("exercise 08.1: Patch embedding as a reshape and a permute") {
    exercise::run("08.1", [] {
        Generator gen(81);
        for (const Shape& s : {Shape{1, 1, 4, 4}, Shape{2, 1, 16, 16}, Shape{2, 3, 8, 12}, Shape{1, 2, 6, 2}}) {
            const std::int64_t p = s[3] == 2 ? 2 : 4;
            const Tensor images = randn(s, 0, 1, DType::Float64, gen);
            exercise::check_close("patchify of images " + shape_str(s) + " with p = " + std::to_string(p),
                                  nn::patchify(Var(images), p).data(), exercises::patchify(images, p), 0.0, 0.0);
        }
        // A non-contiguous input (a transposed image) must give the same patches.
        const Tensor t = randn({1, 2, 8, 8}, 0, 1, DType::Float64, gen).transpose(2, 3);
        exercise::check_close("patchify of a transposed (non-contiguous) image", nn::patchify(Var(t.contiguous()), 4).data(),
                              exercises::patchify(t, 4), 0.0, 0.0);
        CHECK_THROWS_AS(exercises::patchify(randn({1, 1, 6, 6}, 0, 1, DType::Float64, gen), 4), Error);
    });
}

TEST_CASE("exercise 08.2: The band mask of local attention") {
    exercise::run("08.2", [] {
        for (std::int64_t T : {1, 2, 5, 9})
            for (std::int64_t w : {0, 1, 2, 10})
                check_mask("band_mask(" + std::to_string(T) + ", " + std::to_string(w) + ")",
                           nn::attention::band_mask(T, w), exercises::band_mask(T, w));
        CHECK_THROWS_AS(exercises::band_mask(0, 1), Error);
        CHECK_THROWS_AS(exercises::band_mask(4, -1), Error);
    });
}

TEST_CASE("exercise 08.3: The receptive field of stacked band layers") {
    exercise::run("08.3", [] {
        for (std::int64_t L : {0, 1, 2, 3, 6})
            for (std::int64_t w : {0, 1, 2, 5}) {
                INFO("layers = " << L << ", w = " << w);
                CHECK(exercises::band_reach(L, w) == nn::attention::band_reach(L, w));
                // And it is what the mask allows: position 0 hears key = reach, not reach + 1.
                const std::int64_t r = exercises::band_reach(L, w);
                if (r + 1 < 40) {
                    CHECK(nn::attention::reachable(40, w, {}, L, 0, r));
                    CHECK_FALSE(nn::attention::reachable(40, w, {}, L, 0, r + 1));
                }
            }
        CHECK_THROWS_AS(exercises::band_reach(-1, 2), Error);
    });
}

TEST_CASE("exercise 08.4: A band with global tokens") {
    exercise::run("08.4", [] {
        const std::vector<std::vector<std::int64_t>> globals = {{}, {0}, {0, 7}, {3, 3}, {8}};
        for (const auto& g : globals) {
            std::string name = "band_global_mask(9, 1, {";
            for (std::size_t i = 0; i < g.size(); ++i) name += (i ? ", " : "") + std::to_string(g[i]);
            check_mask(name + "})", nn::attention::band_global_mask(9, 1, g), exercises::band_global_mask(9, 1, g));
        }
        CHECK_THROWS_AS(exercises::band_global_mask(9, 1, {9}), Error);
        CHECK_THROWS_AS(exercises::band_global_mask(9, 1, {-1}), Error);
    });
}

TEST_CASE("exercise 08.5: The best accuracy a local model can reach") {
    exercise::run("08.5", [] {
        // Lesson 08's task with 3 layers of w = 2: 64 places for the mark, 8 symbols.
        const std::int64_t T = 65, layers = 3, w = 2, symbols = 8;
        std::int64_t heard = 0;
        for (std::int64_t p = 1; p < T; ++p) heard += nn::attention::reachable(T, w, {}, layers, 0, p);
        const double best = (static_cast<double>(heard) + static_cast<double>(T - 1 - heard) / symbols) / (T - 1);
        const double got = exercise::answer("08.5");
        INFO("08.5: the answer has 3 decimals; the ceiling is (positions [CLS] hears + a 1-in-8 guess elsewhere) / 64");
        CHECK(std::abs(got - best) < 0.0015);
    });
}
