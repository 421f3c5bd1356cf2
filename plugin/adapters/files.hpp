#pragma once
// File I/O for commands: bounded reads with clear errors, and atomic writes (temporary file in
// the same directory, fsync, rename) so no command leaves a half-written file behind.

#include <cstddef>
#include <filesystem>
#include <string>

#include "generators/result.hpp"

namespace neon::cli {

/// Closes a file descriptor when it goes out of scope.
class UniqueFd {
public:
  explicit UniqueFd(int fd = -1) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(-1); }
  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  int release() {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
  }
  void reset(int fd);

private:
  int m_fd;
};

/// Reads a whole file; refuses directories, missing files and files over `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

enum class Overwrite { yes, no };

/// Who may read the file. Anything holding secret material (tokens, private keys) is owner_only:
/// created 0600 from the start, so it is never readable by others, even briefly.
enum class Access { shared, owner_only };

/// Writes `data` to `path` atomically. With Overwrite::no an existing file is never replaced,
/// even by a concurrent writer. The file gets `access`'s mode whatever the old file's was.
Result<void> write_file_atomic(const std::filesystem::path& path, const std::string& data,
                               Overwrite overwrite = Overwrite::yes, Access access = Access::shared);

}  // namespace neon::cli
