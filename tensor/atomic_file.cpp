// Whole-file reads and crash-safe whole-file writes, with the C stdio functions so that every
// failure comes with errno (std::strerror gives the OS's reason: "No such file or directory").
//
// Why a temporary file and a rename: writing the target in place would leave a truncated file
// if the program died halfway, and the old contents would already be gone. std::rename within
// one directory (so one filesystem) replaces the target in one step on POSIX: a reader sees the
// old file or the new one, never a mix.
//
// No fsync: the standard library has no way to ask for one. After fclose the bytes are in the
// kernel, so a crash of this process cannot lose them; a power cut before the kernel writes
// them out can, on some filesystems, leave the renamed file empty. Checkpoints that must
// survive power loss need POSIX fsync on the file (and on the directory) before the rename.
#include "tensor/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>

#include "tensor/error.hpp"

namespace qkv {

namespace {

// "target.tmp.<random>.<counter>": the random part (drawn once per process) keeps two programs
// writing the same target apart; the counter keeps two writes of this program apart.
std::string temporary_name(const std::string& path) {
    static const std::uint64_t process_token = [] {
        std::random_device entropy;
        return (std::uint64_t{entropy()} << 32) ^ entropy();
    }();
    static std::atomic<std::uint64_t> counter{0};
    char token[17];
    std::snprintf(token, sizeof token, "%016llx", static_cast<unsigned long long>(process_token));
    return cat(path, ".tmp.", token, '.', counter++);
}

// Owns an open FILE*, closing it (and ignoring errors) if nobody did on the success path.
struct FileHandle {
    std::FILE* file = nullptr;
    int close() {  // fclose's result: 0, or EOF with errno set
        std::FILE* f = std::exchange(file, nullptr);
        return f ? std::fclose(f) : 0;
    }
    ~FileHandle() { close(); }
};

int errno_or_eio() { return errno ? errno : EIO; }

// Writes everything and closes the file; returns 0, or the errno of the first failure.
int write_and_close(FileHandle& handle, std::string_view bytes) {
    errno = 0;
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), handle.file) != bytes.size()) return errno_or_eio();
    if (std::fflush(handle.file) != 0) return errno_or_eio();
    // fclose can report a failure (a full disk, a network filesystem) that fwrite did not.
    if (handle.close() != 0) return errno_or_eio();
    return 0;
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
    const std::string temp = temporary_name(path);
    FileHandle handle;
    errno = 0;
    // "x": fail rather than overwrite if a file of that name exists, so the only file we ever
    // remove is one we created.
    handle.file = std::fopen(temp.c_str(), "wbx");
    if (!handle.file)
        fail("write_file_atomically", "cannot create the temporary file '", temp, "' for '", path,
             "': ", std::strerror(errno));

    // From here on a failure removes the temporary file; the target is never touched.
    auto give_up = [&](const char* what, int error) {
        handle.close();
        std::remove(temp.c_str());
        fail("write_file_atomically", what, " '", path, "': ", std::strerror(error));
    };
    if (const int error = write_and_close(handle, bytes)) give_up("cannot write the temporary file for", error);
    errno = 0;
    if (std::rename(temp.c_str(), path.c_str()) != 0) give_up("cannot rename the temporary file over", errno_or_eio());
}

std::string read_file(const std::string& path, const char* op) {
    errno = 0;
    FileHandle handle;
    handle.file = std::fopen(path.c_str(), "rb");
    if (!handle.file) fail(op, "cannot open '", path, "': ", std::strerror(errno));
    std::string bytes;
    char chunk[1 << 16];
    while (true) {
        const std::size_t n = std::fread(chunk, 1, sizeof chunk, handle.file);
        bytes.append(chunk, n);
        if (n < sizeof chunk) break;
    }
    // fread stops short at the end of the file or on an error (reading a directory: EISDIR).
    if (std::ferror(handle.file)) fail(op, "cannot read '", path, "': ", std::strerror(errno_or_eio()));
    return bytes;
}

}  // namespace qkv
