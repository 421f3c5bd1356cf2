#pragma once
// The only place libgit2 is used. Every libgit2 handle lives in a std::unique_ptr with its free
// function as deleter; errors become neon::Error with libgit2's last message.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generators/result.hpp"

struct git_repository;

namespace neon::cli::git {

/// Keeps libgit2 initialised while alive (git_libgit2_init/shutdown are reference counted).
class Library {
public:
  Library();
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

struct Signature {
  std::string name;
  std::string email;
};

/// "Name <email>" -> Signature; nullopt when malformed.
std::optional<Signature> parse_signature(const std::string& text);

/// Where push and fetch credentials come from.
struct Credentials {
  std::string username = "x-access-token";  ///< for HTTPS tokens
  std::string token;                        ///< empty: no HTTPS credentials offered
  int max_attempts = 3;                     ///< libgit2 asks again after each rejection
};

enum class PushStatus { ok, non_fast_forward, rejected, auth, error };

struct PushResult {
  PushStatus status = PushStatus::ok;
  std::string message;
};

/// The Git blob id (`git hash-object`) of `bytes`. Needs a Library alive.
std::string blob_id(const std::string& bytes);

class Repository {
public:
  /// Opens the repository whose work tree is `dir` (no discovery upwards).
  static Result<Repository> open(const std::filesystem::path& dir);
  /// Opens `dir`, or creates it (and parents) as a new repository whose initial branch is
  /// `initial_branch`.
  static Result<Repository> open_or_init(const std::filesystem::path& dir, bool& created,
                                         const std::string& initial_branch = "main");

  std::filesystem::path workdir() const;
  std::filesystem::path git_dir() const;

  /// Commit id HEAD points at; nullopt on an unborn branch.
  std::optional<std::string> head_commit() const;
  /// Short name of the branch HEAD names ("main"), also when unborn; "" when detached.
  std::string head_branch() const;
  /// A configuration value (user.name ...), nullopt when unset.
  std::optional<std::string> config_string(const std::string& key) const;

  /// Of `paths` (relative, `/`-separated; a path ending in `/` covers the folder), those that
  /// differ between HEAD, index and work tree (ignoring ignored files). Sorted.
  Result<std::vector<std::string>> changed_paths(const std::vector<std::string>& paths) const;

  /// Stages exactly `paths`: existing files are added, missing ones removed from the index.
  Result<void> stage(const std::vector<std::string>& paths);

  /// Paths whose index entry differs from HEAD. Sorted.
  Result<std::vector<std::string>> staged_changes() const;

  /// Commits the index on HEAD (its branch moves). Returns the new commit id.
  Result<std::string> commit(const std::string& message, const Signature& author);

  /// Creates branch `name` at HEAD if missing and points HEAD at it; the work tree is untouched.
  /// An existing branch must point at HEAD's commit.
  Result<void> switch_to_new_branch(const std::string& name);

  /// Checks that `remote` exists and accepts a push connection with `creds` (lists its refs, sends
  /// nothing). Fails with what is wrong: no such remote, unreachable, authentication.
  Result<void> check_remote(const std::string& remote, const Credentials& creds) const;

  /// Pushes refs/heads/<branch> to the same name on `remote`, never forcing.
  PushResult push(const std::string& remote, const std::string& branch, const Credentials& creds);
  /// Fetches `branch` from `remote` into refs/remotes/<remote>/<branch>; returns its commit id.
  Result<std::string> fetch(const std::string& remote, const std::string& branch, const Credentials& creds);
  /// Moves the current branch to `commit`, updating the work tree safely (refuses to overwrite
  /// local changes) and the index.
  Result<void> reset_to(const std::string& commit);

  /// Blob ids of one path in HEAD, the index and the work tree ("" where it is absent).
  struct Tracked {
    std::string head;
    std::string index;
    std::string disk;  ///< the index's id, unread, when the index's stat data says the file is untouched
  };
  /// Every path under `prefixes` (each `/`-terminated) that HEAD or the index holds. Reads only
  /// the files whose stat data differs from the index entry (or that are racily clean), and no
  /// blob of HEAD.
  Result<std::map<std::string, Tracked>> tracked(const std::vector<std::string>& prefixes) const;

  /// One path to stage: its bytes (which must be those on disk), or nullptr to take the work
  /// tree's (removed from the index when the file is missing).
  struct Change {
    std::string path;
    const std::string* bytes = nullptr;
  };
  /// Stages exactly `changes` without a scan of the work tree: blobs are written from memory and
  /// only these index entries change, with the files' stat data (so the index stays clean).
  Result<void> stage_changes(const std::vector<Change>& changes);

  /// The bytes of blob `id`.
  Result<std::string> read_blob(const std::string& id) const;

  /// The id of the folder `path` in HEAD's tree, or "" when HEAD or that folder is absent.
  Result<std::string> tree_id(const std::string& path) const;

  /// Every file under `prefix` (`/`-terminated or "") in the tree of `rev`, path -> bytes.
  Result<std::map<std::string, std::string>> read_tree(const std::string& rev, const std::string& prefix) const;

  struct Deleter {
    void operator()(git_repository* repo) const;
  };

private:
  explicit Repository(git_repository* repo) : m_repo(repo) {}
  std::unique_ptr<git_repository, Deleter> m_repo;
};

}  // namespace neon::cli::git
