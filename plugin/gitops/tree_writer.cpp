#include "plugin/gitops/tree_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include "plugin/adapters/files.hpp"

namespace neon::cli {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_existing_bytes = 16 * 1024 * 1024;

std::string errno_text(int e) { return std::strerror(e); }

/// Rejects absolute paths, `..` and paths outside the cluster folder.
Result<void> check_path(const std::string& rel, const std::string& cluster_path) {
  const fs::path p(rel);
  if (rel.empty() || p.is_absolute()) {
    return make_error(fmt::format("refusing to write \"{}\": not a relative path", rel));
  }
  for (const auto& part : p) {
    if (part == ".." || part == ".") {
      return make_error(fmt::format("refusing to write \"{}\": it leaves the repository", rel));
    }
  }
  if (rel.compare(0, cluster_path.size() + 1, cluster_path + "/") != 0) {
    return make_error(fmt::format("refusing to write \"{}\": outside the cluster folder {}", rel, cluster_path));
  }
  return {};
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct Split {
  std::string dir;
  std::string name;
};

Split split(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return Split{rel.substr(0, slash), rel.substr(slash + 1)};
}

/// Generated files under the cluster folder that the new tree no longer has, and staging files a
/// killed run left. The cluster folder has been checked to be no link; links below it are not
/// followed.
struct Found {
  std::vector<std::string> stale;
  std::vector<std::string> staging;
};

Result<Found> scan(const gen::FileTree& tree, const fs::path& repo_root, const std::string& cluster_path,
                   bool find_stale = true) {
  Found out;
  const fs::path dir = repo_root / cluster_path;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) {
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
    if (ends_with(rel, k_staging_suffix)) {
      out.staging.push_back(rel);
      continue;
    }
    if (!find_stale || tree.count(rel) > 0) {
      continue;
    }
    auto text = read_file(it->path(), k_max_existing_bytes);
    if (text && gen::is_generated(*text)) {
      out.stale.push_back(rel);
    }
  }
  std::sort(out.stale.begin(), out.stale.end());
  return out;
}

Result<void> unlink_below(int root, const std::string& rel) {
  const Split s = split(rel);
  auto dir = open_below(root, s.dir, false);
  NEON_TRY(dir);
  return *dir ? remove_at(dir->get(), s.name, rel) : Result<void>();
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

Result<UniqueFd> open_root(const fs::path& repo_root, bool create) { return open_dir(repo_root, create); }

}  // namespace

TreeScope tree_scope(const gen::ValidSpec& spec) {
  return TreeScope{gen::cluster_path(spec), gen::user_owned_paths(spec)};
}

Result<void> discard_staging(const fs::path& repo_root, const std::string& cluster_path) {
  auto root = open_root(repo_root, false);
  NEON_TRY(root);
  if (!*root) {
    return {};
  }
  auto top = open_below(root->get(), cluster_path, false);
  NEON_TRY(top);
  auto found = scan({}, repo_root, cluster_path, false);  // staging files only: no file is read
  NEON_TRY(found);
  for (const auto& rel : found->staging) {
    NEON_TRY(unlink_below(root->get(), rel));
  }
  return {};
}

Result<WriteReport> write_tree(const gen::FileTree& tree, const fs::path& repo_root, const TreeScope& scope,
                               WriteMode mode) {
  const std::set<std::string> user_owned(scope.user_owned.begin(), scope.user_owned.end());
  auto root = open_root(repo_root, mode == WriteMode::write);
  NEON_TRY(root);
  WriteReport report;
  std::vector<std::pair<std::string, const std::string*>> to_write;
  std::set<std::string> checked_dirs;  // opened once without following links
  for (const auto& [rel, data] : tree) {
    NEON_TRY(check_path(rel, scope.cluster_path));
    std::optional<std::string> old;
    if (*root && scope.known_same && scope.known_same(rel, data)) {
      const Split s = split(rel);
      if (checked_dirs.count(s.dir) == 0) {
        NEON_TRY(open_below(root->get(), s.dir, false));
        checked_dirs.insert(s.dir);
      }
      report.unchanged.push_back(rel);
      continue;
    }
    if (*root) {
      const Split s = split(rel);
      auto dir = open_below(root->get(), s.dir, false);
      NEON_TRY(dir);
      if (*dir) {
        auto existing = read_at(dir->get(), s.name, rel, k_max_existing_bytes);
        NEON_TRY(existing);
        old = std::move(*existing);
      }
    }
    if (old && (user_owned.count(rel) > 0 || *old == data)) {
      report.unchanged.push_back(rel);
      continue;
    }
    report.written.push_back(rel);
    to_write.emplace_back(rel, &data);
  }
  Found found;
  if (*root) {
    auto top = open_below(root->get(), scope.cluster_path, false);
    NEON_TRY(top);
    auto scanned = scan(tree, repo_root, scope.cluster_path);
    NEON_TRY(scanned);
    found = std::move(*scanned);
  }
  report.removed = found.stale;
  if (mode == WriteMode::dry_run) {
    return report;
  }
  for (const auto& rel : found.staging) {
    NEON_TRY(unlink_below(root->get(), rel));  // a killed run's, never renamed into place
  }

  // Stage everything; only then rename, so an error leaves the old tree as it was.
  std::vector<std::string> staged;
  auto discard = [&] {
    for (const auto& rel : staged) {
      static_cast<void>(unlink_below(root->get(), rel + k_staging_suffix));
    }
  };
  for (const auto& [rel, data] : to_write) {
    const Split s = split(rel);
    auto dir = open_below(root->get(), s.dir, true);
    if (!dir) {
      discard();
      return dir.error();
    }
    staged.push_back(rel);
    static_cast<void>(remove_at(dir->get(), s.name + k_staging_suffix, rel));
    if (auto w = write_new_at(dir->get(), s.name + k_staging_suffix, *data, Access::shared, rel); !w) {
      discard();
      return w.error();
    }
  }
  if (scope.after_staging) {
    scope.after_staging();
  }
  std::set<std::string> touched_dirs;
  for (std::size_t i = 0; i < staged.size(); ++i) {
    const Split s = split(staged[i]);
    auto dir = open_below(root->get(), s.dir, false);
    const std::string tmp = s.name + k_staging_suffix;
    if (!dir || !*dir || ::renameat(dir->get(), tmp.c_str(), dir->get(), s.name.c_str()) != 0) {
      const std::string why = !dir ? dir.error().message : !*dir ? "its folder is gone" : errno_text(errno);
      const std::string target = (repo_root / staged[i]).string();
      staged.erase(staged.begin(), staged.begin() + static_cast<std::ptrdiff_t>(i));
      discard();
      return make_error(fmt::format("cannot rename into {}: {}", target, why));
    }
    touched_dirs.insert(s.dir);
  }
  for (const auto& rel : report.removed) {
    NEON_TRY(unlink_below(root->get(), rel));
    touched_dirs.insert(split(rel).dir);
  }
  // The renames and removals are durable only once their folders are synced.
  for (const auto& d : touched_dirs) {
    auto dir = open_below(root->get(), d, false);
    if (dir && *dir) {
      static_cast<void>(sync_dir(dir->get(), d));
    }
  }
  prune_empty_dirs(repo_root, scope.cluster_path, report.removed);
  return report;
}

}  // namespace neon::cli
