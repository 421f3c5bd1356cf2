#pragma once
// The write-and-commit pass of `kubectl neon generate`, for commands that edit the spec and then
// regenerate: one commit holds the edited spec and the tree rendered from it.

#include <string>
#include <vector>

#include "generators/spec.hpp"
#include "plugin/context.hpp"

namespace neon::cli {

struct GenerateRun {
  std::string repo = ".";           ///< repository folder (created with git init when missing)
  bool commit = true;               ///< false: write the files only
  std::string subject;              ///< commit subject after "neon(<name>): "; empty: describe the change
  std::vector<std::string> extra;   ///< more paths (relative to the repository) to commit, e.g. the spec file
};

/// Writes the cluster tree of `spec` (whose text is `text`) into the repository and commits the
/// owned files, as generate does. Prints progress and errors; returns the exit code.
int generate_into_repo(Context& ctx, const gen::ValidSpec& spec, const std::string& text, const GenerateRun& run);

}  // namespace neon::cli
