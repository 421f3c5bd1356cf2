#include "generators/computes.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "generators/json_fields.hpp"
#include "generators/names.hpp"
#include "generators/roles.hpp"

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

/// GenericOption list of compute_ctl (libs/compute_api/src/spec.rs:572-576), null when empty.
Json options_json(const std::vector<SqlOption>& options) {
  if (options.empty()) {
    return nullptr;
  }
  Json out = Json::array();
  for (const SqlOption& o : options) {
    out.push_back(Json{{"name", o.name}, {"value", o.value ? Json(*o.value) : Json(nullptr)}, {"vartype", o.vartype}});
  }
  return out;
}

void add_roles(ComputeEntry& e, const Project& p, const Branch& b) {
  for (const Role& r : effective_roles(p, b)) {
    e.roles.push_back(Json{
        {"name", r.name}, {"options", options_json(r.options)}, {"secret", role_secret_name(p.name, b.name, r.name)}});
  }
  for (const Database& d : effective_databases(p, b)) {
    // Keys in sorted order: parse_computes reads them back into a sorted map (the round trip stays equal).
    e.databases.push_back(Json{{"name", d.name}, {"options", options_json(d.options)}, {"owner", d.owner}});
  }
}

}  // namespace

ComputesFile computes_file(const ValidSpec& valid) {
  const ClusterSpec& spec = valid.spec();
  ComputesFile out;
  out.namespace_ = spec.namespace_;
  std::vector<std::string> safekeeper_hosts;
  const auto zones = names::zones_or_default(spec.safekeepers.zones);
  for (std::size_t z = 0; z < zones.size(); ++z) {
    const int n = names::members_in_zone(spec.safekeepers.count, zones.size(), z);
    for (int o = 0; o < n; ++o) {
      safekeeper_hosts.push_back(names::pod_host(spec, names::safekeeper_set(zones[z]), o));
      out.safekeepers.push_back(fmt::format("{}:{}", safekeeper_hosts.back(), names::k_safekeeper_pg_port));
    }
  }
  for (const Project& p : spec.projects) {
    ComputesProject project{p.name,
                            p.tenant_id,
                            p.pg_version,
                            p.shard_count,
                            p.stripe_size,
                            Json::object(),
                            p.preferred_zone,
                            p.allowed_ips.value_or(std::vector<std::string>{}),
                            {}};
    for (const auto& kv : p.tenant_config) {
      project.tenant_config[kv.key] = Json::parse(kv.json);
    }
    for (const Branch& b : p.branches) {
      ComputesBranch branch{b.name, b.timeline_id, "", "", ""};
      if (!b.parent.empty()) {
        for (const Branch& parent : p.branches) {
          if (parent.name == b.parent) {
            branch.ancestor_timeline_id = parent.timeline_id;
          }
        }
        branch.ancestor_start_lsn = b.lsn;
        branch.ancestor_timestamp = b.timestamp;
      }
      project.branches.push_back(std::move(branch));
      auto compute = [&](const std::string& id, const std::string& service, bool replica) {
        const ReplicaSource source{safekeeper_hosts, p, b};
        ComputeEntry& e = out.computes.emplace_back();
        e.compute_id = id;
        e.project = p.name;
        e.branch = b.name;
        e.tenant_id = p.tenant_id;
        e.timeline_id = b.timeline_id;
        e.pg_version = p.pg_version;
        e.mode = replica ? ComputeMode::replica : ComputeMode::primary;
        e.address = fmt::format("{}:{}", names::service_host(spec, service), names::k_compute_ctl_port);
        e.pg_port = names::k_compute_pg_port;
        e.settings = compute_settings(spec, replica ? &source : nullptr);
        add_roles(e, p, b);
        if (spec.proxy.enabled && !replica) {
          // For the proxy's <endpoint>-pooler; unset without the proxy, so the hook's ConfigMap of a
          // cluster without one does not change.
          e.pooler_port = b.compute.pooler.enabled ? names::k_compute_pooler_port : 0;
          e.endpoint = names::endpoint_name(p.name, b);
          e.deployment = service;  // the Deployment and its Service share the name
          e.suspend_after_seconds = b.compute.suspend_after_seconds;
        }
      };
      compute(names::compute_id(p.name, b.name), names::compute_name(p.name, b.name), false);
      for (int i = 0; i < b.compute.read_replicas; ++i) {
        compute(names::replica_id(p.name, b.name, i), names::replica_name(p.name, b.name, i), true);
      }
    }
    out.projects.push_back(std::move(project));
  }
  return out;
}

