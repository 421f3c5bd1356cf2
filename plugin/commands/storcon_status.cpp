// Status: health from the snapshot, and its layouts (tables, --watch screen, JSON document).
#include "plugin/commands/storcon_status.hpp"

#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "plugin/adapters/json_writer.hpp"

namespace neon::cli::status {

namespace {

std::string join_ids(const std::vector<std::uint64_t>& ids) {
  std::string out;
  for (auto id : ids) {
    out += (out.empty() ? "" : ",") + std::to_string(id);
  }
  return out.empty() ? "-" : out;
}

std::string plural(std::size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

/// Attached and secondary shard counts per pageserver.
std::map<std::uint64_t, std::pair<int, int>> shard_counts(const Snapshot& s) {
  std::map<std::uint64_t, std::pair<int, int>> counts;
  for (const auto& t : s.tenants) {
    for (const auto& sh : t.shards) {
      if (sh.node_attached) {
        ++counts[*sh.node_attached].first;
      }
      for (auto sec : sh.node_secondary) {
        ++counts[sec].second;
      }
    }
  }
  return counts;
}

std::string host_port(const std::string& host, int port) { return fmt::format("{}:{}", host, port); }

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()));
    for (std::size_t i = 0; i < r.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) {
        line.append(width[i] - r[i].size() + 3, ' ');
      }
    }
    out << line << '\n';
  }
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

Health assess(const Snapshot& s, const Components& components, const Names& names) {
  Health h;
  h.problems = components.missing;
  for (const auto& [component, pods] : components.pods) {
    if (pods.ready < pods.total) {
      h.problems.push_back(fmt::format("{}: {}/{} pods ready", component, pods.ready, pods.total));
    }
  }
  for (const auto& n : s.nodes) {
    if (n.availability != "Active") {
      h.problems.push_back(fmt::format("pageserver {} is {}", n.id, n.availability));
    }
    if (n.scheduling == "Draining" || n.scheduling == "Filling" || n.scheduling == "PauseForRestart" ||
        n.scheduling == "Deleting") {
      h.problems.push_back(fmt::format("pageserver {} is {}", n.id, n.scheduling));
    } else if (n.scheduling == "Pause") {
      h.out_of_service.push_back(fmt::format("pageserver {} is paused: no new shards are placed on it", n.id));
    }
  }
  for (const auto& k : s.safekeepers) {
    if (k.scheduling_policy == "Pause") {
      h.out_of_service.push_back(fmt::format("safekeeper {} is paused: no new timelines are placed on it", k.id));
    } else if (k.scheduling_policy == "Decomissioned") {
      h.out_of_service.push_back(fmt::format("safekeeper {} is decommissioned", k.id));
    }
  }
  std::size_t errors = 0;
  std::size_t pending = 0;
  std::size_t unattached = 0;
  std::set<std::string> present;
  for (const auto& t : s.tenants) {
    present.insert(t.tenant_id);
    const bool wants_attached = t.policy.is_object();
    for (const auto& sh : t.shards) {
      errors += sh.last_error.empty() ? 0 : 1;
      pending += sh.is_pending_compute_notification ? 1 : 0;
      unattached += wants_attached && !sh.node_attached ? 1 : 0;
    }
  }
  if (errors > 0) {
    h.problems.push_back(fmt::format("{} shard{} with reconcile errors", errors, errors == 1 ? "" : "s"));
  }
  if (pending > 0) {
    h.problems.push_back(
        fmt::format("{} shard{} with a pending compute notification", pending, pending == 1 ? "" : "s"));
  }
  if (unattached > 0) {
    h.problems.push_back(fmt::format("{} shard{} not attached", unattached, unattached == 1 ? "" : "s"));
  }
  for (const auto& [id, name] : names) {
    if (present.count(id) == 0) {
      h.problems.push_back(fmt::format("project {} (tenant {}) is not in the storage controller", name, id));
    }
  }
  if (auto p = sync_problem(components.sync)) {
    h.problems.push_back(std::move(*p));
  }
  return h;
}

std::string summary_line(const Snapshot& s, const Health& h) {
  const std::string counts =
      fmt::format("{}, {}, {}", plural(s.nodes.size(), "pageserver"), plural(s.safekeepers.size(), "safekeeper"),
                  plural(s.tenants.size(), "tenant"));
  if (h.healthy()) {
    return "healthy: " + counts;
  }
  return fmt::format("degraded: {}; {}", counts, plural(h.problems.size(), "problem"));
}

