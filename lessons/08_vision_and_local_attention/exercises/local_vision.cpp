#include "lessons/08_vision_and_local_attention/exercises/local_vision.hpp"

#include <cstdlib>

#include "lessons/common/exercise.hpp"  // qkv::NotImplemented, for the student edition's stubs

namespace qkv::exercises {

Tensor patchify(const Tensor& images, std::int64_t patch) {
    // SOLUTION BEGIN 08.1
    if (images.dim() != 4 || patch < 1 || images.size(2) % patch != 0 || images.size(3) % patch != 0)
        fail("patchify", "expected images (B, C, H, W) that p = ", patch, " tiles, got ", shape_str(images.shape()));
    const std::int64_t B = images.size(0), C = images.size(1), gh = images.size(2) / patch, gw = images.size(3) / patch;
    return images.reshape({B, C, gh, patch, gw, patch})  // (B, C, H/p, p, W/p, p)
        .permute({0, 2, 4, 1, 3, 5})                     // (B, H/p, W/p, C, p, p)
        .contiguous()
        .reshape({B, gh * gw, C * patch * patch});      // (B, N, C p p)
    // SOLUTION END 08.1
}

Tensor band_mask(std::int64_t T, std::int64_t w) {
    // SOLUTION BEGIN 08.2
    if (T < 1 || w < 0) fail("band_mask", "need T >= 1 and w >= 0, got T = ", T, ", w = ", w);
    Tensor mask = empty({T, T}, DType::Bool);
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (std::int64_t i = 0; i < T; ++i)
        for (std::int64_t j = 0; j < T; ++j) m[i * T + j] = std::llabs(i - j) > w ? 1 : 0;
    return mask;
    // SOLUTION END 08.2
}

std::int64_t band_reach(std::int64_t layers, std::int64_t w) {
    // SOLUTION BEGIN 08.3
    if (layers < 0 || w < 0) fail("band_reach", "need layers >= 0 and w >= 0, got ", layers, " and ", w);
    return layers * w;  // each layer carries information at most w positions further
    // SOLUTION END 08.3
}

Tensor band_global_mask(std::int64_t T, std::int64_t w, const std::vector<std::int64_t>& global_positions) {
    // SOLUTION BEGIN 08.4
    Tensor mask = band_mask(T, w);
    std::uint8_t* m = mask.data<std::uint8_t>();
    for (const std::int64_t g : global_positions) {
        if (g < 0 || g >= T) fail("band_global_mask", "global position ", g, " lies outside [0, ", T, ")");
        for (std::int64_t k = 0; k < T; ++k) m[g * T + k] = 0, m[k * T + g] = 0;
    }
    return mask;
    // SOLUTION END 08.4
}

}  // namespace qkv::exercises
