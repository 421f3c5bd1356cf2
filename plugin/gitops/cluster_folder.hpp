#pragma once
// Which cluster a folder of the repository holds: generate refuses to write one cluster's tree over
// another's, or to give two clusters one name.

#include <string>

#include "generators/result.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/git.hpp"

namespace neon::cli {

/// The cluster folder must not hold another cluster (its neon.yaml in HEAD, else on disk), and no
/// folder next to it may hold a cluster of the same name (the bootstrap folder and the GitOps
/// objects are named after it).
Result<void> check_cluster_folder(const git::Repository& repo, const gen::ValidSpec& spec,
                                  const std::string& cluster_path, const std::string& bootstrap_path);

/// The second half of check_cluster_folder alone: no sibling folder holds a cluster of this name.
Result<void> check_siblings(const git::Repository& repo, const gen::ValidSpec& spec, const std::string& cluster_path,
                            const std::string& bootstrap_path);

}  // namespace neon::cli
