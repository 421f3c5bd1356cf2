// Readers for spec.projects: each project with its shards, tenant config (read in
// spec_parse_tenant_config.cpp) and branches.
#include "generators/spec_parse_internal.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "generators/spec_parse.hpp"

namespace neon::gen::detail {

namespace {

std::vector<SqlOption> read_options(Reader& r, const YAML::Node& n, const std::string& p, const char* table) {
  std::vector<SqlOption> out;
  const auto items = r.list(n, p, "options");
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string op = fmt::format("{}.options[{}]", p, i);
    SqlOption o;
    if (r.map(items[i], op, table)) {
      set_if(r.string(items[i], op, "name"), o.name);
      if (auto v = r.string(items[i], op, "value")) {
        o.value = *v;
      }
      set_if(r.string(items[i], op, "vartype"), o.vartype);
    }
    out.push_back(std::move(o));
  }
  return out;
}

/// `roles` or `databases` of a branch: absent leaves nullopt (inherited), a list (even empty) is its own.
template <typename T, typename ReadOne>
void read_named_list(Reader& r, const YAML::Node& n, const std::string& p, const char* key,
                     std::optional<std::vector<T>>& out, ReadOne read_one) {
  if (!Reader::present(n, key)) {
    return;
  }
  out.emplace();
  const auto items = r.list(n, p, key);
  for (std::size_t i = 0; i < items.size(); ++i) {
    T item;
    read_one(items[i], fmt::format("{}.{}[{}]", p, key, i), item);
    out->push_back(std::move(item));
  }
}

/// `compute.pooler` at `p` (the compute section's path): true/false, or a map with `enabled`
/// (default true) and `settings`, a map of pgbouncer settings whose values are numbers or strings.
/// Setting names and value forms are checked by validate (check_pooler, generators/pooler.cpp).
void read_pooler(Reader& r, const YAML::Node& c, const std::string& p, PoolerSpec& out) {
  const YAML::Node v = r.child(c, p, "pooler");
  if (!v.IsDefined()) {
    return;
  }
  const std::string pp = p + ".pooler";
  if (v.IsScalar()) {
    set_if(r.boolean(c, p, "pooler"), out.enabled);
    return;
  }
  if (!v.IsMap()) {
    r.error(mark_of(v), pp, fmt::format("must be true, false or a map with enabled and settings, got {}", describe(v)),
            DiagKind::invalid);
    return;
  }
  r.map(v, pp, "spec.projects[].branches[].compute.pooler");
  out.enabled = true;
  set_if(r.boolean(v, pp, "enabled"), out.enabled);
  const YAML::Node s = r.child(v, pp, "settings");
  if (!s.IsDefined()) {
    return;
  }
  const std::string sp = pp + ".settings";
  if (!s.IsMap()) {
    r.error(mark_of(s), sp, fmt::format("must be a map of pgbouncer settings, got {}", describe(s)), DiagKind::invalid);
    return;
  }
  for (auto it = s.begin(); it != s.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      r.error(mark_of(key), sp, "keys must be strings");
      continue;
    }
    const std::string k = key.Scalar();
    const std::string kp = Reader::join(sp, k);
    r.child(s, sp, k);  // records the value's mark for validate's messages
    if (out.settings.count(k) != 0) {
      r.error(mark_of(key), kp, "duplicate key");
      continue;
    }
    // A plain true/false is YAML's boolean; pgbouncer's switches are integers (1 or 0).
    static const std::set<std::string> k_yaml_bools = {"true", "True", "TRUE", "false", "False", "FALSE"};
    const bool plain = value.IsScalar() && value.Tag() != "!";
    if (!value.IsScalar() || (plain && k_yaml_bools.count(value.Scalar()) != 0)) {
      r.error(mark_of(value), kp,
              fmt::format("must be a number or a string, got {}{}", describe(value),
                          value.IsScalar() ? ": pgbouncer takes 1 or 0 for on and off" : ""),
              DiagKind::invalid);
      continue;
    }
    out.settings[k] = value.Scalar();
  }
}

