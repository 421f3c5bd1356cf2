#include "plugin/commands/sync_plan.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "generators/spec_parse.hpp"

namespace neon::cli::sync {

namespace {

/// Two config values alike: equal JSON, or two strings that are the same humantime duration.
bool same_value(const nlohmann::json& a, const nlohmann::json& b) {
  if (a == b) {
    return true;
  }
  if (a.is_string() && b.is_string()) {
    const auto da = gen::humantime_duration(a.get<std::string>());
    return da && da == gen::humantime_duration(b.get<std::string>());
  }
  return false;
}

/// The timelines of `timelines` ordered so that each comes after its ancestor (`ancestor_of`).
template <typename T>
std::vector<const T*> parents_first(const std::vector<T>& items, const std::function<std::string(const T&)>& id_of,
                                    const std::function<std::string(const T&)>& ancestor_of) {
  std::vector<const T*> out;
  std::set<std::string> placed;
  std::set<std::string> present;
  for (const auto& t : items) {
    present.insert(id_of(t));
  }
  while (out.size() < items.size()) {
    const std::size_t before = out.size();
    for (const auto& t : items) {
      const std::string a = ancestor_of(t);
      if (placed.count(id_of(t)) == 0 && (a.empty() || placed.count(a) != 0 || present.count(a) == 0)) {
        out.push_back(&t);
        placed.insert(id_of(t));
      }
    }
    if (out.size() == before) {  // a cycle (not in a valid spec or a real controller): keep the rest as listed
      for (const auto& t : items) {
        if (placed.insert(id_of(t)).second) {
          out.push_back(&t);
        }
      }
    }
  }
  return out;
}

}  // namespace

std::vector<const storcon::TimelineInfo*> children_first(const std::vector<storcon::TimelineInfo>& timelines) {
  auto order = parents_first<storcon::TimelineInfo>(
      timelines, [](const storcon::TimelineInfo& t) { return t.timeline_id; },
      [](const storcon::TimelineInfo& t) { return t.ancestor_timeline_id; });
  std::reverse(order.begin(), order.end());
  return order;
}

const char* action_name(Action a) {
  switch (a) {
    case Action::create_tenant:
      return "create tenant";
    case Action::set_config:
      return "set tenant config";
    case Action::set_preferred_az:
      return "set preferred zone";
    case Action::split:
      return "split tenant";
    case Action::create_timeline:
      return "create timeline";
    case Action::shards_above_spec:
      return "more shards than the spec";
    case Action::extra_timeline:
      return "timeline not in the spec";
    case Action::extra_tenant:
      return "tenant not in the spec";
  }
  return "";
}

std::size_t Plan::fixable() const {
  return static_cast<std::size_t>(std::count_if(changes.begin(), changes.end(), [](const Change& c) {
    return c.action == Action::create_tenant || c.action == Action::set_config ||
           c.action == Action::set_preferred_az || c.action == Action::split || c.action == Action::create_timeline;
  }));
}

std::size_t Plan::prunable() const {
  return static_cast<std::size_t>(std::count_if(changes.begin(), changes.end(), [](const Change& c) {
    return c.action == Action::extra_timeline || c.action == Action::extra_tenant;
  }));
}

bool same_config(const nlohmann::json& want, const nlohmann::json& live, std::vector<std::string>& differing) {
  std::set<std::string> keys;
  for (const auto& [k, v] : want.items()) {
    keys.insert(k);
  }
  if (live.is_object()) {
    for (const auto& [k, v] : live.items()) {
      if (!v.is_null()) {
        keys.insert(k);
      }
    }
  }
  for (const auto& k : keys) {
    const nlohmann::json a = want.contains(k) ? want[k] : nlohmann::json();
    const nlohmann::json b = live.is_object() && live.contains(k) ? live[k] : nlohmann::json();
    if (!same_value(a, b)) {
      differing.push_back(k);
    }
  }
  return differing.empty();
}

Plan make_plan(const gen::ComputesFile& spec, const std::map<std::string, LiveTenant>& live) {
  Plan plan;
  std::set<std::string> spec_tenants;
  for (const auto& p : spec.projects) {
    spec_tenants.insert(p.tenant_id);
    const auto it = live.find(p.tenant_id);
    const auto branches = parents_first<gen::ComputesBranch>(
        p.branches, [](const gen::ComputesBranch& b) { return b.timeline_id; },
        [](const gen::ComputesBranch& b) { return b.ancestor_timeline_id; });
    Change base;
    base.tenant_id = p.tenant_id;
    base.project = p.name;
    if (it == live.end()) {
      Change c = base;
      c.action = Action::create_tenant;
      c.to_shards = p.shard_count;
      plan.changes.push_back(c);
      for (const auto* b : branches) {
        Change t = base;
        t.action = Action::create_timeline;
        t.timeline_id = b->timeline_id;
        t.branch = b->name;
        plan.changes.push_back(t);
      }
      continue;
    }
    const LiveTenant& l = it->second;
    std::vector<std::string> differing;
    if (!same_config(p.tenant_config, l.tenant.config, differing)) {
      Change c = base;
      c.action = Action::set_config;
      c.keys = differing;
      plan.changes.push_back(c);
    }
    if (!p.preferred_az.empty()) {
      Change c = base;
      c.action = Action::set_preferred_az;
      c.zone = p.preferred_az;
      for (const auto& s : l.tenant.shards) {
        if (s.preferred_az != p.preferred_az) {
          c.shards.push_back(s.tenant_shard_id);
        }
      }
      if (!c.shards.empty()) {
        plan.changes.push_back(c);
      }
    }
    const bool splitting = std::any_of(l.tenant.shards.begin(), l.tenant.shards.end(),
                                       [](const storcon::Shard& s) { return s.is_splitting; });
    const int live_shards = static_cast<int>(std::max<std::size_t>(1, l.tenant.shards.size()));
    if (!splitting && live_shards != p.shard_count) {
      Change c = base;
      c.action = live_shards < p.shard_count ? Action::split : Action::shards_above_spec;
      c.from_shards = live_shards;
      c.to_shards = p.shard_count;
      plan.changes.push_back(c);
    }
    if (!l.timelines_known) {
      continue;
    }
    std::set<std::string> spec_timelines;
    for (const auto* b : branches) {
      spec_timelines.insert(b->timeline_id);
      const bool present = std::any_of(l.timelines.begin(), l.timelines.end(),
                                       [&](const storcon::TimelineInfo& t) { return t.timeline_id == b->timeline_id; });
      if (!present) {
        Change t = base;
        t.action = Action::create_timeline;
        t.timeline_id = b->timeline_id;
        t.branch = b->name;
        plan.changes.push_back(t);
      }
    }
    for (const auto* t : children_first(l.timelines)) {
      if (spec_timelines.count(t->timeline_id) == 0) {
        Change c = base;
        c.action = Action::extra_timeline;
        c.timeline_id = t->timeline_id;
        plan.changes.push_back(c);
      }
    }
  }
  for (const auto& [id, l] : live) {
    if (spec_tenants.count(id) != 0) {
      continue;
    }
    for (const auto* t : children_first(l.timelines)) {
      Change c;
      c.action = Action::extra_timeline;
      c.tenant_id = id;
      c.timeline_id = t->timeline_id;
      plan.changes.push_back(c);
    }
    Change c;
    c.action = Action::extra_tenant;
    c.tenant_id = id;
    c.from_shards = static_cast<int>(l.tenant.shards.size());
    plan.changes.push_back(c);
  }
  return plan;
}

std::string plan_text(const Plan& plan, bool prune) {
  std::string out;
  for (const auto& c : plan.changes) {
    const std::string tenant = c.project.empty() ? fmt::format("tenant {}", c.tenant_id)
                                                 : fmt::format("project {} (tenant {})", c.project, c.tenant_id);
    const std::string timeline = c.branch.empty() ? fmt::format("timeline {}", c.timeline_id)
                                                  : fmt::format("branch {} (timeline {})", c.branch, c.timeline_id);
    switch (c.action) {
      case Action::create_tenant:
        out += fmt::format("+ create {} with {} shard{}\n", tenant, c.to_shards, c.to_shards == 1 ? "" : "s");
        break;
      case Action::set_config:
        out += fmt::format("~ set the tenant config of {} ({} differ{})\n", tenant, fmt::join(c.keys, ", "),
                           c.keys.size() == 1 ? "s" : "");
        break;
      case Action::set_preferred_az:
        out += fmt::format("~ prefer zone {} for {} ({} shard{})\n", c.zone, tenant, c.shards.size(),
                           c.shards.size() == 1 ? "" : "s");
        break;
      case Action::split:
        out += fmt::format("~ split {} from {} to {} shards\n", tenant, c.from_shards, c.to_shards);
        break;
      case Action::create_timeline:
        out += fmt::format("+ create {} of {}\n", timeline, tenant);
        break;
      case Action::shards_above_spec:
        out += fmt::format(
            "! {} has {} shards, the spec asks for {}: a split cannot be undone; set shards.count to "
            "{} in the spec\n",
            tenant, c.from_shards, c.to_shards, c.from_shards);
        break;
      case Action::extra_timeline:
        out += fmt::format("{} {} of {}: not in the spec\n", prune ? "- delete" : "? keep", timeline, tenant);
        break;
      case Action::extra_tenant:
        out += fmt::format("{} {}: not in the spec\n", prune ? "- delete" : "? keep", tenant);
        break;
    }
  }
  return out;
}

const char* action_id(Action a) {
  static const char* const k_ids[] = {"create_tenant",   "set_config",        "set_preferred_az", "split",
                                      "create_timeline", "shards_above_spec", "extra_timeline",   "extra_tenant"};
  return k_ids[static_cast<int>(a)];
}

nlohmann::json plan_json(const Plan& plan) {
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& c : plan.changes) {
    nlohmann::json j{{"action", action_id(c.action)}, {"tenant_id", c.tenant_id}};
    if (!c.project.empty()) {
      j["project"] = c.project;
    }
    if (!c.timeline_id.empty()) {
      j["timeline_id"] = c.timeline_id;
    }
    if (!c.branch.empty()) {
      j["branch"] = c.branch;
    }
    if (c.action == Action::split || c.action == Action::shards_above_spec || c.action == Action::create_tenant) {
      j["shards"] = nlohmann::json{{"live", c.from_shards}, {"spec", c.to_shards}};
    }
    if (!c.keys.empty()) {
      j["keys"] = c.keys;
    }
    if (c.action == Action::set_preferred_az) {
      j["zone"] = c.zone;
      j["shards"] = c.shards;
    }
    changes.push_back(std::move(j));
  }
  return {{"changes", changes}, {"drift", !plan.changes.empty()}};
}

}  // namespace neon::cli::sync
