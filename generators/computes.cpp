#include "generators/computes.hpp"

#include <fmt/format.h>

#include "generators/names.hpp"

namespace neon::gen {

namespace {

Json setting(const std::string& name, const std::string& value, const std::string& vartype) {
  return Json{{"name", name}, {"value", value}, {"vartype", vartype}};
}

/// Postgres settings every Neon compute needs (neon-api.md §4.5, neon_local's setup_pg_conf).
Json compute_settings(bool replica) {
  Json s = Json::array({
      setting("listen_addresses", "0.0.0.0", "string"),
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
  if (!replica) {
    s.push_back(setting("synchronous_standby_names", "walproposer", "string"));
  } else {
    s.push_back(setting("hot_standby", "on", "bool"));
  }
  return s;
}

}  // namespace

Json computes_config(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  Json safekeepers = Json::array();
  const auto zones = names::zones_or_default(spec.safekeepers.zones);
  for (std::size_t z = 0; z < zones.size(); ++z) {
    const int n = names::members_in_zone(spec.safekeepers.count, zones.size(), z);
    for (int o = 0; o < n; ++o) {
      safekeepers.push_back(
          fmt::format("{}:{}", names::pod_host(spec, names::safekeeper_set(zones[z]), o), names::k_safekeeper_pg_port));
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
      for (bool replica : {false, true}) {
        if (replica && b.compute.read_replicas == 0) {
          continue;
        }
        computes.push_back(Json{
            {"compute_id", names::compute_id(p.name, b.name, replica)},
            {"project", p.name},
            {"branch", b.name},
            {"tenant_id", p.tenant_id},
            {"timeline_id", b.timeline_id},
            {"pg_version", p.pg_version},
            {"mode", replica ? "replica" : "primary"},
            {"address", fmt::format("{}:{}", names::service_host(spec, names::compute_name(p.name, b.name, replica)),
                                    names::k_compute_ctl_port)},
            {"pg_port", names::k_compute_pg_port},
            {"settings", compute_settings(replica)},
        });
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
