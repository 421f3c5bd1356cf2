#include "plugin/commands/purge.hpp"

#include <fmt/format.h>

#include "plugin/commands/sync_plan.hpp"

namespace neon::cli {

Result<PurgeTarget> purge_target(const gen::ClusterSpec& spec, const std::string& project, const std::string& branch) {
  for (const auto& p : spec.projects) {
    if (p.name != project) {
      continue;
    }
    if (branch.empty()) {
      return PurgeTarget{p.tenant_id, "", fmt::format("project {} (tenant {})", p.name, p.tenant_id)};
    }
    std::string children;
    const gen::Branch* found = nullptr;
    for (const auto& b : p.branches) {
      if (b.name == branch) {
        found = &b;
      }
      if (b.parent == branch) {
        children += (children.empty() ? "" : ", ") + b.name;
      }
    }
    if (found == nullptr) {
      return make_error(fmt::format("project {} has no branch {}", project, branch), ErrorKind::not_found);
    }
    if (!children.empty()) {
      return make_error(fmt::format("branch {}/{} has child branches ({}): delete them first (a timeline with "
                                    "children cannot be deleted)",
                                    project, branch, children),
                        ErrorKind::invalid);
    }
    return PurgeTarget{p.tenant_id, found->timeline_id,
                       fmt::format("branch {}/{} (timeline {})", project, branch, found->timeline_id)};
  }
  return make_error(fmt::format("no project {} in the spec", project), ErrorKind::not_found);
}

storcon::Expected<void> purge(storcon::Client& client, const PurgeTarget& target) {
  if (!target.timeline_id.empty()) {
    return client.delete_timeline(target.tenant_id, target.timeline_id);
  }
  auto tenant = client.describe_tenant(target.tenant_id);
  if (!tenant) {
    return tenant.error();
  }
  if (!*tenant) {
    return {};  // not in the controller (never created, or deleted already)
  }
  const bool attached = std::any_of((*tenant)->shards.begin(), (*tenant)->shards.end(),
                                    [](const storcon::Shard& s) { return s.node_attached.has_value(); });
  if (attached) {
    auto timelines = client.list_timelines(target.tenant_id);
    if (!timelines) {
      return timelines.error();
    }
    for (const auto* t : sync::children_first(*timelines)) {
      if (auto done = client.delete_timeline(target.tenant_id, t->timeline_id); !done) {
        return done.error();
      }
    }
  }
  return client.delete_tenant(target.tenant_id);
}

}  // namespace neon::cli
