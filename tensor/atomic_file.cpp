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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <utility>
#include <vector>

#include "tensor/error.hpp"

namespace qkv {

namespace {

// "target.qkvtmp.XXXXXXXX": 8 base-36 characters (41 bits) mixed from a per-process random token
// and a counter, so two programs, or two writes of one program, get different names. The marker
// says qkv made the file, so the clean-up below never takes a user's "x.tmp.backup". The
// suffix is 16 bytes; when the target's own name is so long that the two together would pass
// the 255-byte limit of a file name, the temporary name keeps only the start of the target's.
constexpr std::size_t max_name_bytes = 255;
constexpr std::string_view temp_marker = ".qkvtmp.";
constexpr std::size_t temp_token_chars = 8;
constexpr auto stale_age = std::chrono::minutes(10);

std::size_t max_target_bytes() { return max_name_bytes - temp_marker.size() - temp_token_chars; }

std::string temp_prefix(const std::filesystem::path& target) {
    std::string name = target.filename().string();
    name.resize(std::min(name.size(), max_target_bytes()));
    return name + std::string(temp_marker);
}

std::string temporary_name(const std::string& path) {
    static const std::uint64_t process_token = [] {
        std::random_device entropy;
        return (std::uint64_t{entropy()} << 32) ^ entropy();
    }();
    static std::atomic<std::uint64_t> counter{0};
    // splitmix64's finaliser spreads the counter over all bits, so consecutive names differ
    // everywhere, not only in the last character.
    std::uint64_t z = process_token + 0x9E3779B97F4A7C15ULL * (counter++ + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    std::string token(temp_token_chars, '0');
    for (auto& c : token) c = "0123456789abcdefghijklmnopqrstuvwxyz"[z % 36], z /= 36;
    const std::filesystem::path target(path);
    return (target.parent_path() / (temp_prefix(target) + token)).string();
}

// A temporary file of `path` left by a writer that was killed before its rename: named like
// ours and not written to for stale_age (a live writer touches its file as it writes).
// Removed after each successful save so that kills do not pile files up; errors are ignored,
// as a leftover is harmless.
void remove_stale_temporaries(const std::string& path) {
    const std::filesystem::path target(path);
    // A cut name is shared by every target that starts the same way: leave those temporaries be.
    if (target.filename().string().size() > max_target_bytes()) return;
    const std::string prefix = temp_prefix(target);
    const std::filesystem::path folder = target.parent_path().empty() ? "." : target.parent_path();
    std::error_code ec;
    const auto now = std::filesystem::file_time_type::clock::now();
    std::vector<std::filesystem::path> stale;
    for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() != prefix.size() + temp_token_chars || name.compare(0, prefix.size(), prefix) != 0) continue;
        if (!std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(),
                         [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); }))
            continue;
        std::error_code time_ec;
        const auto written = std::filesystem::last_write_time(it->path(), time_ec);
        if (!time_ec && now - written > stale_age) stale.push_back(it->path());
    }
    for (const auto& p : stale) std::filesystem::remove(p, ec);
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
    remove_stale_temporaries(path);
}

std::string read_file(const std::string& path, const char* op, std::uint64_t max_bytes) {
    // The kind of file first: opening a named pipe would block until someone writes to it.
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!ec && !std::filesystem::is_regular_file(status) && !std::filesystem::is_directory(status))
        fail(op, "'", path, "' is not a regular file");
    errno = 0;
    FileHandle handle;
    handle.file = std::fopen(path.c_str(), "rb");
    if (!handle.file) fail(op, "cannot open '", path, "': ", std::strerror(errno));
    const std::uintmax_t size = ec ? 0 : std::filesystem::file_size(path, ec);
    auto too_large = [&] { fail(op, "'", path, "' is larger than the limit of ", max_bytes, " bytes for this kind of file"); };
    if (!ec && size > max_bytes) too_large();
    std::string bytes;
    char chunk[1 << 16];
    while (true) {
        const std::size_t n = std::fread(chunk, 1, sizeof chunk, handle.file);
        bytes.append(chunk, n);
        if (bytes.size() > max_bytes) too_large();  // the file grew while we read it
        if (n < sizeof chunk) break;
    }
    // fread stops short at the end of the file or on an error (reading a directory: EISDIR).
    if (std::ferror(handle.file)) fail(op, "cannot read '", path, "': ", std::strerror(errno_or_eio()));
    return bytes;
}

}  // namespace qkv
