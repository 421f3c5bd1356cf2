#include "plugin/gitops/diff_report.hpp"
#include "plugin/gitops/diff_risks.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "generators/emit.hpp"

namespace neon::cli {

namespace {

using gen::Json;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(line);
  }
  return out;
}

std::string str_at(const Json& j, const Json::json_pointer& p) {
  return j.contains(p) && j.at(p).is_string() ? j.at(p).get<std::string>() : std::string();
}

/// kustomize appends `-<10 characters>` to generated ConfigMaps and Secrets; pair them by the rest.
std::string base_name(const std::string& kind, const std::string& name) {
  if (kind != "ConfigMap" && kind != "Secret") {
    return name;
  }
  const auto dash = name.rfind('-');
  if (dash == std::string::npos || name.size() - dash - 1 != 10) {
    return name;
  }
  const bool hashy = std::all_of(name.begin() + static_cast<std::ptrdiff_t>(dash) + 1, name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
  });
  return hashy ? name.substr(0, dash) : name;
}

/// An object of one side, by reference: the sides are large (the computes ConfigMap of a big
/// cluster alone is megabytes), so they are never copied whole.
struct Keyed {
  std::string kind, ns, name;
  const Json* object = nullptr;
  const Json& body() const { return *object; }
};

std::map<std::string, Keyed> index(const std::vector<Json>& objects) {
  std::map<std::string, Keyed> out;
  for (const auto& o : objects) {
    Keyed k{str_at(o, Json::json_pointer("/kind")), str_at(o, Json::json_pointer("/metadata/namespace")),
            str_at(o, Json::json_pointer("/metadata/name")), &o};
    out[k.kind + "/" + k.ns + "/" + base_name(k.kind, k.name)] = std::move(k);
  }
  return out;
}

/// Secret values never reach the output; a changed value says so without showing either side.
void mask_secret(Json& obj, const Json* other, const char* side) {
  if (!obj.is_object() || obj.value("kind", "") != "Secret") {
    return;
  }
  for (const char* field : {"data", "stringData"}) {
    if (!obj.contains(field) || !obj[field].is_object()) {
      continue;
    }
    for (auto& [key, value] : obj[field].items()) {
      const bool changed =
          other != nullptr && other->contains(field) && (*other)[field].contains(key) && (*other)[field][key] != value;
      value = changed ? fmt::format("*** ({})", side) : "***";
    }
  }
}

const Json* find(const Json& j, const char* pointer) {
  const Json::json_pointer p(pointer);
  return j.contains(p) ? &j.at(p) : nullptr;
}

bool field_differs(const Json& a, const Json& b, const char* pointer) {
  const Json* x = find(a, pointer);
  const Json* y = find(b, pointer);
  if (x == nullptr || y == nullptr) {
    return (x == nullptr) != (y == nullptr);
  }
  return *x != *y;
}

