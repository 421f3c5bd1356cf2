#pragma once
// `project delete --purge` and `branch delete --purge`: once the spec without the project or
// branch is committed, its tenant or timeline is deleted through the storage controller, with
// its data. Timelines go children first, then the tenant (a timeline with children cannot be
// deleted: pageserver/src/http/routes.rs:318-321).

#include <string>

#include "generators/result.hpp"
#include "generators/spec.hpp"
#include "plugin/clients/storcon.hpp"

namespace neon::cli {

struct PurgeTarget {
  std::string tenant_id;
  std::string timeline_id;  ///< "" purges the whole tenant
  std::string what;         ///< "project app (tenant ...)" or "branch app/dev (timeline ...)"
};

/// What to purge, from the spec as it is before the edit. `branch` "" names the project. A branch
/// that other branches of the spec start from cannot be purged before them.
Result<PurgeTarget> purge_target(const gen::ClusterSpec& spec, const std::string& project, const std::string& branch);

/// Deletes the timeline, or every timeline of the tenant (children first) and then the tenant.
storcon::Expected<void> purge(storcon::Client& client, const PurgeTarget& target);

}  // namespace neon::cli
