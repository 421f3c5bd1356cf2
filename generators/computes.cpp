#include "generators/computes.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::gen {

namespace {

Json setting(const std::string& name, const std::string& value, const std::string& vartype) {
  return Json{{"name", name}, {"value", value}, {"vartype", vartype}};
}

/// What a read replica needs to stream WAL. compute_ctl writes only hot_standby and
/// neon.compute_mode for a replica (compute_tools/src/config.rs:204-216) and never
/// primary_conninfo; these are the settings neon_local adds (control_plane/src/endpoint.rs:539-571):
/// the safekeepers as a libpq multi-host list, the timeline and tenant as options, and a slot named
/// repl_<timeline>_. vartype "string" makes compute_ctl quote the value and double the inner single
/// quotes (compute_tools/src/pg_helpers.rs:49-52, :73-82). With storage auth on, the hook appends
/// the tenant token as the password.
struct ReplicaSource {
  const std::vector<std::string>& safekeeper_hosts;
  const Project& project;
  const Branch& branch;
};

/// Postgres settings every Neon compute needs (neon-api.md §4.5, neon_local's setup_pg_conf).
Json compute_settings(const ClusterSpec& spec, const ReplicaSource* replica) {
  Json s = Json::array({
      setting("listen_addresses", spec.ip_family == IpFamily::ipv6 ? "*" : "0.0.0.0", "string"),
      setting("port", std::to_string(names::k_compute_pg_port), "integer"),
      setting("shared_preload_libraries", "neon", "string"),
      setting("restart_after_crash", "off", "bool"),
      setting("max_connections", "100", "integer"),
      setting("wal_keep_size", "0", "integer"),
      setting("max_replication_write_lag", "15MB", "string"),
      setting("max_replication_flush_lag", "10GB", "string"),
      setting("max_wal_senders", "10", "integer"),
      setting("max_replication_slots", "10", "integer"),
      setting("wal_sender_timeout", "5s", "string"),
      setting("wal_level", "logical", "enum"),
  });
  if (replica == nullptr) {
    s.push_back(setting("synchronous_standby_names", "walproposer", "string"));
    return s;
  }
  std::string hosts;
  std::string ports;
  for (const auto& h : replica->safekeeper_hosts) {
    hosts += (hosts.empty() ? "" : ",") + h;
    ports += fmt::format("{}{}", ports.empty() ? "" : ",", names::k_safekeeper_pg_port);
  }
  s.push_back(setting("hot_standby", "on", "bool"));
  s.push_back(setting("primary_conninfo",
                      fmt::format("host={} port={} options='-c timeline_id={} tenant_id={}' "
                                  "application_name=replica replication=true",
                                  hosts, ports, replica->branch.timeline_id, replica->project.tenant_id),
                      "string"));
  s.push_back(setting("primary_slot_name", fmt::format("repl_{}_", replica->branch.timeline_id), "string"));
  if (replica->project.pg_version >= 15) {
    s.push_back(setting("recovery_prefetch", "off", "enum"));
  }
  return s;
}

}  // namespace

Json computes_config(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  Json safekeepers = Json::array();
  std::vector<std::string> safekeeper_hosts;
  const auto zones = names::zones_or_default(spec.safekeepers.zones);
  for (std::size_t z = 0; z < zones.size(); ++z) {
    const int n = names::members_in_zone(spec.safekeepers.count, zones.size(), z);
    for (int o = 0; o < n; ++o) {
      safekeeper_hosts.push_back(names::pod_host(spec, names::safekeeper_set(zones[z]), o));
      safekeepers.push_back(fmt::format("{}:{}", safekeeper_hosts.back(), names::k_safekeeper_pg_port));
    }
  }
  Json projects = Json::array();
  Json computes = Json::array();
  for (const Project& p : spec.projects) {
    Json tenant_config = Json::object();
    for (const auto& kv : p.tenant_config) {
      tenant_config[kv.key] = Json::parse(kv.json);
    }
    Json branches = Json::array();
    for (const Branch& b : p.branches) {
      Json jb = {{"name", b.name}, {"timeline_id", b.timeline_id}};
      if (!b.parent.empty()) {
        for (const Branch& parent : p.branches) {
          if (parent.name == b.parent) {
            jb["ancestor_timeline_id"] = parent.timeline_id;
          }
        }
        if (!b.lsn.empty()) {
          jb["ancestor_start_lsn"] = b.lsn;
        }
        if (!b.timestamp.empty()) {
          jb["ancestor_timestamp"] = b.timestamp;
        }
      }
      branches.push_back(jb);
      auto compute = [&](const std::string& id, const std::string& service, bool replica) {
        const ReplicaSource source{safekeeper_hosts, p, b};
        computes.push_back(Json{
            {"compute_id", id},
            {"project", p.name},
            {"branch", b.name},
            {"tenant_id", p.tenant_id},
            {"timeline_id", b.timeline_id},
            {"pg_version", p.pg_version},
            {"mode", replica ? "replica" : "primary"},
            {"address", fmt::format("{}:{}", names::service_host(spec, service), names::k_compute_ctl_port)},
            {"pg_port", names::k_compute_pg_port},
            {"settings", compute_settings(spec, replica ? &source : nullptr)},
        });
      };
      compute(names::compute_id(p.name, b.name), names::compute_name(p.name, b.name), false);
      for (int i = 0; i < b.compute.read_replicas; ++i) {
        compute(names::replica_id(p.name, b.name, i), names::replica_name(p.name, b.name, i), true);
      }
    }
    projects.push_back(Json{{"name", p.name},
                            {"tenant_id", p.tenant_id},
                            {"pg_version", p.pg_version},
                            {"shard_count", p.shard_count},
                            {"stripe_size", p.stripe_size},
                            {"tenant_config", tenant_config},
                            {"branches", branches}});
  }
  return Json{{"version", 1},
              {"namespace", spec.namespace_},
              {"safekeepers", safekeepers},
              {"projects", projects},
              {"computes", computes}};
}

}  // namespace neon::gen
