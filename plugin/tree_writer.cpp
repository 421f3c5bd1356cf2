#include "plugin/tree_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "plugin/files.hpp"

namespace neon::cli {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_existing_bytes = 16 * 1024 * 1024;
constexpr const char* k_staging_suffix = ".kubectl-neon-staged";

std::string errno_text() { return std::strerror(errno); }

/// Rejects absolute paths, `..` and paths outside the cluster folder.
Result<void> check_path(const std::string& rel, const std::string& cluster_path) {
  const fs::path p(rel);
  if (rel.empty() || p.is_absolute()) {
    return make_error(fmt::format("refusing to write \"{}\": not a relative path", rel));
  }
  for (const auto& part : p) {
    if (part == "..") {
      return make_error(fmt::format("refusing to write \"{}\": it leaves the repository", rel));
    }
  }
  if (rel.compare(0, cluster_path.size() + 1, cluster_path + "/") != 0) {
    return make_error(fmt::format("refusing to write \"{}\": outside the cluster folder {}", rel, cluster_path));
  }
  return {};
}

Result<void> write_synced(const fs::path& path, const std::string& data) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(fmt::format("cannot create {}: {}", path.string(), errno_text()));
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const std::string why = errno_text();
      ::close(fd);
      return make_error(fmt::format("cannot write {}: {}", path.string(), why));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    return make_error(fmt::format("cannot sync {}: {}", path.string(), why));
  }
  if (::close(fd) != 0) {
    return make_error(fmt::format("cannot close {}: {}", path.string(), errno_text()));
  }
  return {};
}

/// Generated files under the cluster folder that the new tree no longer has.
Result<std::vector<std::string>> stale_files(const gen::FileTree& tree, const fs::path& repo_root,
                                             const std::string& cluster_path) {
  std::vector<std::string> out;
  const fs::path dir = repo_root / cluster_path;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return out;
  }
  fs::recursive_directory_iterator it(dir, ec);
  if (ec) {
    return make_error(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return make_error(fmt::format("cannot list {}: {}", dir.string(), ec.message()));
    }
    if (it->is_directory() && it->path().filename() == ".git") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || !it->is_regular_file()) {
      continue;
    }
    const std::string rel = it->path().lexically_relative(repo_root).generic_string();
    if (tree.count(rel) > 0) {
      continue;
    }
    auto text = read_file(it->path(), k_max_existing_bytes);
    if (text && gen::is_generated(*text)) {
      out.push_back(rel);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Removes folders under the cluster folder that deleting files left empty.
void prune_empty_dirs(const fs::path& repo_root, const std::string& cluster_path,
                      const std::vector<std::string>& removed) {
  const fs::path top = repo_root / cluster_path;
  for (const auto& rel : removed) {
    fs::path dir = (repo_root / rel).parent_path();
    std::error_code ec;
    while (dir != top && dir.string().size() > top.string().size() && fs::is_empty(dir, ec) && !ec) {
      fs::remove(dir, ec);
      dir = dir.parent_path();
    }
  }
}

}  // namespace

TreeScope tree_scope(const gen::ValidSpec& spec) { return TreeScope{gen::cluster_path(spec), gen::user_owned_paths(spec)}; }

Result<WriteReport> write_tree(const gen::FileTree& tree, const fs::path& repo_root, const TreeScope& scope,
                               WriteMode mode) {
  const std::set<std::string> user_owned(scope.user_owned.begin(), scope.user_owned.end());
  WriteReport report;
  std::vector<std::pair<std::string, const std::string*>> to_write;
  for (const auto& [rel, data] : tree) {
    NEON_TRY(check_path(rel, scope.cluster_path));
    const fs::path target = repo_root / rel;
    std::error_code ec;
    const bool exists = fs::exists(fs::symlink_status(target, ec));
    if (exists && user_owned.count(rel) > 0) {
      report.unchanged.push_back(rel);
      continue;
    }
    if (exists) {
      if (!fs::is_regular_file(fs::symlink_status(target, ec))) {
        return make_error(fmt::format("refusing to replace {}: not a regular file", target.string()));
      }
      auto old = read_file(target, k_max_existing_bytes);
      if (old && *old == data) {
        report.unchanged.push_back(rel);
        continue;
      }
    }
    report.written.push_back(rel);
    to_write.emplace_back(rel, &data);
  }
  auto stale = stale_files(tree, repo_root, scope.cluster_path);
  if (!stale) {
    return stale.error();
  }
  report.removed = *stale;
  if (mode == WriteMode::dry_run) {
    return report;
  }

  // Stage everything; only then rename, so an error leaves the old tree as it was.
  std::vector<fs::path> staged;
  auto discard = [&staged] {
    for (const auto& p : staged) {
      ::unlink(p.c_str());
    }
  };
  for (const auto& [rel, data] : to_write) {
    const fs::path target = repo_root / rel;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      discard();
      return make_error(fmt::format("cannot create {}: {}", target.parent_path().string(), ec.message()));
    }
    fs::path tmp = target;
    tmp += k_staging_suffix;
    auto w = write_synced(tmp, *data);
    if (!w) {
      ::unlink(tmp.c_str());
      discard();
      return w.error();
    }
    staged.push_back(tmp);
  }
  for (std::size_t i = 0; i < to_write.size(); ++i) {
    const fs::path target = repo_root / to_write[i].first;
    if (::rename(staged[i].c_str(), target.c_str()) != 0) {
      const std::string why = errno_text();
      for (std::size_t j = i; j < staged.size(); ++j) {
        ::unlink(staged[j].c_str());
      }
      return make_error(fmt::format("cannot rename into {}: {}", target.string(), why));
    }
  }
  for (const auto& rel : report.removed) {
    std::error_code ec;
    fs::remove(repo_root / rel, ec);
    if (ec) {
      return make_error(fmt::format("cannot remove stale {}: {}", rel, ec.message()));
    }
  }
  prune_empty_dirs(repo_root, scope.cluster_path, report.removed);
  return report;
}

}  // namespace neon::cli
