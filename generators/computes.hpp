#pragma once
// computes.json: the compute hook's view of the cluster, generated from the spec into the
// ConfigMap `compute-hook-computes` (key computes.json). The hook (`kubectl neon hook serve
// --computes FILE`) and the compute bootstrap step (`kubectl neon bootstrap compute`) read it.
//
// {
//   "version": 1,
//   "namespace": "neon",
//   "safekeepers": ["safekeeper-0.safekeeper.neon.svc.cluster.local:5454", ...],
//   "projects": [{"name": "app", "tenant_id": "<32hex>", "pg_version": 17, "shard_count": 1,
//                 "stripe_size": 2048, "tenant_config": {...}, "preferred_az": "az-a"?,
//                 "allowed_ips": ["10.0.0.0/8", ...]?,
//                 "branches": [{"name": "main", "timeline_id": "<32hex>",
//                               "ancestor_timeline_id": "<32hex>"?, "ancestor_start_lsn": "X/Y"?,
//                               "ancestor_timestamp": "<RFC 3339>"?}]}],
//   "computes": [{"compute_id": "app-main", "project": "app", "branch": "main",
//                 "tenant_id": "...", "timeline_id": "...", "pg_version": 17,
//                 "mode": "primary" | "replica", "address": "<service host>:3080",
//                 "pg_port": 55433,
//                 "settings": [{"name": "...", "value": "...", "vartype": "..."}],
//                 "roles": [{"name": "app", "options": null, "secret": "app-main-app"}]?,
//                 "databases": [{"name": "app", "owner": "app", "options": null}]?,
//                 "endpoint": "app-main"?, "deployment": "compute-app-main"?,
//                 "suspend_after_seconds": 300?, "pooler_port": 6432?}]
// }
// shard_count 1 means unsharded (no shard_parameters on tenant create; notify-attach carries one
// shard 0 with stripe_size null).

#include <optional>
#include <string>
#include <vector>

#include "generators/resource.hpp"
#include "generators/result.hpp"

namespace neon::gen {

/// One branch of a project: its timeline and where it forks from its parent.
struct ComputesBranch {
  std::string name;
  std::string timeline_id;
  std::string ancestor_timeline_id;  ///< empty for a root branch
  std::string ancestor_start_lsn;    ///< "X/Y", or empty
  std::string ancestor_timestamp;    ///< RFC 3339, or empty
};

/// One project: its tenant as the bootstrap step creates it.
struct ComputesProject {
  std::string name;
  std::string tenant_id;
  int pg_version = 17;
  int shard_count = 1;
  int stripe_size = 2048;
  Json tenant_config = Json::object();
  std::string preferred_az;  ///< spec.projects[].preferredZone; empty: none
  /// spec.projects[].allowedIps, which the hook answers the proxy with; empty: every address.
  std::vector<std::string> allowed_ips;
  std::vector<ComputesBranch> branches;
};

enum class ComputeMode { primary, replica };

/// One compute (a branch's primary or one of its read replicas).
struct ComputeEntry {
  std::string compute_id;
  std::string project;
  std::string branch;
  std::string tenant_id;
  std::string timeline_id;
  int pg_version = 17;
  ComputeMode mode = ComputeMode::primary;
  std::string address;  ///< host:port of compute_ctl's external HTTP server
  int pg_port = 0;
  Json settings = Json::array();  ///< [{"name", "value", "vartype"}]
  /// The branch's roles (inheritance resolved): [{"name", "options", "secret"}], where `secret` is
  /// the Secret with the password; the hook turns it into the spec's encrypted_password.
  Json roles = Json::array();
  Json databases = Json::array();  ///< [{"name", "owner", "options"}] as the compute spec has them
  /// Behind the proxy (spec.proxy on; primaries only): the branch's endpoint name. Empty otherwise.
  std::string endpoint;
  /// With `endpoint`: the compute's Deployment, which the hook scales to zero and back.
  std::string deployment;
  long suspend_after_seconds = 0;  ///< compute.suspendAfter; 0: never suspended
  int pooler_port = 0;             ///< PgBouncer's port with compute.pooler; 0: none
};

/// The whole file. The generator builds it, the ConfigMap holds its JSON, and the hook and
/// `bootstrap compute` read it back with parse_computes: one type for all three.
struct ComputesFile {
  int version = 1;
  std::string namespace_;
  std::vector<std::string> safekeepers;  ///< host:port
  std::vector<ComputesProject> projects;
  std::vector<ComputeEntry> computes;

  const ComputeEntry* compute(const std::string& compute_id) const;
  const ComputesProject* project(const std::string& name) const;
};

/// The computes file for `spec`. Deterministic: projects and computes in spec order.
ComputesFile computes_file(const ValidSpec& spec);

/// The JSON document (the layout above).
Json to_json(const ComputesFile& file);

/// to_json(computes_file(spec)): the ConfigMap's computes.json.
Json computes_config(const ValidSpec& spec);

/// Reads computes.json back; every problem names `source` and the JSON path ("computes.json:
/// computes[2].address: required string").
Result<ComputesFile> parse_computes(const std::string& text, const std::string& source = "computes.json");

}  // namespace neon::gen
