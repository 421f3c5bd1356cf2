#pragma once
// `generate` refuses a spec with fewer pageservers or safekeepers while the storage controller
// still uses the nodes whose pods would go (issue 17): a deleted pageserver answers 404
// (storage_controller/src/service.rs:7575-7590 removes it), a retired safekeeper is Decomissioned.

#include <cstdint>
#include <string>
#include <vector>

#include <cxxopts.hpp>

#include "generators/spec.hpp"
#include "plugin/adapters/context.hpp"

namespace neon::cli {

struct RemovedNode {
  std::string kind;  ///< "pageserver" or "safekeeper"
  std::uint64_t id = 0;
};

/// The nodes of `before` that `after` no longer has, zone by zone (node id `<zone number><ordinal>`,
/// the ordinals past the zone's new replica count).
std::vector<RemovedNode> removed_nodes(const gen::ClusterSpec& before, const gen::ClusterSpec& after);

/// For each removed node that the controller still uses, a line saying so and the command that
/// ends it. The controller comes from the generate flags (--storage-controller, else the
/// kubeconfig's service proxy); when it cannot be asked, one line saying why.
std::vector<std::string> scale_down_problems(Context& ctx, const cxxopts::ParseResult& flags,
                                             const gen::ClusterSpec& before, const gen::ClusterSpec& after);

}  // namespace neon::cli
