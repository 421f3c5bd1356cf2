#pragma once
// One writer per repository: `.git/kubectl-neon.lock`, created with O_EXCL and holding the pid of
// the holder. A lock whose process is gone (killed mid-run) is stale and taken over.

#include <filesystem>
#include <string>

#include "generators/result.hpp"

namespace neon::cli {

class RepoLock {
public:
  /// Takes the lock in `git_dir`, or explains who holds it.
  static Result<RepoLock> acquire(const std::filesystem::path& git_dir);

  RepoLock(RepoLock&& other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
  RepoLock& operator=(RepoLock&&) = delete;
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;
  ~RepoLock();

  const std::filesystem::path& path() const { return m_path; }

private:
  explicit RepoLock(std::filesystem::path path) : m_path(std::move(path)) {}
  std::filesystem::path m_path;
};

inline constexpr const char* k_lock_file = "kubectl-neon.lock";

}  // namespace neon::cli
