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
//                 "stripe_size": 2048, "tenant_config": {...},
//                 "branches": [{"name": "main", "timeline_id": "<32hex>",
//                               "ancestor_timeline_id": "<32hex>"?, "ancestor_start_lsn": "X/Y"?,
//                               "ancestor_timestamp": "<RFC 3339>"?}]}],
//   "computes": [{"compute_id": "app-main", "project": "app", "branch": "main",
//                 "tenant_id": "...", "timeline_id": "...", "pg_version": 17,
//                 "mode": "primary" | "replica", "address": "<service host>:3080",
//                 "pg_port": 55433,
//                 "settings": [{"name": "...", "value": "...", "vartype": "..."}]}]
// }
// shard_count 1 means unsharded (no shard_parameters on tenant create; notify-attach carries one
// shard 0 with stripe_size null).

#include "generators/resource.hpp"

namespace neon::gen {

/// The computes.json document for `spec`. Deterministic: projects and computes in spec order.
Json computes_config(const ValidSpec& spec);

}  // namespace neon::gen
