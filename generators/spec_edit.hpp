#pragma once
// Editing the cluster spec as text: add or remove one project or branch while every other line of
// the file (comments, key order, quoting, blank lines, line endings) stays byte for byte as the user
// wrote it. yaml-cpp marks locate the lists; new items copy the indentation and list style of their
// siblings. The caller validates the result with load_spec before writing it anywhere.

#include <string>
#include <string_view>
#include <vector>

#include "generators/result.hpp"

namespace neon::gen {

struct NewProject {
  std::string name;
  int pg_version = 17;
  int shard_count = 1;
  int stripe_size = 2048;
  std::string tenant_id;               ///< 32 hex digits, minted by the caller
  std::string main_timeline_id;        ///< of the project's `main` branch
  std::vector<std::string> roles;      ///< main's roles
  std::vector<std::string> databases;  ///< main's databases: NAME or NAME:OWNER (owner: the first role)
};

struct NewBranch {
  std::string project;
  std::string name;
  std::string parent;     ///< empty: the project's root branch (the one without a parent)
  std::string lsn;        ///< optional branch point
  std::string timestamp;  ///< optional branch point, RFC 3339
  std::string timeline_id;
  std::vector<std::string> roles;      ///< none: the branch inherits its parent's roles
  std::vector<std::string> databases;  ///< NAME or NAME:OWNER; none: inherited
};

/// Appends `project` (with one branch, main) to spec.projects.
Result<std::string> add_project(std::string_view text, const NewProject& project);

/// Removes the project named `name`; the list becomes `[]` when it was the only one.
Result<std::string> remove_project(std::string_view text, const std::string& name);

/// Appends `branch` to the branches of `branch.project`; its parent must exist (none given: the
/// project's root branch, written out as `parent:`).
Result<std::string> add_branch(std::string_view text, const NewBranch& branch);

/// Removes branch `name` of `project`; refuses while other branches name it as their parent.
Result<std::string> remove_branch(std::string_view text, const std::string& project, const std::string& name);

}  // namespace neon::gen
