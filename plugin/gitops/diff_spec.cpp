// The blocking findings of `kubectl neon diff` that come from the spec itself rather than from
// the rendered objects: the IDs that tie a project or branch to its data.
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "generators/layout.hpp"
#include "plugin/gitops/diff_report.hpp"

namespace neon::cli {

namespace {

const gen::Project* project_named(const gen::ClusterSpec& s, const std::string& name) {
  for (const auto& p : s.projects) {
    if (p.name == name) {
      return &p;
    }
  }
  return nullptr;
}

bool has_tenant(const gen::ClusterSpec& s, const std::string& tenant_id) {
  for (const auto& p : s.projects) {
    if (p.tenant_id == tenant_id) {
      return true;
    }
  }
  return false;
}

const gen::Branch* branch_named(const gen::Project& p, const std::string& name) {
  for (const auto& b : p.branches) {
    if (b.name == name) {
      return &b;
    }
  }
  return nullptr;
}

bool has_timeline(const gen::ClusterSpec& s, const std::string& timeline_id) {
  for (const auto& p : s.projects) {
    for (const auto& b : p.branches) {
      if (b.timeline_id == timeline_id) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

void check_spec_changes(const gen::ClusterSpec* before, const gen::ClusterSpec* after, DiffReport& report) {
  if (before == nullptr || after == nullptr) {
    return;
  }
  for (const auto& old : before->projects) {
    const gen::Project* now = project_named(*after, old.name);
    if (now == nullptr) {
      if (!has_tenant(*after, old.tenant_id)) {
        report.blocking.push_back(fmt::format(
            "project {} (tenant {}) removed from the spec: its computes go, but the tenant and its data stay on the "
            "pageservers and in object storage, unmanaged; if that is intended, delete the tenant through the storage "
            "controller afterwards",
            old.name, old.tenant_id));
      }
      continue;
    }
    if (now->tenant_id != old.tenant_id) {
      report.blocking.push_back(fmt::format(
          "project {}: tenantId changed ({} -> {}): the computes would open a new, empty tenant and the old "
          "tenant's data is orphaned; put the old tenantId back",
          old.name, old.tenant_id, now->tenant_id));
      continue;
    }
    for (const auto& b : old.branches) {
      const gen::Branch* nb = branch_named(*now, b.name);
      if (nb == nullptr) {
        if (!has_timeline(*after, b.timeline_id)) {
          report.blocking.push_back(fmt::format(
              "branch {}/{} (timeline {}) removed from the spec: its compute goes, but the timeline and its data "
              "stay, unmanaged; if that is intended, delete the timeline through the storage controller afterwards",
              old.name, b.name, b.timeline_id));
        }
      } else if (nb->timeline_id != b.timeline_id) {
        report.blocking.push_back(fmt::format(
            "branch {}/{}: timelineId changed ({} -> {}): the compute would start on a timeline that does not hold "
            "this branch's data, and the old timeline is orphaned; put the old timelineId back",
            old.name, b.name, b.timeline_id, nb->timeline_id));
      }
    }
  }
}

void add_units(const gen::ValidSpec* before, const gen::ValidSpec* after, DiffReport& report) {
  const bool split_before = before != nullptr && gen::split_by_project(*before);
  const bool split_after = after != nullptr && gen::split_by_project(*after);
  if (!split_before && !split_after) {
    return;
  }
  const auto units_after = after != nullptr ? gen::object_units(*after) : std::map<std::string, std::string>{};
  const auto units_before = before != nullptr ? gen::object_units(*before) : std::map<std::string, std::string>{};
  for (auto& c : report.changes) {
    const auto& units = c.action == Action::deleted ? units_before : units_after;
    const auto it = units.find(c.id());
    c.unit = it != units.end() ? it->second : std::string();
  }
  if (before != nullptr && after != nullptr && split_before != split_after) {
    report.warnings.push_back(fmt::format(
        "spec.gitops.split changes ({} -> {}): the compute objects move between compute/ and projects/<project>/ "
        "and to other Argo CD Applications or Flux Kustomizations (bootstrap/{}/); the objects themselves stay as "
        "shown",
        split_before ? "project" : "none", split_after ? "project" : "none", (*after)->name));
  }
}

std::vector<std::string> unit_summary(const DiffReport& r) {
  // Split by project: what each Application or Kustomization will sync, projects by name.
  std::map<std::string, std::vector<const ObjectChange*>> by_unit;
  for (const auto& c : r.changes) {
    if (!c.unit.empty()) {
      by_unit[c.unit].push_back(&c);
    }
  }
  std::vector<std::string> out;
  if (by_unit.empty()) {
    return out;
  }
  out.push_back(
      fmt::format("By folder ({} to sync: one Argo CD Application or Flux Kustomization each)", by_unit.size()));
  for (const auto& [unit, changes] : by_unit) {
    out.push_back(fmt::format("  {} ({})", unit, changes.size()));
    for (const auto* c : changes) {
      const char* mark = c->action == Action::added ? "+" : c->action == Action::deleted ? "-" : "±";
      out.push_back(fmt::format("    {} {}", mark, c->id()));
    }
  }
  return out;
}

Result<DiffReport> diff_specs(const gen::ValidSpec& before, const gen::ValidSpec& after) {
  auto report = diff_streams(gen::render_stream(before), gen::render_stream(after));
  if (report) {
    check_spec_changes(&before.spec(), &after.spec(), *report);
    add_units(&before, &after, *report);
  }
  return report;
}

}  // namespace neon::cli
