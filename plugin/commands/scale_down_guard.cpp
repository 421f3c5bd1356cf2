#include "plugin/commands/scale_down_guard.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"
#include "plugin/commands/controller_target.hpp"

namespace neon::cli {

namespace {

namespace names = gen::names;

void removed_in(const std::string& kind, const std::vector<std::string>& zones_before, int count_before,
                const std::vector<std::string>& zones_after, int count_after, std::vector<RemovedNode>& out) {
  const auto before = names::zones_or_default(zones_before);
  const auto after = names::zones_or_default(zones_after);
  for (std::size_t z = 0; z < before.size(); ++z) {
    const int had = names::members_in_zone(count_before, before.size(), z);
    // A zone dropped from the list loses all its members; a zone kept keeps its number (its index).
    const int has =
        z < after.size() && after[z] == before[z] ? names::members_in_zone(count_after, after.size(), z) : 0;
    for (int ordinal = has; ordinal < had; ++ordinal) {
      out.push_back(RemovedNode{kind, names::node_id(static_cast<int>(z) + 1, ordinal)});
    }
  }
}

}  // namespace

std::vector<RemovedNode> removed_nodes(const gen::ClusterSpec& before, const gen::ClusterSpec& after) {
  std::vector<RemovedNode> out;
  removed_in("pageserver", before.pageservers.zones, before.pageservers.count, after.pageservers.zones,
             after.pageservers.count, out);
  removed_in("safekeeper", before.safekeepers.zones, before.safekeepers.count, after.safekeepers.zones,
             after.safekeepers.count, out);
  return out;
}

std::vector<std::string> scale_down_problems(Context& ctx, const cxxopts::ParseResult& flags,
                                             const gen::ClusterSpec& before, const gen::ClusterSpec& after) {
  const auto removed = removed_nodes(before, after);
  if (removed.empty()) {
    return {};
  }
  int exit = 0;
  auto target = controller_from_flags(ctx, "generate", flags, after.namespace_, Kubeconfig::allowed, exit);
  if (!target) {
    return {
        "the storage controller could not be asked whether the removed nodes are deleted (see the error "
        "above); give --storage-controller, or check by hand and pass --force"};
  }
  Controller controller(*target);
  std::vector<std::string> out;
  for (const RemovedNode& n : removed) {
    if (n.kind == "pageserver") {
      auto node = controller.client.get_node(n.id);
      if (!node && node.error().http_status == 404) {
        continue;  // deleted: the controller removed it
      }
      if (!node) {
        out.push_back(fmt::format("pageserver {}: {}", n.id, node.error().message));
        continue;
      }
      out.push_back(
          fmt::format("pageserver {} is still registered (scheduling {}): kubectl neon node pageserver "
                      "delete {} --wait",
                      n.id, node->scheduling, n.id));
      continue;
    }
    auto sk = controller.client.get_safekeeper(n.id);
    if (!sk) {
      out.push_back(fmt::format("safekeeper {}: {}", n.id, sk.error().message));
    } else if (*sk && (*sk)->scheduling_policy != "Decomissioned") {  // sic, SkSchedulingPolicy
      out.push_back(
          fmt::format("safekeeper {} is {} in the controller: move its timelines, then kubectl neon node "
                      "safekeeper decommission {}",
                      n.id, (*sk)->scheduling_policy, n.id));
    }
  }
  return out;
}

}  // namespace neon::cli
