#pragma once
// compute.pooler (issue 15): PgBouncer, which the compute image ships (/usr/local/bin/pgbouncer,
// compute/compute-node.Dockerfile:2006) but compute_ctl never starts, as a sidecar container of
// each compute of the branch, from the same image. Its pgbouncer.ini is Neon's own
// (compute/etc/pgbouncer.ini) pointed at our Postgres port, with the spec's settings, in the
// ConfigMap `compute-<project>-<branch>-pooler`. Pure: no I/O.
//
// The settings go into the ini, not into the compute spec's `pgbouncer_settings`: compute_ctl
// applies those (compute_tools/src/pg_helpers.rs:472-559) by logging in to PgBouncer's admin console
// as `postgres` (which our auth setup gives no password) and rewriting
// /var/db/postgres/pgbouncer/pgbouncer.ini, a file shared between containers that a ConfigMap mount
// cannot be. A changed ini changes the pod's config digest, so the Deployment rolls.

#include <functional>
#include <string>
#include <vector>

#include "generators/resource.hpp"

namespace neon::gen {

/// The settings `compute.pooler.settings` accepts: PgBouncer's [pgbouncer] tuning keys known to
/// PgBouncer 1.24.1, the compute image's version, minus the ones the generated ini owns. Sorted.
const std::vector<std::string>& pooler_setting_names();

/// Problems with `pooler` at `path` (`spec.projects[0].branches[0].compute.pooler`): unknown or
/// managed setting names, values of the wrong form for their setting.
void check_pooler(const PoolerSpec& pooler, const std::string& path,
                  const std::function<void(const std::string& path, const std::string& message)>& error);

/// The pgbouncer.ini of a branch's pooler.
std::string pooler_ini(const ClusterSpec& spec, const PoolerSpec& pooler);

/// `compute-<project>-<branch>-pooler`: the ConfigMap holding pgbouncer.ini.
std::string pooler_config_name(const std::string& project, const std::string& branch);

/// The ConfigMap of the branch's pooler (component compute, labelled with the primary's name).
Json pooler_config_map(const ClusterSpec& spec, const Project& project, const Branch& branch);

/// Adds the `pooler` container, its ConfigMap volume and the ini's digest annotation to a compute
/// pod of `branch` (primary or read replica).
void add_pooler_sidecar(const ClusterSpec& spec, const Project& project, const Branch& branch, const std::string& image,
                        Json& pod_meta, Json& pod_spec);

}  // namespace neon::gen