Json to_json(const ComputesFile& file) {
  Json projects = Json::array();
  for (const auto& p : file.projects) {
    Json branches = Json::array();
    for (const auto& b : p.branches) {
      Json jb = {{"name", b.name}, {"timeline_id", b.timeline_id}};
      if (!b.ancestor_timeline_id.empty()) {
        jb["ancestor_timeline_id"] = b.ancestor_timeline_id;
      }
      if (!b.ancestor_start_lsn.empty()) {
        jb["ancestor_start_lsn"] = b.ancestor_start_lsn;
      }
      if (!b.ancestor_timestamp.empty()) {
        jb["ancestor_timestamp"] = b.ancestor_timestamp;
      }
      branches.push_back(std::move(jb));
    }
    Json jp{{"name", p.name},
            {"tenant_id", p.tenant_id},
            {"pg_version", p.pg_version},
            {"shard_count", p.shard_count},
            {"stripe_size", p.stripe_size},
            {"tenant_config", p.tenant_config}};
    if (!p.preferred_az.empty()) {  // only when set: other clusters' ConfigMaps stay as they are
      jp["preferred_az"] = p.preferred_az;
    }
    if (!p.allowed_ips.empty()) {  // the same: only with spec.projects[].allowedIps
      jp["allowed_ips"] = p.allowed_ips;
    }
    jp["branches"] = std::move(branches);
    projects.push_back(std::move(jp));
  }
  Json computes = Json::array();
  for (const auto& c : file.computes) {
    Json jc{{"compute_id", c.compute_id},
            {"project", c.project},
            {"branch", c.branch},
            {"tenant_id", c.tenant_id},
            {"timeline_id", c.timeline_id},
            {"pg_version", c.pg_version},
            {"mode", c.mode == ComputeMode::replica ? "replica" : "primary"},
            {"address", c.address},
            {"pg_port", c.pg_port},
            {"settings", c.settings}};
    if (!c.roles.empty()) {
      jc["roles"] = c.roles;
    }
    if (!c.databases.empty()) {
      jc["databases"] = c.databases;
    }
    if (!c.endpoint.empty()) {
      jc["endpoint"] = c.endpoint;
      jc["deployment"] = c.deployment;
    }
    if (c.suspend_after_seconds > 0) {
      jc["suspend_after_seconds"] = c.suspend_after_seconds;
    }
    if (c.pooler_port > 0) {
      jc["pooler_port"] = c.pooler_port;
    }
    computes.push_back(std::move(jc));
  }
  return Json{{"version", file.version},
              {"namespace", file.namespace_},
              {"safekeepers", file.safekeepers},
              {"projects", std::move(projects)},
              {"computes", std::move(computes)}};
}

Json computes_config(const ValidSpec& spec) { return to_json(computes_file(spec)); }

const ComputeEntry* ComputesFile::compute(const std::string& compute_id) const {
  for (const auto& c : computes) {
    if (c.compute_id == compute_id) {
      return &c;
    }
  }
  return nullptr;
}

