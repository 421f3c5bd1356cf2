#include "plugin/repo_lock.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <fmt/format.h>

namespace neon::cli {

namespace {

// A lock file without a pid is being written by its creator; only after this long is it abandoned.
constexpr auto k_unreadable_grace = std::chrono::seconds(10);

std::optional<long> read_pid(const std::filesystem::path& path) {
  std::ifstream in(path);
  long pid = 0;
  if (in >> pid && pid > 0) {
    return pid;
  }
  return std::nullopt;
}

bool process_alive(long pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

/// Whether an existing lock may be removed: its process is gone, or it never got a pid.
bool is_stale(const std::filesystem::path& path) {
  if (auto pid = read_pid(path)) {
    return !process_alive(*pid);
  }
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(path, ec);
  if (ec) {
    return false;
  }
  return std::filesystem::file_time_type::clock::now() - mtime > k_unreadable_grace;
}

}  // namespace

Result<RepoLock> RepoLock::acquire(const std::filesystem::path& git_dir) {
  const auto path = git_dir / k_lock_file;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      const std::string pid = fmt::format("{}\n", ::getpid());
      const bool ok = ::write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
      ::close(fd);
      if (!ok) {
        std::error_code ec;
        std::filesystem::remove(path, ec);
        return make_error(fmt::format("cannot write {}", path.string()));
      }
      return RepoLock(path);
    }
    if (errno != EEXIST) {
      return make_error(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
    }
    if (attempt == 0 && is_stale(path)) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      continue;
    }
    break;
  }
  const auto pid = read_pid(path);
  return make_error(fmt::format("another kubectl-neon{} is writing this repository (lock {}); wait for it, or "
                                "remove the lock if no such process runs",
                                pid ? fmt::format(" (pid {})", *pid) : std::string(), path.string()));
}

RepoLock::~RepoLock() {
  if (!m_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(m_path, ec);
  }
}

}  // namespace neon::cli