int replicas(const Json& o) {
  const Json* r = find(o, "/spec/replicas");
  return r != nullptr && r->is_number_integer() ? r->get<int>() : 1;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

std::string component_of(const Json& o) {
  return str_at(o, Json::json_pointer("/metadata/labels/app.kubernetes.io~1component"));
}

/// Changes that restart or reshape the stateful components: each is an availability risk even
/// when the apply goes through.
void check_restarts(const Keyed& o, const Json& now, const std::string& id, DiffReport& report) {
  const std::string component = component_of(o.body());
  if (o.kind == "StatefulSet" && field_differs(o.body(), now, "/spec/template")) {
    if (component == "pageserver") {
      report.warnings.push_back(fmt::format(
          "{}: pod template changed: nothing restarts on sync (updateStrategy OnDelete); restart its pageservers "
          "one at a time: kubectl neon drain ID, delete the pod, wait until it is Active, kubectl neon fill ID "
          "(README \"Upgrading Neon\")",
          id));
    } else if (component == "safekeeper") {
      report.warnings.push_back(fmt::format(
          "{}: pod template changed: nothing restarts on sync (updateStrategy OnDelete); delete its pods one at a "
          "time, each once the last is Ready: writes go on only while a majority of each timeline's safekeepers "
          "is up",
          id));
    }
  }
  if (o.kind == "Deployment" && component == "storage-controller") {
    if (field_differs(o.body(), now, "/spec/replicas") || field_differs(o.body(), now, "/spec/strategy")) {
      const auto strategy = [](const Json& d) {
        const Json::json_pointer p("/spec/strategy/type");
        return d.contains(p) ? d.at(p).get<std::string>() : std::string("RollingUpdate");
      };
      report.warnings.push_back(fmt::format(
          "{}: replicas or update strategy changed ({} x {} -> {} x {}): the storage controller restarts, and may "
          "have no leader while it rolls; attach, migration and compute notifications pause meanwhile",
          id, replicas(o.body()), strategy(o.body()), replicas(now), strategy(now)));
    }
  }
}

void check_risks(const std::map<std::string, Keyed>& before, const std::map<std::string, Keyed>& after,
                 DiffReport& report) {
  int sk_before = 0;
  int sk_after = 0;
  for (const auto& [key, o] : before) {
    if (o.kind == "StatefulSet" && starts_with(o.name, "safekeeper")) {
      sk_before += replicas(o.body());
    }
  }
  for (const auto& [key, o] : after) {
    if (o.kind == "StatefulSet" && starts_with(o.name, "safekeeper")) {
      sk_after += replicas(o.body());
    }
  }
  if (sk_after < sk_before) {
    report.warnings.push_back(
        fmt::format("fewer safekeepers ({} -> {}): fewer than 3 loses the write quorum's fault "
                    "tolerance",
                    sk_before, sk_after));
  }
  for (const auto& [key, o] : before) {
    const auto it = after.find(key);
    const std::string id = o.kind + "/" + o.ns + "/" + o.name;
    if (it == after.end()) {
      if (o.kind == "StatefulSet" && starts_with(o.name, "pageserver")) {
        report.warnings.push_back(fmt::format("pageserver StatefulSet {} removed: drain its tenants first", id));
      } else if (o.kind == "StatefulSet" || o.kind == "PersistentVolumeClaim" || o.kind == "Namespace") {
        report.warnings.push_back(fmt::format("{} deleted: its data goes with it", id));
      }
      continue;
    }
    const Json& now = it->second.body();
    check_restarts(o, now, id, report);
    if (o.kind == "StatefulSet") {
      if (const std::string first = removed_node_advice(o.body(), now); !first.empty()) {
        report.warnings.push_back(
            fmt::format("{} scaled down ({} -> {}): the storage controller must let go of the "
                        "removed nodes before their pods go; run first:{}",
                        id, replicas(o.body()), replicas(now), first));
      }
      for (const char* f :
           {"/spec/selector", "/spec/volumeClaimTemplates", "/spec/serviceName", "/spec/podManagementPolicy"}) {
        if (field_differs(o.body(), now, f)) {
          report.blocking.push_back(
              fmt::format("{}: immutable field {} changed; the apply will be rejected until "
                          "the StatefulSet is deleted (with --cascade=orphan) and recreated",
                          id, std::string(f + 1)));
        }
      }
    } else if (o.kind == "Service" && find(o.body(), "/spec/clusterIP") != nullptr &&
               field_differs(o.body(), now, "/spec/clusterIP")) {
      report.blocking.push_back(fmt::format("{}: immutable field spec.clusterIP changed", id));
    } else if (o.kind == "Job" && field_differs(o.body(), now, "/spec/template")) {
      report.blocking.push_back(fmt::format("{}: a Job's pod template is immutable; delete the Job first", id));
    }
  }
}

void count_lines(ObjectChange& c) {
  for (const auto& line : split_lines(c.diff)) {
    if (starts_with(line, "+++") || starts_with(line, "---")) {
      continue;
    }
    c.additions += starts_with(line, "+") ? 1 : 0;
    c.deletions += starts_with(line, "-") ? 1 : 0;
  }
}

const char* action_word(Action a) {
  switch (a) {
    case Action::added:
      return "Added";
    case Action::modified:
      return "Modified";
    case Action::deleted:
      return "Deleted";
  }
  return "";
}

const char* action_mark(Action a) {
  switch (a) {
    case Action::added:
      return "+";
    case Action::modified:
      return "±";
    case Action::deleted:
      return "-";
  }
  return "";
}

std::string summary_line(const ObjectChange& c) {
  std::string renamed = c.old_name.empty() || c.old_name == c.name ? "" : fmt::format(" (was {})", c.old_name);
  return fmt::format("{} {}{} (+{} -{})", action_mark(c.action), c.id(), renamed, c.additions, c.deletions);
}

std::vector<std::string> summary(const DiffReport& r) {
  std::vector<std::string> out;
  for (Action a : {Action::added, Action::deleted, Action::modified}) {
    std::vector<std::string> group;
    for (const auto& c : r.changes) {
      if (c.action == a) {
        group.push_back(summary_line(c));
      }
    }
    if (!group.empty()) {
      out.push_back(fmt::format("{} ({})", action_word(a), group.size()));
      for (auto& g : group) {
        out.push_back("  " + g);
      }
    }
  }
  for (auto& line : unit_summary(r)) {
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace

namespace {

/// Objects that hold data, or whose deletion takes data with it: a sync never prunes them (they
/// carry Prune=false / prune: Disabled), so one that leaves the tree stays behind, unmanaged,
/// with its volumes. That is work by hand, so it blocks.
void check_data_deletions(DiffReport& report) {
  for (const auto& c : report.changes) {
    const bool holds_data = c.kind == "StatefulSet" || c.kind == "PersistentVolumeClaim" || c.kind == "Namespace";
    if (c.action != Action::deleted || !holds_data) {
      continue;
    }
    const char* first = c.name.rfind("pageserver", 0) == 0   ? "drain its pageservers (kubectl neon drain)"
                        : c.name.rfind("safekeeper", 0) == 0 ? "migrate its timelines to other safekeepers"
                                                             : "move its data elsewhere";
    report.blocking.push_back(
        fmt::format("{} leaves the tree: syncs never prune it, so it stays behind unmanaged "
                    "with its data; {} first, then delete it and its PersistentVolumeClaims "
                    "by hand",
                    c.id(), first));
  }
}

}  // namespace

DiffReport diff_objects(const std::vector<Json>& before, const std::vector<Json>& after) {
  const auto a = index(before);
  const auto b = index(after);
  DiffReport report;
  std::map<std::string, bool> keys;
  for (const auto& [k, v] : a) {
    keys[k] = true;
  }
  for (const auto& [k, v] : b) {
    keys[k] = true;
  }
  for (const auto& [key, unused] : keys) {
    const auto ia = a.find(key);
    const auto ib = b.find(key);
    ObjectChange c;
    if (ia != a.end() && ib != b.end() && ia->second.body() == ib->second.body()) {
      continue;
    }
    Json old_body = ia != a.end() ? ia->second.body() : Json();
    Json new_body = ib != b.end() ? ib->second.body() : Json();
    const Keyed& any = ib != b.end() ? ib->second : ia->second;
    c.kind = any.kind;
    c.namespace_ = any.ns;
    c.name = any.name;
    if (ia != a.end() && ib != b.end()) {
      c.action = Action::modified;
      c.old_name = ia->second.name;
      mask_secret(old_body, &ib->second.body(), "before");
      mask_secret(new_body, &ia->second.body(), "after");
    } else {
      c.action = ia == a.end() ? Action::added : Action::deleted;
      mask_secret(old_body, nullptr, "");
      mask_secret(new_body, nullptr, "");
    }
    const std::string ta = old_body.is_null() ? "" : gen::to_yaml(old_body);
    const std::string tb = new_body.is_null() ? "" : gen::to_yaml(new_body);
    const std::string label = c.kind + "/" + c.namespace_ + "/";
    c.diff = unified_diff(ta, tb, ia != a.end() ? "a/" + label + ia->second.name : "/dev/null",
                          ib != b.end() ? "b/" + label + ib->second.name : "/dev/null");
    count_lines(c);
    report.changes.push_back(std::move(c));
  }
  std::stable_sort(report.changes.begin(), report.changes.end(), [](const ObjectChange& x, const ObjectChange& y) {
    return x.action != y.action ? x.action < y.action : x.id() < y.id();
  });
  check_risks(a, b, report);
  check_data_deletions(report);
  return report;
}

namespace {

/// The documents of a rendered stream, split at its `---` lines (render_stream writes no other;
/// block scalars are indented, so none of their lines is one).
std::vector<std::string_view> split_documents(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    while (end < text.size() && text.compare(end, 4, "---\n") != 0 && text.substr(end) != "---") {
      const auto nl = text.find('\n', end);
      end = nl == std::string_view::npos ? text.size() : nl + 1;
    }
    if (end > start) {
      out.push_back(text.substr(start, end - start));
    }
    start = std::min(text.size(), end + 4);
  }
  return out;
}

/// StatefulSets take part in the totals check_risks compares even when unchanged.
bool always_kept(std::string_view doc) { return doc.find("\nkind: StatefulSet\n") != std::string_view::npos; }

Result<std::vector<Json>> parse_each(const std::vector<std::string_view>& docs, const std::vector<bool>& same) {
  std::vector<Json> out;
  for (std::size_t i = 0; i < docs.size(); ++i) {
    if (same[i]) {
      continue;
    }
    auto parsed = gen::parse_yaml_stream(docs[i]);
    NEON_TRY(parsed);
    for (auto& o : *parsed) {
      out.push_back(std::move(o));
    }
  }
  return out;
}

}  // namespace

Result<DiffReport> diff_streams(std::string_view before, std::string_view after) {
  const auto a = split_documents(before);
  const auto b = split_documents(after);
  std::unordered_map<std::string_view, std::vector<std::size_t>> unmatched;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unmatched[a[i]].push_back(i);
  }
  std::vector<bool> same_a(a.size(), false);
  std::vector<bool> same_b(b.size(), false);
  for (std::size_t j = 0; j < b.size(); ++j) {
    auto it = unmatched.find(b[j]);
    if (it == unmatched.end() || it->second.empty() || always_kept(b[j])) {
      continue;
    }
    same_a[it->second.back()] = true;
    it->second.pop_back();
    same_b[j] = true;
  }
  auto x = parse_each(a, same_a);
  NEON_TRY(x);
  auto y = parse_each(b, same_b);
  NEON_TRY(y);
  return diff_objects(*x, *y);
}

std::string render_text(const DiffReport& r, const DiffLabels& l) {
  std::string out = fmt::format("{}: {} -> {}\n", l.cluster_path, l.base, l.head);
  if (r.changes.empty() && r.blocking.empty() && r.warnings.empty()) {
    return out + "no changes\n";
  }
  for (const auto& b : r.blocking) {
    out += "BLOCKING: " + b + "\n";
  }
  for (const auto& w : r.warnings) {
    out += "WARNING: " + w + "\n";
  }
  out += "\n";
  for (const auto& s : summary(r)) {
    out += s + "\n";
  }
  for (const auto& c : r.changes) {
    out += "\n" + c.diff;
  }
  return out;
}

std::string render_markdown(const DiffReport& r, const DiffLabels& l, std::size_t budget) {
  std::string head = fmt::format("## kubectl neon diff: `{}`\n\n`{}` → `{}`\n\n", l.cluster_path, l.base, l.head);
  if (r.changes.empty() && r.blocking.empty() && r.warnings.empty()) {
    return head + "No changes.\n";
  }
  for (const auto& b : r.blocking) {
    head += "> [!CAUTION]\n> **Blocking:** " + b + "\n\n";
  }
  for (const auto& w : r.warnings) {
    std::string quoted = w;  // a warning may list commands, one per line
    for (auto at = quoted.find('\n'); at != std::string::npos; at = quoted.find('\n', at + 3)) {
      quoted.replace(at, 1, "\n> ");
    }
    head += "> [!WARNING]\n> " + quoted + "\n\n";
  }
  head += "```\n";
  for (const auto& s : summary(r)) {
    head += s + "\n";
  }
  head += "```\n";
  std::string body;
  std::size_t shown = 0;
  const std::string notice_fmt =
      "\n> [!NOTE]\n> **Truncated:** {} of {} resource diffs are not shown (comment size limit). Run `kubectl neon "
      "diff -o text` for the full diff.\n";
  const std::size_t reserve = notice_fmt.size() + 40;
  for (const auto& c : r.changes) {
    std::string block =
        fmt::format("\n<details><summary>{} <code>{}</code> (+{} -{})</summary>\n\n```diff\n{}```\n\n</details>\n",
                    action_mark(c.action), c.id(), c.additions, c.deletions, c.diff);
    if (head.size() + body.size() + block.size() + reserve > budget) {
      break;
    }
    body += block;
    ++shown;
  }
  if (shown < r.changes.size()) {
    body += fmt::format(notice_fmt, r.changes.size() - shown, r.changes.size());
  }
  return head + body;
}

std::string render_json(const DiffReport& r, const DiffLabels& l) {
  nlohmann::ordered_json j;
  j["clusterPath"] = l.cluster_path;
  j["base"] = l.base;
  j["head"] = l.head;
  j["blocking"] = r.blocking;
  j["warnings"] = r.warnings;
  j["changes"] = nlohmann::ordered_json::array();
  for (const auto& c : r.changes) {
    nlohmann::ordered_json e{{"action", c.action == Action::added     ? "added"
                                        : c.action == Action::deleted ? "deleted"
                                                                      : "modified"},
                             {"kind", c.kind},
                             {"namespace", c.namespace_},
                             {"name", c.name}};
    if (!c.old_name.empty() && c.old_name != c.name) {
      e["previousName"] = c.old_name;
    }
    if (!c.unit.empty()) {
      e["unit"] = c.unit;
    }
    e["additions"] = c.additions;
    e["deletions"] = c.deletions;
    e["diff"] = c.diff;
    j["changes"].push_back(std::move(e));
  }
  return j.dump(2) + "\n";
}

}  // namespace neon::cli
