#pragma once
// Writing a generated cluster tree into a repository working tree. Generated files are replaced,
// user-owned files are created only when absent, files that were generated before but are no
// longer part of the tree are deleted, and nothing else is touched. Every new file is first
// written and synced under a temporary name (`<name>.kubectl-neon-staged`, beside it); only when
// all of them are on disk are they renamed into place and their folders synced, so a failure never
// leaves a half-written tree. Staging files a killed run left are ours: they are removed, never
// taken for user files.
//
// Every path is opened from the repository root one component at a time with O_NOFOLLOW
// (openat): a symbolic link inside the repository, for instance a cluster subfolder linked to
// somewhere else, is refused with an error instead of being written through.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "generators/layout.hpp"
#include "generators/result.hpp"

namespace neon::cli {

/// What write_tree may touch: files under `cluster_path` (relative to the repository root).
struct TreeScope {
  std::string cluster_path;
  std::vector<std::string> user_owned;  ///< created once, never overwritten
  /// Called once every file is staged and none renamed yet (the kill-at-each-step test's hook).
  std::function<void()> after_staging = nullptr;
  /// When it returns true for (path, bytes), the file is known to hold these bytes (a user-owned
  /// one: to exist) without reading it, for instance from the index's stat data. Its folder is
  /// still checked for links.
  std::function<bool(const std::string&, const std::string&)> known_same = nullptr;
};

inline constexpr const char* k_staging_suffix = ".kubectl-neon-staged";

/// The scope of a spec's tree: gen::cluster_path and gen::user_owned_paths.
TreeScope tree_scope(const gen::ValidSpec& spec);

enum class WriteMode { write, dry_run };

/// Paths relative to the repository root, sorted.
struct WriteReport {
  std::vector<std::string> written;    ///< created or changed
  std::vector<std::string> unchanged;  ///< same bytes already there, or a user-owned file kept
  std::vector<std::string> removed;    ///< stale generated files deleted
  bool changed() const { return !written.empty() || !removed.empty(); }
};

/// Brings the files under `repo_root/scope.cluster_path` in line with `tree`. With
/// WriteMode::dry_run reports what it would do and changes nothing.
Result<WriteReport> write_tree(const gen::FileTree& tree, const std::filesystem::path& repo_root,
                               const TreeScope& scope, WriteMode mode = WriteMode::write);

/// Removes the staging files a killed run left under `repo_root/cluster_path`. Call it, holding
/// the repository lock, before looking at the working tree for user edits.
Result<void> discard_staging(const std::filesystem::path& repo_root, const std::string& cluster_path);

}  // namespace neon::cli