void read_branch(Reader& r, const YAML::Node& n, const std::string& p, Branch& b) {
  if (!r.map(n, p, "spec.projects[].branches[]")) {
    return;
  }
  set_if(r.string(n, p, "name"), b.name);
  set_if(r.string(n, p, "endpoint"), b.endpoint);
  set_if(r.string(n, p, "timelineId"), b.timeline_id);
  set_if(r.string(n, p, "parent"), b.parent);
  set_if(r.string(n, p, "lsn"), b.lsn);
  set_if(r.string(n, p, "timestamp"), b.timestamp);
  const YAML::Node c = r.section(n, p, "compute", "spec.projects[].branches[].compute");
  if (c.IsDefined()) {
    set_if(r.number(c, p + ".compute", "size"), b.compute.size);
    if (auto rr = r.integer(c, p + ".compute", "readReplicas")) {
      b.compute.read_replicas = static_cast<int>(std::clamp<long long>(*rr, -1, 1000));
    }
    read_pooler(r, c, p + ".compute", b.compute.pooler);
    // Checked by validate (check_endpoints): a humantime duration of at least a minute.
    set_if(r.string(c, p + ".compute", "suspendAfter"), b.compute.suspend_after);
    if (auto d = humantime_duration(b.compute.suspend_after); d && !b.compute.suspend_after.empty()) {
      b.compute.suspend_after_seconds = static_cast<long>(std::min<std::uint64_t>(d->first, 366ULL * 86400));
    }
  }
  read_named_list(r, n, p, "roles", b.roles, [&](const YAML::Node& item, const std::string& ip, Role& role) {
    if (r.map(item, ip, "spec.projects[].branches[].roles[]")) {
      set_if(r.string(item, ip, "name"), role.name);
      role.options = read_options(r, item, ip, "spec.projects[].branches[].roles[].options[]");
    }
  });
  read_named_list(r, n, p, "databases", b.databases, [&](const YAML::Node& item, const std::string& ip, Database& db) {
    if (r.map(item, ip, "spec.projects[].branches[].databases[]")) {
      set_if(r.string(item, ip, "name"), db.name);
      set_if(r.string(item, ip, "owner"), db.owner);
      db.options = read_options(r, item, ip, "spec.projects[].branches[].databases[].options[]");
    }
  });
}

}  // namespace

void read_project(Reader& r, const YAML::Node& n, const std::string& p, Project& pr) {
  if (!r.map(n, p, "spec.projects[]")) {
    return;
  }
  set_if(r.string(n, p, "name"), pr.name);
  if (auto v = r.integer(n, p, "pgVersion")) {
    pr.pg_version = static_cast<int>(std::clamp<long long>(*v, -1, 1000));
  }
  set_if(r.string(n, p, "preferredZone"), pr.preferred_zone);
  if (Reader::present(n, "allowedIps")) {
    pr.allowed_ips = r.string_list(n, p, "allowedIps");
  }
  set_if(r.string(n, p, "tenantId"), pr.tenant_id);
  const YAML::Node sh = r.section(n, p, "shards", "spec.projects[].shards");
  if (sh.IsDefined()) {
    if (auto c = r.integer(sh, p + ".shards", "count")) {
      pr.shard_count = static_cast<int>(std::clamp<long long>(*c, -1, 100000));
    }
    if (auto s = r.integer(sh, p + ".shards", "stripeSize")) {
      pr.stripe_size = static_cast<int>(std::clamp<long long>(*s, -1, 1LL << 30));
    }
  }
  const YAML::Node tc = r.child(n, p, "tenantConfig");
  if (tc.IsDefined()) {
    read_tenant_config(r, tc, p + ".tenantConfig", pr.tenant_config);
  }
  const auto branches = r.list(n, p, "branches");
  for (std::size_t i = 0; i < branches.size(); ++i) {
    Branch b;
    read_branch(r, branches[i], fmt::format("{}.branches[{}]", p, i), b);
    pr.branches.push_back(std::move(b));
  }
}

}  // namespace neon::gen::detail
