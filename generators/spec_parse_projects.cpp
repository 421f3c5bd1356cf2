// Readers for spec.projects: each project with its shards, tenant config (kept as JSON values for
// the storage controller) and branches.
#include "generators/spec_parse_internal.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "generators/spec_parse.hpp"

namespace neon::gen::detail {

namespace {

std::string scalar_json(const YAML::Node& v) {
  const std::string& s = v.Scalar();
  if (v.Tag() != "!") {
    if (s == "true" || s == "false") {
      return s;
    }
    char* end = nullptr;
    (void)std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) {
      return s;
    }
  }
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string node_json(const YAML::Node& v, int depth) {
  if (depth > k_max_nesting) {
    return "null";
  }
  if (v.IsScalar()) {
    return scalar_json(v);
  }
  if (v.IsSequence()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
      out += (i ? "," : "") + node_json(v[i], depth + 1);
    }
    return out + "]";
  }
  if (v.IsMap()) {
    std::map<std::string, std::string> sorted;
    for (auto it = v.begin(); it != v.end(); ++it) {
      sorted[it->first.Scalar()] = node_json(it->second, depth + 1);
    }
    std::string out = "{";
    bool first = true;
    for (const auto& [k, val] : sorted) {
      out += (first ? "" : ",") + scalar_json(YAML::Node(k)) + ":" + val;
      first = false;
    }
    return out + "}";
  }
  return "null";
}

void read_branch(Reader& r, const YAML::Node& n, const std::string& p, Branch& b) {
  if (!r.map(n, p, "spec.projects[].branches[]")) {
    return;
  }
  set_if(r.string(n, p, "name"), b.name);
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
  }
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
    const std::string tp = p + ".tenantConfig";
    if (!tc.IsMap()) {
      r.error(mark_of(tc), tp, fmt::format("must be a map, got {}", describe(tc)));
    } else {
      std::set<std::string> seen;
      for (auto it = tc.begin(); it != tc.end(); ++it) {
        const std::string k = it->first.Scalar();
        if (!seen.insert(k).second) {
          r.error(mark_of(it->first), tp + "." + k, "duplicate key");
          continue;
        }
        const auto& known = tenant_config_keys();
        if (std::find(known.begin(), known.end(), k) == known.end()) {
          r.error(mark_of(it->first), tp,
                  fmt::format("unknown tenant config \"{}\"{}", k, suggestion_suffix(k, known)));
          continue;
        }
        pr.tenant_config.push_back({k, node_json(it->second, 0)});
      }
      std::sort(pr.tenant_config.begin(), pr.tenant_config.end(),
                [](const auto& a, const auto& b) { return a.key < b.key; });
    }
  }
  const auto branches = r.list(n, p, "branches");
  for (std::size_t i = 0; i < branches.size(); ++i) {
    Branch b;
    read_branch(r, branches[i], fmt::format("{}.branches[{}]", p, i), b);
    pr.branches.push_back(std::move(b));
  }
}

}  // namespace neon::gen::detail
