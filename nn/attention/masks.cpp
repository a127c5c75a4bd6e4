#include "nn/attention/masks.hpp"

#include <algorithm>

namespace qkv::nn::attention {

namespace {

void check_band(const char* op, std::int64_t T, std::int64_t w) {
    if (T < 1) fail(op, "T must be >= 1, got ", T);
    if (w < 0) fail(op, "the half-width w must be >= 0, got ", w);
}

}  // namespace

Tensor band_mask(std::int64_t T, std::int64_t w) {
    check_band("band_mask", T, w);
    Tensor mask = empty({T, T}, DType::Bool);  // (T, T)
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t j = 0; j < T; ++j) m[i * T + j] = (i - j > w || j - i > w) ? 1 : 0;
    return mask;
}

Tensor band_global_mask(std::int64_t T, std::int64_t w, const std::vector<std::int64_t>& global_positions) {
    check_band("band_global_mask", T, w);
    Tensor mask = band_mask(T, w);  // (T, T)
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (const std::int64_t g : global_positions) {
        if (g < 0 || g >= T) fail("band_global_mask", "global position ", g, " lies outside [0, ", T, ")");
        for (std::int64_t j = 0; j < T; ++j) m[g * T + j] = 0;  // the global token sees every key
        for (std::int64_t i = 0; i < T; ++i) m[i * T + g] = 0;  // every query sees it
    }
    return mask;
}

std::int64_t open_scores(const Tensor& mask) {
    if (mask.dtype() != DType::Bool || mask.dim() != 2)
        fail("open_scores", "expected a (T, T) bool mask, got ", shape_str(mask.shape()), " ", dtype_name(mask.dtype()));
    std::int64_t open = 0;
    for (const std::uint8_t v : mask.to_vector<std::uint8_t>()) open += v ? 0 : 1;
    return open;
}

std::int64_t band_scores(std::int64_t T, std::int64_t w) {
    check_band("band_scores", T, w);
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < T; ++i) n += std::min(i + w, T - 1) - std::max<std::int64_t>(i - w, 0) + 1;
    return n;
}

std::int64_t band_reach(std::int64_t layers, std::int64_t w) {
    if (layers < 0) fail("band_reach", "layers must be >= 0, got ", layers);
    if (w < 0) fail("band_reach", "the half-width w must be >= 0, got ", w);
    return layers * w;
}

bool reachable(std::int64_t T, std::int64_t w, const std::vector<std::int64_t>& global_positions,
               std::int64_t layers, std::int64_t query, std::int64_t key) {
    if (layers < 0) fail("reachable", "layers must be >= 0, got ", layers);
    if (query < 0 || query >= T || key < 0 || key >= T)
        fail("reachable", "query ", query, " and key ", key, " must lie in [0, ", T, ")");
    const std::vector<std::uint8_t> m = band_global_mask(T, w, global_positions).to_vector<std::uint8_t>();
    // heard[j]: has the information that started at `key` reached position j yet? One layer
    // lets query i read every open key j, so it spreads along the mask's open cells.
    std::vector<std::uint8_t> heard(static_cast<std::size_t>(T), 0);
    heard[static_cast<std::size_t>(key)] = 1;
    for (std::int64_t l = 0; l < layers; ++l) {
        std::vector<std::uint8_t> next = heard;
        for (std::int64_t i = 0; i < T; ++i)
            for (std::int64_t j = 0; j < T && !next[static_cast<std::size_t>(i)]; ++j)
                if (heard[static_cast<std::size_t>(j)] && !m[static_cast<std::size_t>(i * T + j)])
                    next[static_cast<std::size_t>(i)] = 1;
        heard = std::move(next);
    }
    return heard[static_cast<std::size_t>(query)] != 0;
}

}  // namespace qkv::nn::attention
