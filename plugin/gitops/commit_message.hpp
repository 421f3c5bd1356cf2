#pragma once
// What a commit of `generate` (and of project/branch edits) says, and who signs it.
#include <optional>
#include <string>
#include <vector>

#include "generators/spec.hpp"
#include "plugin/adapters/context.hpp"
#include "plugin/adapters/git.hpp"

namespace neon::cli {

/// The commit message: a subject naming what changed in the spec (or `what_override`), `extra`,
/// the work a forced commit leaves to do by hand, then the files.
std::string commit_message(const gen::ValidSpec& spec, const std::optional<gen::ValidSpec>& old_spec, bool first,
                           const std::vector<std::string>& files, const std::string& extra,
                           const std::string& what_override, const std::vector<std::string>& by_hand);

/// The author: --author, else the repository's user.name/user.email, else kubectl-neon.
git::Signature resolve_author(const Context& ctx, const git::Repository& repo, const std::string& flag);

}  // namespace neon::cli