std::vector<std::string> notes(const Health& h, const Components& c) {
  std::vector<std::string> out;
  for (const auto& p : h.problems) {
    out.push_back("warning: " + p);
  }
  for (const auto& line : h.out_of_service) {
    out.push_back("note: " + line);
  }
  if (!c.note.empty()) {
    out.push_back("note: " + c.note);
  }
  for (const auto& line : c.checked) {
    out.push_back("note: " + line);
  }
  if (const std::string line = sync_note(c.sync); !line.empty()) {
    out.push_back("note: " + line);
  }
  for (const auto& line : c.outdated) {
    out.push_back("restart pending: " + line);
  }
  if (!c.asleep.empty()) {
    std::string names;
    for (const auto& n : c.asleep) {
      names += (names.empty() ? "" : ", ") + n;
    }
    out.push_back(fmt::format("note: {} compute{} asleep (scaled to zero; a connection through the proxy wakes it): {}",
                              c.asleep.size(), c.asleep.size() == 1 ? "" : "s", names));
  }
  if (!c.waking.empty()) {
    out.push_back(fmt::format("note: waking (scaled up, not available yet): {}", fmt::join(c.waking, ", ")));
  }
  return out;
}

/// The status document, streamed: tens of thousands of tenants are never held twice. Keys are
/// sorted at every level, as a JSON document's dump would sort them.
void write_json(std::ostream& out, const Snapshot& s, const Health& h, const Components& c, const Names& names) {
  JsonWriter w(out);
  w.begin_object();
  w.key("components").begin_object().key("asleep").begin_array();
  for (const auto& name : c.asleep) {
    w.string(name);
  }
  w.end_array().key("available").boolean(c.note.empty()).key("items").begin_array();
  for (const auto& [component, pods] : c.pods) {
    w.begin_object()
        .key("component")
        .string(component)
        .key("pods")
        .number(static_cast<std::uint64_t>(pods.total))
        .key("ready")
        .number(static_cast<std::uint64_t>(pods.ready))
        .end_object();
  }
  w.end_array();
  if (c.note.empty()) {
    w.key("namespace").string(c.namespace_);
  } else {
    w.key("note").string(c.note);
  }
  w.key("restart_pending").begin_array();
  for (const auto& line : c.outdated) {
    w.string(line);
  }
  w.end_array();
  w.key("waking").begin_array();
  for (const auto& name : c.waking) {
    w.string(name);
  }
  w.end_array();
  w.end_object();
  w.key("health").begin_object().key("out_of_service").begin_array();
  for (const auto& line : h.out_of_service) {
    w.string(line);
  }
  w.end_array().key("problems").begin_array();
  for (const auto& p : h.problems) {
    w.string(p);
  }
  w.end_array().key("status").string(h.healthy() ? "healthy" : "degraded").end_object();

  auto counts = shard_counts(s);
  w.key("pageservers").begin_array();
  for (const auto& n : s.nodes) {
    const auto& [attached, secondary] = counts[n.id];
    w.begin_object()
        .key("address")
        .string(host_port(n.pg_addr, n.pg_port))
        .key("attached_shards")
        .number(static_cast<std::uint64_t>(attached))
        .key("availability")
        .string(n.availability)
        .key("http_address")
        .string(host_port(n.http_addr, n.http_port))
        .key("id")
        .number(n.id)
        .key("scheduling")
        .string(n.scheduling)
        .key("secondary_shards")
        .number(static_cast<std::uint64_t>(secondary))
        .key("zone")
        .string(n.zone)
        .end_object();
  }
  w.end_array();
  w.key("safekeepers").begin_array();
  for (const auto& k : s.safekeepers) {
    w.begin_object()
        .key("host")
        .string(host_port(k.host, k.port))
        .key("id")
        .number(k.id)
        .key("scheduling")
        .string(k.scheduling_policy)
        .key("zone")
        .string(k.zone)
        .end_object();
  }
  w.end_array();
  w.key("sync").value(sync_json(c.sync));
  w.key("tenants").begin_array();
  for (const auto& t : s.tenants) {
    w.begin_object().key("name");
    auto name = names.find(t.tenant_id);
    if (name == names.end()) {
      w.null();
    } else {
      w.string(name->second);
    }
    w.key("policy").value(t.policy).key("shards").begin_array();
    for (const auto& sh : t.shards) {
      w.begin_object().key("attached");
      if (sh.node_attached) {
        w.number(*sh.node_attached);
      } else {
        w.null();
      }
      w.key("last_error")
          .string(sh.last_error)
          .key("pending_compute_notification")
          .boolean(sh.is_pending_compute_notification)
          .key("reconciling")
          .boolean(sh.is_reconciling)
          .key("secondaries")
          .begin_array();
      for (auto sec : sh.node_secondary) {
        w.number(sec);
      }
      w.end_array().key("tenant_shard_id").string(sh.tenant_shard_id).end_object();
    }
    w.end_array().key("stripe_size").number(t.stripe_size).key("tenant_id").string(t.tenant_id).end_object();
  }
  w.end_array();
  w.end_object();
  w.finish();
}

