#pragma once
// A no-op `generate` without rendering. After a run that leaves the cluster committed, a stamp in
// the repository's Git folder (never in the work tree, never committed) records what went in (this
// binary's identity, the spec text, the cluster and bootstrap paths) and the ids of the two folders
// in HEAD's tree that came out. A later run with the same input finds the repository as that run
// left it when HEAD still holds those two folders and `git status` shows nothing under them: then
// rendering again would give the same bytes, and there is nothing to write or commit.
//
// The stamp is a cache, never a source of truth: anything it cannot vouch for (another binary, a
// changed spec, a moved HEAD, a staged, edited, deleted or untracked file under either folder, a
// missing or unreadable stamp) sends the run down the full path, which renders and compares.

#include <string>

#include "generators/result.hpp"
#include "plugin/adapters/git.hpp"

namespace neon::cli {

struct StampInput {
  std::string spec_text;
  std::string cluster_path;
  std::string bootstrap_path;
};

/// The key of `in` for this binary, or "" when the binary cannot be identified (no stamp then).
std::string stamp_key(const StampInput& in);

/// True when the stamp for `in` vouches that the repository already holds its render.
Result<bool> stamp_holds(const git::Repository& repo, const StampInput& in);

/// Records that HEAD holds the render of `in`. Call it only when HEAD and the work tree under both
/// folders are exactly the render (a committed or up-to-date run).
Result<void> write_stamp(const git::Repository& repo, const StampInput& in);

}  // namespace neon::cli
