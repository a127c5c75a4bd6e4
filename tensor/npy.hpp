// NumPy .npy files (format versions 1.0, 2.0 and 3.0 read; 1.0 written, or 2.0 when the header
// needs it). Supported: float32 ('<f4'), float64 ('<f8'), int64 ('<i8'), bool ('|b1'), C order.
// Fortran order, big-endian data and other dtypes are rejected with an error saying which.
#pragma once

#include <string>

#include "tensor/core.hpp"

namespace qkv {

Tensor load_npy(const std::string& path);
// Writes atomically (temporary file renamed into place).
void save_npy(const std::string& path, const Tensor& t);

}  // namespace qkv