const ComputesProject* ComputesFile::project(const std::string& name) const {
  for (const auto& p : projects) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

namespace {

// The reader works on the parsed document as it is (nlohmann::json), with no copies into
// gen::Json (ordered) except for the values it keeps.
using PJson = nlohmann::json;

/// An optional string field ("" when absent); any other type is an error.
Result<std::string> optional_string(const PJson& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return make_error(fmt::format("{}{}: must be a string", where, key), ErrorKind::invalid);
  }
  return it->get<std::string>();
}

/// An optional integer field (`fallback` when absent) no larger than `max`.
Result<int> optional_int(const PJson& obj, const char* key, const std::string& where, int fallback, int max) {
  if (obj.find(key) == obj.end()) {
    return fallback;
  }
  auto v = uint_field(obj, key, where, static_cast<std::uint64_t>(max));
  NEON_TRY(v);
  return static_cast<int>(*v);
}

/// obj[key] as an array (empty when absent and not `required`).
Result<const PJson*> array_field(const PJson& obj, const char* key, const std::string& where, bool required) {
  static const PJson k_empty = PJson::array();
  auto it = obj.find(key);
  if (it == obj.end() && !required) {
    return &k_empty;
  }
  if (it == obj.end() || !it->is_array()) {
    return make_error(fmt::format("{}{}: required array", where, key), ErrorKind::invalid);
  }
  return &*it;
}

/// Each element of `arr` as an object, with its path "<where><key>[i]." for messages.
template <typename Fn>
Result<void> each_object(const PJson& arr, const std::string& where, const char* key, Fn fn) {
  for (std::size_t i = 0; i < arr.size(); ++i) {
    const std::string at = fmt::format("{}{}[{}]", where, key, i);
    if (!arr[i].is_object()) {
      return make_error(at + ": must be an object", ErrorKind::invalid);
    }
    NEON_TRY(fn(arr[i], at + "."));
  }
  return {};
}

Result<ComputesBranch> read_branch(const PJson& b, const std::string& at) {
  auto name = string_field(b, "name", at);
  NEON_TRY(name);
  auto timeline = hex_id_field(b, "timeline_id", at);
  NEON_TRY(timeline);
  auto ancestor = optional_string(b, "ancestor_timeline_id", at);
  NEON_TRY(ancestor);
  auto lsn = optional_string(b, "ancestor_start_lsn", at);
  NEON_TRY(lsn);
  auto ts = optional_string(b, "ancestor_timestamp", at);
  NEON_TRY(ts);
  return ComputesBranch{*name, *timeline, *ancestor, *lsn, *ts};
}

Result<ComputesProject> read_project(const PJson& p, const std::string& at) {
  ComputesProject out;
  auto name = string_field(p, "name", at);
  NEON_TRY(name);
  out.name = *name;
  auto tenant = hex_id_field(p, "tenant_id", at);
  NEON_TRY(tenant);
  out.tenant_id = *tenant;
  auto pg = optional_int(p, "pg_version", at, 17, 99);
  NEON_TRY(pg);
  out.pg_version = *pg;
  auto shards = optional_int(p, "shard_count", at, 1, 255);
  NEON_TRY(shards);
  out.shard_count = *shards;
  auto stripe = optional_int(p, "stripe_size", at, 2048, 1 << 30);
  NEON_TRY(stripe);
  out.stripe_size = *stripe;
  if (auto tc = p.find("tenant_config"); tc != p.end()) {
    if (!tc->is_object()) {
      return make_error(at + "tenant_config: must be an object", ErrorKind::invalid);
    }
    out.tenant_config = *tc;
  }
  auto az = optional_string(p, "preferred_az", at);
  NEON_TRY(az);
  out.preferred_az = *az;
  if (auto ips = p.find("allowed_ips"); ips != p.end()) {
    if (!ips->is_array() || !std::all_of(ips->begin(), ips->end(), [](const PJson& v) { return v.is_string(); })) {
      return make_error(at + "allowed_ips: must be an array of strings", ErrorKind::invalid);
    }
    out.allowed_ips = ips->get<std::vector<std::string>>();
  }
  auto branches = array_field(p, "branches", at, false);
  NEON_TRY(branches);
  auto branches_read =
      each_object(**branches, at, "branches", [&](const PJson& b, const std::string& bat) -> Result<void> {
        auto branch = read_branch(b, bat);
        NEON_TRY(branch);
        out.branches.push_back(std::move(*branch));
        return {};
      });
  NEON_TRY(branches_read);
  return out;
}

Result<ComputeEntry> read_compute(const PJson& c, const std::string& at) {
  ComputeEntry e;
  for (auto [key, field] :
       {std::pair<const char*, std::string*>{"compute_id", &e.compute_id}, {"address", &e.address}}) {
    auto v = string_field(c, key, at);
    NEON_TRY(v);
    *field = *v;
  }
  for (auto [key, field] : {std::pair<const char*, std::string*>{"project", &e.project},
                            {"branch", &e.branch},
                            {"endpoint", &e.endpoint},
                            {"deployment", &e.deployment}}) {
    auto v = optional_string(c, key, at);
    NEON_TRY(v);
    *field = *v;
  }
  auto tenant = hex_id_field(c, "tenant_id", at);
  NEON_TRY(tenant);
  e.tenant_id = *tenant;
  auto timeline = hex_id_field(c, "timeline_id", at);
  NEON_TRY(timeline);
  e.timeline_id = *timeline;
  if (auto mode = c.find("mode"); mode != c.end()) {
    if (*mode == "replica") {
      e.mode = ComputeMode::replica;
    } else if (*mode != "primary") {
      return make_error(at + "mode: must be \"primary\" or \"replica\"", ErrorKind::invalid);
    }
  }
  auto pg = optional_int(c, "pg_version", at, 17, 99);
  NEON_TRY(pg);
  e.pg_version = *pg;
  auto port = optional_int(c, "pg_port", at, 0, 65535);
  NEON_TRY(port);
  e.pg_port = *port;
  auto pooler = optional_int(c, "pooler_port", at, 0, 65535);
  NEON_TRY(pooler);
  e.pooler_port = *pooler;
  auto suspend = optional_int(c, "suspend_after_seconds", at, 0, 366 * 86400);
  NEON_TRY(suspend);
  e.suspend_after_seconds = *suspend;
  if (!e.endpoint.empty() && e.deployment.empty()) {
    return make_error(at + "deployment: required with endpoint", ErrorKind::invalid);
  }
  if (auto settings = c.find("settings"); settings != c.end()) {
    if (!settings->is_array()) {
      return make_error(at + "settings: must be an array", ErrorKind::invalid);
    }
    e.settings = *settings;
  }
  for (const auto& key_field : {std::pair<const char*, Json*>{"roles", &e.roles}, {"databases", &e.databases}}) {
    const char* key = key_field.first;
    Json* field = key_field.second;
    auto list = array_field(c, key, at, false);
    NEON_TRY(list);
    auto checked = each_object(**list, at, key, [&](const PJson& item, const std::string& iat) -> Result<void> {
      auto name = string_field(item, "name", iat);
      NEON_TRY(name);
      field->push_back(Json(item));
      return {};
    });
    NEON_TRY(checked);
  }
  for (const Json& r : e.roles) {
    if (!r.contains("secret") || !r["secret"].is_string()) {
      return make_error(at + "roles: every role needs a \"secret\" string", ErrorKind::invalid);
    }
  }
  return e;
}

}  // namespace

