// Writing a file so that a crash never leaves half of it where a good one was: the bytes go to
// a temporary file in the same directory, which is flushed and then renamed over the target
// (rename within one filesystem is atomic on POSIX).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qkv {

// On failure throws "write_file_atomically: ... 'path': <OS reason>", removes the temporary file
// and leaves the target as it was. The temporary is "path.qkvtmp.XXXXXXXX" (16 bytes more, the
// target's name shortened in it when needed to fit 255 bytes); after a successful rename, such
// temporaries of the same target that nobody has written for 10 minutes (left by a killed
// writer) are removed. There is no fsync (the standard library has none): a crash of
// the program is covered, a power cut right after the rename may not be (see atomic_file.cpp).
void write_file_atomically(const std::string& path, std::string_view bytes);
// Reads a whole file of at most max_bytes; throws "op: cannot open 'path': reason" when it
// cannot, "op: 'path' is not a regular file" for a device, pipe or folder (/dev/zero never ends),
// and "op: 'path' is larger than the limit of N bytes" before reading more than the limit.
// The limit load_npy and load_safetensors pass: far above any model an educational framework
// loads (BERT-large is 1.3 GB), small enough that a mistaken path fails instead of filling memory.
inline constexpr std::uint64_t max_tensor_file_bytes = std::uint64_t{16} << 30;  // 16 GiB
std::string read_file(const std::string& path, const char* op, std::uint64_t max_bytes);

}  // namespace qkv
