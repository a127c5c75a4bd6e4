// Writing a file so that a crash never leaves half of it where a good one was: the bytes go to
// a temporary file in the same directory, which is flushed and then renamed over the target
// (rename within one filesystem is atomic on POSIX).
#pragma once

#include <string>
#include <string_view>

namespace qkv {

// On failure throws "write_file_atomically: ... 'path': <OS reason>", removes the temporary file
// and leaves the target as it was. There is no fsync (the standard library has none): a crash of
// the program is covered, a power cut right after the rename may not be (see atomic_file.cpp).
void write_file_atomically(const std::string& path, std::string_view bytes);
// Reads a whole file; throws "op: cannot open 'path': reason" when it cannot.
std::string read_file(const std::string& path, const char* op);

}  // namespace qkv
