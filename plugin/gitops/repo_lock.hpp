#pragma once
// One writer per repository: an exclusive flock(2) on `.git/kubectl-neon.lock`, which also holds
// the pid of the holder for the message the next writer sees. The kernel drops the lock when its
// process ends however it ends, so a killed run never leaves a stale lock; the file itself stays
// (removing it would let two processes lock two different files).

#include <filesystem>
#include <string>

#include "generators/result.hpp"

namespace neon::cli {

class RepoLock {
public:
  /// Takes the lock in `git_dir` without waiting, or explains who holds it.
  static Result<RepoLock> acquire(const std::filesystem::path& git_dir);

  RepoLock(RepoLock&& other) noexcept : m_path(std::move(other.m_path)), m_fd(other.m_fd) { other.m_fd = -1; }
  RepoLock& operator=(RepoLock&&) = delete;
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;
  ~RepoLock();

  const std::filesystem::path& path() const { return m_path; }

private:
  RepoLock(std::filesystem::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}
  std::filesystem::path m_path;
  int m_fd = -1;
};

inline constexpr const char* k_lock_file = "kubectl-neon.lock";

}  // namespace neon::cli
