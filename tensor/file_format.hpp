// What the .npy and safetensors readers and writers share (internal to tensor/): the byte-order
// check, the error for a bad file, which names the op, the file and what is wrong with it:
//     load_npy: 'weights.npy': truncated header: ...
// and the tensor's bytes as both formats store them.
#pragma once

#include <bit>
#include <string>
#include <utility>

#include "tensor/core.hpp"
#include "tensor/error.hpp"

namespace qkv {

struct FileFormat {
    const char* name;    // in messages: ".npy", "safetensors"
    const char* reader;  // the op a bad file's error names: "load_npy"

    // Both formats store little-endian numbers, and the readers copy bytes straight into
    // tensors: the bytes in memory are the bytes in the file only on a little-endian machine.
    void check_little_endian([[maybe_unused]] const char* op) const {
        if constexpr (std::endian::native != std::endian::little)
            fail(op, "this machine is big-endian; ", name, " files are read and written only on little-endian machines");
    }

    // Throws "<reader>: '<path>': <parts...>".
    template <class... Parts> [[noreturn]] void bad_file(const std::string& path, Parts&&... parts) const {
        fail(reader, "'", path, "': ", std::forward<Parts>(parts)...);
    }
};

// Appends t's elements in C order, as both formats store them; a non-contiguous view is copied
// to row-major first.
inline void append_elements(std::string& out, const Tensor& t) {
    const Tensor c = t.contiguous();
    const std::size_t itemsize = dtype_size(c.dtype());
    const std::size_t n = static_cast<std::size_t>(c.numel()) * itemsize;
    if (n == 0) return;
    const auto* first = reinterpret_cast<const char*>(c.storage()->bytes()) + static_cast<std::size_t>(c.offset()) * itemsize;
    out.append(first, n);
}

}  // namespace qkv