Result<ComputesFile> parse_computes(const std::string& text, const std::string& source) {
  auto doc = parse_object(text);
  if (!doc) {
    return make_error(source + ": " + doc.error().message, ErrorKind::invalid);
  }
  const std::string where = source + ": ";
  ComputesFile out;
  auto version = optional_int(*doc, "version", where, 1, 1);
  NEON_TRY(version);
  auto ns = optional_string(*doc, "namespace", where);
  NEON_TRY(ns);
  out.namespace_ = *ns;
  auto sks = array_field(*doc, "safekeepers", where, false);
  NEON_TRY(sks);
  for (const PJson& s : **sks) {
    if (!s.is_string()) {
      return make_error(where + "safekeepers: must be an array of host:port strings", ErrorKind::invalid);
    }
    out.safekeepers.push_back(s.get<std::string>());
  }
  auto projects = array_field(*doc, "projects", where, false);
  NEON_TRY(projects);
  auto projects_read =
      each_object(**projects, where, "projects", [&](const PJson& p, const std::string& at) -> Result<void> {
        auto project = read_project(p, at);
        NEON_TRY(project);
        out.projects.push_back(std::move(*project));
        return {};
      });
  NEON_TRY(projects_read);
  auto computes = array_field(*doc, "computes", where, true);
  NEON_TRY(computes);
  auto computes_read =
      each_object(**computes, where, "computes", [&](const PJson& c, const std::string& at) -> Result<void> {
        auto e = read_compute(c, at);
        NEON_TRY(e);
        if (out.compute(e->compute_id) != nullptr) {
          return make_error(at + "compute_id: duplicate \"" + e->compute_id + "\"", ErrorKind::invalid);
        }
        out.computes.push_back(std::move(*e));
        return {};
      });
  NEON_TRY(computes_read);
  return out;
}

}  // namespace neon::gen
