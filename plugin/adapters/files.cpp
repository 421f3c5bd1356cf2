#include "plugin/adapters/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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
      return make_error(fmt::format("{}: no such file", path.string()), ErrorKind::not_found);
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

Result<UniqueFd> open_dir(const fs::path& dir, bool create) {
  if (create) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return make_error(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    }
  }
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd && !(errno == ENOENT && !create)) {
    return make_error(fmt::format("cannot open {}: {}", dir.string(), errno_text(errno)),
                      errno == ENOENT ? ErrorKind::not_found : ErrorKind::failed);
  }
  return Result<UniqueFd>(std::move(fd));
}

Result<UniqueFd> open_below(int root, const std::string& rel_dir, bool create) {
  Fd cur(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  std::string walked;
  for (const auto& part : fs::path(rel_dir)) {
    const std::string name = part.string();
    if (name.empty() || name == ".") {
      continue;
    }
    walked += walked.empty() ? name : "/" + name;
    if (name == "..") {
      return make_error(fmt::format("refusing to write under {}: it leads out of its folder", walked),
                        ErrorKind::invalid);
    }
    int fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(cur.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return make_error(fmt::format("cannot create {}: {}", walked, errno_text(errno)));
      }
      fd = ::openat(cur.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      const int e = errno;
      if (e == ENOENT) {
        return Result<UniqueFd>(Fd(-1));
      }
      struct stat st {};
      if ((e == ELOOP || e == ENOTDIR) && ::fstatat(cur.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
          S_ISLNK(st.st_mode)) {
        return make_error(fmt::format("refusing to write under {}: it is a symbolic link, and kubectl-neon does not "
                                      "follow links inside the repository (they could lead out of it); replace it "
                                      "with a real folder",
                                      walked),
                          ErrorKind::invalid);
      }
      if (e == ENOTDIR) {
        return make_error(fmt::format("refusing to write under {}: it is not a folder", walked), ErrorKind::invalid);
      }
      return make_error(fmt::format("cannot open {}: {}", walked, errno_text(e)));
    }
    cur = Fd(fd);
  }
  return Result<UniqueFd>(std::move(cur));
}

Result<std::optional<std::string>> read_at(int dir, const std::string& name, const std::string& shown,
                                           std::size_t max_bytes) {
  Fd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return std::optional<std::string>();
    }
    if (errno == ELOOP) {
      return make_error(fmt::format("refusing to replace {}: it is a symbolic link", shown), ErrorKind::invalid);
    }
    return make_error(fmt::format("refusing to replace {}: {}", shown, errno_text(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return make_error(fmt::format("refusing to replace {}: not a regular file", shown), ErrorKind::invalid);
  }
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return std::optional<std::string>(std::string());  // differs from anything we write
  }
  std::string data(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  data.resize(done);
  return std::optional<std::string>(std::move(data));
}

Result<void> write_new_at(int dir, const std::string& name, const std::string& data, Access access,
                          const std::string& shown) {
  const mode_t mode = access == Access::owner_only ? 0600 : 0644;
  Fd fd(::openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) {
    return make_error(fmt::format("cannot create {}: {}", shown, errno_text(errno)),
                      errno == EEXIST ? ErrorKind::exists : ErrorKind::failed);
  }
  auto fail = [&](const char* what) {
    const int e = errno;
    ::unlinkat(dir, name.c_str(), 0);
    return make_error(fmt::format("cannot {} {}: {}", what, shown, errno_text(e)));
  };
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    return fail("sync");
  }
  if (::close(fd.release()) != 0) {
    return fail("close");
  }
  return {};
}

Result<void> sync_dir(int dir, const std::string& shown) {
  if (::fsync(dir) != 0) {
    return make_error(fmt::format("cannot sync the folder of {}: {}", shown, errno_text(errno)));
  }
  return {};
}

Result<void> publish_at(int dir, const std::string& from, const std::string& to, Overwrite overwrite,
                        const std::string& shown) {
  if (overwrite == Overwrite::no) {
    // linkat() fails if the target exists, so a concurrent writer can never be clobbered.
    const int rc = ::linkat(dir, from.c_str(), dir, to.c_str(), 0);
    const int e = errno;
    ::unlinkat(dir, from.c_str(), 0);
    if (rc != 0) {
      if (e == EEXIST) {
        return make_error(fmt::format("{}: already exists; not overwriting it", shown), ErrorKind::exists);
      }
      return make_error(fmt::format("cannot create {}: {}", shown, errno_text(e)));
    }
  } else if (::renameat(dir, from.c_str(), dir, to.c_str()) != 0) {
    const int e = errno;
    ::unlinkat(dir, from.c_str(), 0);
    return make_error(fmt::format("cannot rename into {}: {}", shown, errno_text(e)));
  }
  return sync_dir(dir, shown);
}

Result<void> write_atomic_at(int dir, const std::string& name, const std::string& data, Overwrite overwrite,
                             Access access, const std::string& shown) {
  std::random_device rd;
  const std::string tmp = fmt::format(".{}.tmp-{:08x}", name, rd());
  NEON_TRY(write_new_at(dir, tmp, data, access, shown));
  return publish_at(dir, tmp, name, overwrite, shown);
}

Result<void> remove_at(int dir, const std::string& name, const std::string& shown) {
  if (::unlinkat(dir, name.c_str(), 0) != 0 && errno != ENOENT) {
    return make_error(fmt::format("cannot remove {}: {}", shown, errno_text(errno)));
  }
  return {};
}

Result<std::string> make_temp_dir(const fs::path& dir, const std::string& prefix) {
  std::string path = (dir / (prefix + "XXXXXX")).string();
  if (::mkdtemp(path.data()) == nullptr) {
    return make_error(fmt::format("cannot create a folder in {}: {}", dir.string(), errno_text(errno)));
  }
  return fs::path(path).filename().string();
}

Result<void> publish_dir_at(int dir, const std::string& from, const std::string& to, const std::string& shown) {
  if (::renameat(dir, from.c_str(), dir, to.c_str()) != 0) {
    const int e = errno;
    if (e == ENOTEMPTY || e == EEXIST || e == ENOTDIR) {
      return make_error(fmt::format("{}: already exists; not overwriting it", shown), ErrorKind::exists);
    }
    return make_error(fmt::format("cannot rename into {}: {}", shown, errno_text(e)));
  }
  return sync_dir(dir, shown);
}

Result<void> write_file_atomic(const fs::path& path, const std::string& data, Overwrite overwrite, Access access) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  auto fd = open_dir(dir, false);
  NEON_TRY(fd);
  if (!*fd) {
    return make_error(fmt::format("{}: no such folder", dir.string()), ErrorKind::not_found);
  }
  return write_atomic_at(fd->get(), path.filename().string(), data, overwrite, access, path.string());
}

}  // namespace neon::cli