void print_tables(std::ostream& out, const Snapshot& s, const Components& c, const Names& names, bool wide,
                  std::optional<std::size_t> max_tenant_rows) {
  std::vector<std::vector<std::string>> rows;
  // Shard counts per pageserver; node ids per tenant: each column says which it holds.
  rows.push_back(
      {"PAGESERVER", "ZONE", "AVAILABILITY", "SCHEDULING", "ADDRESS", "ATTACHED-SHARDS", "SECONDARY-SHARDS"});
  if (wide) {
    rows.back().push_back("HTTP");
  }
  auto counts = shard_counts(s);
  for (const auto& n : s.nodes) {
    const auto& [attached, secondary] = counts[n.id];
    rows.push_back({std::to_string(n.id), n.zone, n.availability, n.scheduling, host_port(n.pg_addr, n.pg_port),
                    std::to_string(attached), std::to_string(secondary)});
    if (wide) {
      rows.back().push_back(host_port(n.http_addr, n.http_port));
    }
  }
  print_table(out, rows);
  out << '\n';
  rows.clear();
  rows.push_back({"SAFEKEEPER", "ZONE", "HOST", "SCHEDULING"});
  for (const auto& k : s.safekeepers) {
    rows.push_back({std::to_string(k.id), k.zone, host_port(k.host, k.port), k.scheduling_policy});
  }
  print_table(out, rows);
  out << '\n';
  if (c.note.empty()) {
    rows.clear();
    rows.push_back({"COMPONENT", "READY"});
    for (const auto& [component, pods] : c.pods) {
      rows.push_back({component, fmt::format("{}/{}", pods.ready, pods.total)});
    }
    print_table(out, rows);
    out << '\n';
  }
  rows.clear();
  rows.push_back(
      {"TENANT", "NAME", "SHARDS", "ATTACHED-NODES", "SECONDARY-NODES", "RECONCILING", "PENDING-NOTIFY", "LAST-ERROR"});
  if (wide) {
    rows.back().push_back("POLICY");
  }
  const std::size_t shown = std::min(s.tenants.size(), max_tenant_rows.value_or(s.tenants.size()));
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& t = s.tenants[i];
    std::vector<std::uint64_t> attached;
    std::vector<std::uint64_t> secondaries;
    int reconciling = 0;
    int pending = 0;
    std::string last_error;
    for (const auto& sh : t.shards) {
      if (sh.node_attached) {
        attached.push_back(*sh.node_attached);
      }
      secondaries.insert(secondaries.end(), sh.node_secondary.begin(), sh.node_secondary.end());
      reconciling += sh.is_reconciling ? 1 : 0;
      pending += sh.is_pending_compute_notification ? 1 : 0;
      if (last_error.empty()) {
        last_error = sh.last_error;
      }
    }
    auto name = names.find(t.tenant_id);
    rows.push_back({t.tenant_id, name == names.end() ? "-" : name->second, std::to_string(t.shards.size()),
                    join_ids(attached), join_ids(secondaries), std::to_string(reconciling), std::to_string(pending),
                    last_error.empty() ? "-" : last_error});
    if (wide) {
      rows.back().push_back(storcon::policy_text(t.policy));
    }
  }
  print_table(out, rows);
  if (shown < s.tenants.size()) {
    const std::size_t left = s.tenants.size() - shown;
    out << fmt::format(
        "... {} more tenant{} not shown (the screen is too short; run without --watch or with -o json)\n", left,
        left == 1 ? "" : "s");
  }
}

std::string watch_screen(const WatchHeader& header, const Snapshot& s, const Health& h, const Components& c,
                         const Names& names, bool wide, std::optional<std::size_t> height) {
  std::ostringstream top;
  top << fmt::format("Every {}: {}    {}\n", header.every, header.source, header.time);
  top << summary_line(s, h) << '\n';
  for (const auto& line : notes(h, c)) {
    top << line << '\n';
  }
  top << '\n';
  std::optional<std::size_t> rows;
  if (height) {
    // The last line stays free for the cursor, or the terminal scrolls the header away.
    const std::size_t budget = *height > 0 ? *height - 1 : 0;
    std::ostringstream none;
    print_tables(none, s, c, names, wide, std::size_t{0});
    // Without the tenant rows, and without the "more" line when there are no tenants to cut.
    const std::size_t fixed = count_lines(top.str()) + count_lines(none.str()) - (s.tenants.empty() ? 0 : 1);
    if (fixed + s.tenants.size() > budget) {
      const std::size_t with_more = fixed + 1;
      rows = budget > with_more ? budget - with_more : 0;
    }
  }
  print_tables(top, s, c, names, wide, rows);
  return top.str();
}

}  // namespace neon::cli::status
