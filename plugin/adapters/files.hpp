#pragma once
// File I/O for commands: bounded reads with clear errors, and atomic writes (temporary file in
// the same directory, fsync, rename) so no command leaves a half-written file behind.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

#include "generators/result.hpp"

namespace neon::cli {

/// Closes a file descriptor when it goes out of scope.
class UniqueFd {
public:
  explicit UniqueFd(int fd = -1) : m_fd(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset(other.release());
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(-1); }
  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  int release() {
    const int fd = m_fd;
    m_fd = -1;
    return fd;
  }
  void reset(int fd);

private:
  int m_fd;
};

/// Reads a whole file; refuses directories, missing files and files over `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes);

enum class Overwrite { yes, no };

/// Who may read the file. Anything holding secret material (tokens, private keys) is owner_only:
/// created 0600 from the start, so it is never readable by others, even briefly.
enum class Access { shared, owner_only };

// The one file writer. Every file the program writes (the cluster tree and its staging, the
// bootstrap folder, spec edits, keys, the in-cluster configs) goes through write_new_at, and is
// published by a rename (or a link, to never overwrite) in the same folder followed by an fsync of
// that folder. Folders below a root are opened one component at a time with O_NOFOLLOW, so a
// symbolic link never leads a write out of the tree it belongs to.

/// The folder `dir` itself (a path the user chose; links in it are followed). With `create`, it
/// and its parents are created; without, a missing folder gives a UniqueFd holding no descriptor.
Result<UniqueFd> open_dir(const std::filesystem::path& dir, bool create);

/// The folder `rel_dir` ("a/b", relative, no "..") below the open folder `root`, opened one
/// component at a time with O_NOFOLLOW: a symbolic link is refused with a message naming it.
/// With `create`, missing folders are created (0755); without, a missing folder gives a UniqueFd
/// holding no descriptor.
Result<UniqueFd> open_below(int root, const std::string& rel_dir, bool create);

/// The bytes of the regular file `name` in `dir`, or nullopt when there is none. A link or
/// anything else that is not a regular file is an error; a file over `max_bytes` reads as "".
/// `shown` names the file in messages.
Result<std::optional<std::string>> read_at(int dir, const std::string& name, const std::string& shown,
                                           std::size_t max_bytes);

/// Creates `name` in `dir` (never an existing file, never through a link) with `access`'s mode,
/// writes `data` and syncs it. The caller publishes it with publish_at.
Result<void> write_new_at(int dir, const std::string& name, const std::string& data, Access access,
                          const std::string& shown);

/// Moves `from` to `to` in `dir` (with Overwrite::no, an existing `to` is never replaced, even by
/// a concurrent writer), then syncs `dir` so the change survives a crash. `from` is gone afterwards.
Result<void> publish_at(int dir, const std::string& from, const std::string& to, Overwrite overwrite,
                        const std::string& shown);

/// write_new_at to a temporary name, then publish_at: `name` holds either its old bytes or `data`.
Result<void> write_atomic_at(int dir, const std::string& name, const std::string& data, Overwrite overwrite,
                             Access access, const std::string& shown);

/// Removes `name` from `dir`; a missing file is fine.
Result<void> remove_at(int dir, const std::string& name, const std::string& shown);

/// fsync of an open folder, so renames and removals in it survive a crash.
Result<void> sync_dir(int dir, const std::string& shown);

/// Creates a new private (0700) folder `<prefix>XXXXXX` in the open folder's path `dir` (mkdtemp).
/// Returns its name.
Result<std::string> make_temp_dir(const std::filesystem::path& dir, const std::string& prefix);

/// Renames the folder `from` to `to` in `dir`, then syncs `dir`. An existing `to` is never
/// replaced unless it is an empty folder (rename(2) replaces only those).
Result<void> publish_dir_at(int dir, const std::string& from, const std::string& to, const std::string& shown);

/// write_atomic_at in `path`'s folder (which must exist).
Result<void> write_file_atomic(const std::filesystem::path& path, const std::string& data,
                               Overwrite overwrite = Overwrite::yes, Access access = Access::shared);

}  // namespace neon::cli
