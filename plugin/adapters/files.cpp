#include "plugin/adapters/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace neon::cli {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int e) { return std::strerror(e); }

using Fd = UniqueFd;

}  // namespace

void UniqueFd::reset(int fd) {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
  m_fd = fd;
}

Result<std::string> read_file(const fs::path& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int e = errno;
    if (e == ENOENT) {
      return Error{fmt::format("{}: no such file", path.string())};
    }
    return Error{fmt::format("{}: {}", path.string(), errno_text(e))};
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Error{fmt::format("{}: {}", path.string(), errno_text(errno))};
  }
  if (S_ISDIR(st.st_mode)) {
    return Error{fmt::format("{}: is a directory, expected a file", path.string())};
  }
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_bytes) {
    return Error{fmt::format("{}: file is larger than {} MiB", path.string(), max_bytes >> 20)};
  }
  std::string data;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Error{fmt::format("{}: {}", path.string(), errno_text(errno))};
    }
    if (n == 0) {
      break;
    }
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() > max_bytes) {
      return Error{fmt::format("{}: file is larger than {} MiB", path.string(), max_bytes >> 20)};
    }
  }
  return data;
}

Result<void> write_file_atomic(const fs::path& path, const std::string& data, Overwrite overwrite, Access access) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::random_device rd;
  const fs::path tmp = dir / fmt::format(".{}.tmp-{:08x}", path.filename().string(), rd());
  {
    const mode_t mode = access == Access::owner_only ? 0600 : 0644;
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!fd) {
      return Error{fmt::format("{}: {}", path.string(), errno_text(errno))};
    }
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        const int e = errno;
        ::unlink(tmp.c_str());
        return Error{fmt::format("{}: {}", path.string(), errno_text(e))};
      }
      off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      return Error{fmt::format("{}: {}", path.string(), errno_text(e))};
    }
  }
  if (overwrite == Overwrite::no) {
    // link() fails if the target exists, so a concurrent writer can never be clobbered.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      if (e == EEXIST) {
        return Error{fmt::format("{}: already exists; not overwriting it", path.string())};
      }
      return Error{fmt::format("{}: {}", path.string(), errno_text(e))};
    }
    ::unlink(tmp.c_str());
    return {};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Error{fmt::format("{}: {}", path.string(), errno_text(e))};
  }
  return {};
}

}  // namespace neon::cli
