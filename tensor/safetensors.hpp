// safetensors files: an 8-byte little-endian header length N, N bytes of JSON mapping each name
// to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the byte after the
// header, C order, little-endian), an optional "__metadata__" map of strings, then the data.
// Supported dtypes: F32, F64, I64, BOOL.
//
// Reading validates everything against the file before touching data: the header length,
// the JSON, every dtype and shape, that end - begin == numel * itemsize, that ranges stay
// inside the file and do not overlap. A truncated or lying file throws; it is never read out
// of bounds.
#pragma once

#include <map>
#include <string>

#include "tensor/core.hpp"

namespace qkv {

using TensorMap = std::map<std::string, Tensor>;  // sorted by name, as files list them

struct SafetensorsFile {
    TensorMap tensors;
    std::map<std::string, std::string> metadata;
};

SafetensorsFile load_safetensors(const std::string& path);
// Writes atomically (temporary file renamed into place); names must be non-empty and not
// "__metadata__". The data follows the names' order, each tensor in C order right after the one
// before; the JSON header is padded with spaces to a multiple of 8 bytes, so the data starts
// 8-byte aligned.
void save_safetensors(const std::string& path, const TensorMap& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace qkv
