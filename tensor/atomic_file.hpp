// Writing a file so that a crash never leaves half of it where a good one was: the bytes go to
// a temporary file in the same directory, which is flushed and then renamed over the target
// (rename within one filesystem is atomic on POSIX).
#pragma once

#include <string>
#include <string_view>

namespace qkv {

void write_file_atomically(const std::string& path, std::string_view bytes);
// Reads a whole file; throws "op: cannot open 'path': reason" when it cannot.
std::string read_file(const std::string& path, const char* op);

}  // namespace qkv
