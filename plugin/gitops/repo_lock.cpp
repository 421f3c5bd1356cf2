#include "plugin/gitops/repo_lock.hpp"

#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

namespace neon::cli {

namespace {

std::optional<long> read_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) {
    return std::nullopt;
  }
  char* end = nullptr;
  const long pid = std::strtol(buf, &end, 10);
  return pid > 0 && end != buf ? std::optional<long>(pid) : std::nullopt;
}

}  // namespace

Result<RepoLock> RepoLock::acquire(const std::filesystem::path& git_dir) {
  const auto path = git_dir / k_lock_file;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int e = errno;
    const auto pid = read_pid(fd);
    ::close(fd);
    if (e != EWOULDBLOCK) {
      return make_error(fmt::format("cannot lock {}: {}", path.string(), std::strerror(e)));
    }
    return make_error(fmt::format("another kubectl-neon{} is writing this repository (lock {}); wait for it",
                                  pid ? fmt::format(" (pid {})", *pid) : std::string(), path.string()));
  }
  // The pid is only for that message: the lock is the flock, held until the descriptor closes.
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int e = errno;
    ::close(fd);
    return make_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(e)));
  }
  return RepoLock(path, fd);
}

RepoLock::~RepoLock() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

}  // namespace neon::cli
