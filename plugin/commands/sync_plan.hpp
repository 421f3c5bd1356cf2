#pragma once
// What `kubectl neon sync` changes so that the storage controller follows the spec, from the
// spec's projects (as computes.json holds them: generators/computes.hpp) and the controller's
// tenants and timelines. Pure: no I/O.
//
// Drift it finds, in the order it is fixed:
// - a project without a tenant: the tenant and every timeline are created;
// - a tenant whose config differs from tenantConfig: PUT /v1/tenant/config replaces it
//   (TenantConfigRequest, libs/pageserver_api/src/models.rs:1410-1414). Durations compare by value,
//   since the controller writes them back in humantime's own form (humantime_serde, models.rs:662);
// - shards whose preferred AZ is not the project's preferredZone: PUT /control/v1/preferred_azs
//   (storage_controller/src/http.rs:1432-1449); the controller's optimizer then moves them;
// - fewer shards than shards.count: the tenant is split (service.rs:6215-6330); more shards than
//   the spec asks for cannot be undone (a split has no reverse), so it is reported, never fixed;
// - a branch without a timeline: it is created, ancestors first;
// - timelines and tenants the controller has and the spec does not: reported; --prune deletes
//   them, children before parents and timelines before their tenant.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/computes.hpp"
#include "plugin/clients/storcon.hpp"

namespace neon::cli::sync {

/// A tenant as the controller has it, with its timelines.
struct LiveTenant {
  storcon::Tenant tenant;
  std::vector<storcon::TimelineInfo> timelines;
  /// False for a tenant attached nowhere (Detached or Secondary): its timelines cannot be listed
  /// (the controller passes the list through to an attached shard 0), so none are compared.
  bool timelines_known = true;
};

enum class Action {
  create_tenant,
  set_config,
  set_preferred_az,
  split,
  create_timeline,
  shards_above_spec,
  extra_timeline,
  extra_tenant
};

/// "create tenant", "set config", ...
const char* action_name(Action a);
/// "create_tenant", "set_config", ...: the spelling of plan_json and the run summary.
const char* action_id(Action a);
inline constexpr Action k_actions[] = {Action::create_tenant,  Action::set_config,      Action::set_preferred_az,
                                       Action::split,          Action::create_timeline, Action::shards_above_spec,
                                       Action::extra_timeline, Action::extra_tenant};

struct Change {
  Action action = Action::create_tenant;
  std::string tenant_id;
  std::string project;  ///< "" for a tenant the spec does not name
  std::string timeline_id;
  std::string branch;  ///< "" for a timeline the spec does not name
  int from_shards = 0;
  int to_shards = 0;
  std::vector<std::string> keys;  ///< set_config: the keys that differ (added, changed or removed)
  /// set_preferred_az: the zone, and the shards (tenant_shard_id) not preferring it yet.
  std::string zone;
  std::vector<std::string> shards;
};

struct Plan {
  std::vector<Change> changes;
  /// Changes sync makes without --prune (create, config, split).
  std::size_t fixable() const;
  /// Extra tenants and timelines: deleted only with --prune.
  std::size_t prunable() const;
};

/// `live` is keyed by tenant id.
Plan make_plan(const gen::ComputesFile& spec, const std::map<std::string, LiveTenant>& live);

/// Whether the tenant config `live` (as the controller describes it: null fields left out) is the
/// spec's `want`; the keys that differ go to `differing`.
bool same_config(const nlohmann::json& want, const nlohmann::json& live, std::vector<std::string>& differing);

/// `timelines` ordered so that every child comes before its ancestor (the order they can be deleted in).
std::vector<const storcon::TimelineInfo*> children_first(const std::vector<storcon::TimelineInfo>& timelines);

/// One line per change ("create tenant app (294c...)"), for people; "" when there is none.
std::string plan_text(const Plan& plan, bool prune);
/// {"changes":[{"action","tenant_id","project","timeline_id","branch",...}], "drift": bool}; the
/// action is create_tenant, set_config, split, create_timeline, shards_above_spec, extra_timeline
/// or extra_tenant (Action's order).
nlohmann::json plan_json(const Plan& plan);

}  // namespace neon::cli::sync
