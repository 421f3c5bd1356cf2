// kubectl neon status: pageservers, safekeepers and tenants as the storage controller sees them,
// with a one-line health summary. Exit 0 healthy, 1 degraded, 2 usage, 3 the state cannot be read.
#include <algorithm>
#include <chrono>
#include <map>
#include <ostream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/emit.hpp"
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"
#include "plugin/controller_target.hpp"
#include "plugin/kube_client.hpp"
#include "plugin/kubeconfig.hpp"
#include "plugin/spec_input.hpp"

namespace neon::cli {

namespace {

constexpr int k_exit_unreadable = 3;
/// Pod readiness is extra information: an unreachable cluster must not hold the command up.
constexpr std::chrono::milliseconds k_kube_timeout{2000};
constexpr const char* k_component_label = "app.kubernetes.io/component";

using storcon::Json;

struct Snapshot {
  std::vector<storcon::Node> nodes;
  std::vector<storcon::Safekeeper> safekeepers;
  std::vector<storcon::Tenant> tenants;
};

struct ComponentPods {
  int ready = 0;
  int total = 0;
};

/// Pod readiness per component from the Kubernetes API, or why it could not be read.
struct Components {
  std::string note;
  std::string namespace_;
  std::map<std::string, ComponentPods> pods;
};

/// Every request with the short timeout, whatever the client asks for.
class ShortTimeout final : public http::Transport {
public:
  explicit ShortTimeout(http::Transport& inner) : m_inner(inner) {}
  http::Outcome send(const http::Request& request) override {
    http::Request copy = request;
    copy.timeout = k_kube_timeout;
    return m_inner.send(copy);
  }

private:
  http::Transport& m_inner;
};

Components read_components(const Context& ctx, const std::string& spec_namespace) {
  Components c;
  auto api = kube::resolve_api_server(ctx, spec_namespace);
  if (!api) {
    c.note = "pod readiness skipped: " + api.error().message;
    return c;
  }
  c.namespace_ = api->namespace_;
  http::CurlTransport curl(api->tls);
  ShortTimeout transport(curl);
  kube::Client client(*api, transport);
  auto pods = client.list_pods(api->namespace_, "app.kubernetes.io/part-of=neon");
  if (!pods) {
    c.note = "pod readiness skipped: " + pods.error().message;
    return c;
  }
  for (const auto& pod : *pods) {
    auto label = pod.labels.find(k_component_label);
    auto& entry = c.pods[label == pod.labels.end() ? std::string("-") : label->second];
    ++entry.total;
    entry.ready += pod.ready ? 1 : 0;
  }
  return c;
}

struct Health {
  std::vector<std::string> problems;
  bool healthy() const { return problems.empty(); }
};

std::string join_ids(const std::vector<std::uint64_t>& ids) {
  std::string out;
  for (auto id : ids) {
    out += (out.empty() ? "" : ",") + std::to_string(id);
  }
  return out.empty() ? "-" : out;
}

std::string policy_text(const Json& policy) {
  if (policy.is_string()) {
    return policy.get<std::string>();
  }
  if (policy.is_object() && policy.contains("Attached")) {
    return fmt::format("Attached({})", policy["Attached"].dump());
  }
  return policy.dump();
}

Health assess(const Snapshot& s, const Components& components, const std::map<std::string, std::string>& names) {
  Health h;
  for (const auto& [component, pods] : components.pods) {
    if (pods.ready < pods.total) {
      h.problems.push_back(fmt::format("{}: {}/{} pods ready", component, pods.ready, pods.total));
    }
  }
  for (const auto& n : s.nodes) {
    if (n.availability != "Active") {
      h.problems.push_back(fmt::format("pageserver {} is {}", n.id, n.availability));
    }
    if (n.scheduling == "Draining" || n.scheduling == "Filling" || n.scheduling == "PauseForRestart") {
      h.problems.push_back(fmt::format("pageserver {} is {}", n.id, n.scheduling));
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
    h.problems.push_back(fmt::format("{} shard{} with a pending compute notification", pending, pending == 1 ? "" : "s"));
  }
  if (unattached > 0) {
    h.problems.push_back(fmt::format("{} shard{} not attached", unattached, unattached == 1 ? "" : "s"));
  }
  for (const auto& [id, name] : names) {
    if (present.count(id) == 0) {
      h.problems.push_back(fmt::format("project {} (tenant {}) is not in the storage controller", name, id));
    }
  }
  return h;
}

std::string summary_line(const Snapshot& s, const Health& h) {
  if (h.healthy()) {
    return fmt::format("healthy: {} pageserver{}, {} safekeeper{}, {} tenant{}", s.nodes.size(),
                       s.nodes.size() == 1 ? "" : "s", s.safekeepers.size(), s.safekeepers.size() == 1 ? "" : "s",
                       s.tenants.size(), s.tenants.size() == 1 ? "" : "s");
  }
  std::string out = "degraded: ";
  for (std::size_t i = 0; i < h.problems.size(); ++i) {
    out += (i == 0 ? "" : "; ") + h.problems[i];
  }
  return out;
}

Json components_json(const Components& c) {
  Json items = Json::array();
  for (const auto& [component, pods] : c.pods) {
    items.push_back(Json{{"component", component}, {"ready", pods.ready}, {"pods", pods.total}});
  }
  Json out{{"available", c.note.empty()}, {"items", items}};
  if (c.note.empty()) {
    out["namespace"] = c.namespace_;
  } else {
    out["note"] = c.note;
  }
  return out;
}

Json to_json(const Snapshot& s, const Health& h, const std::map<std::string, std::string>& names) {
  std::map<std::uint64_t, std::pair<int, int>> counts;  // attached, secondary
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
  Json out = Json::object();
  Json ps = Json::array();
  for (const auto& n : s.nodes) {
    ps.push_back(Json{{"id", n.id}, {"zone", n.zone}, {"availability", n.availability}, {"scheduling", n.scheduling},
                      {"address", fmt::format("{}:{}", n.pg_addr, n.pg_port)},
                      {"http_address", fmt::format("{}:{}", n.http_addr, n.http_port)},
                      {"attached_shards", counts[n.id].first}, {"secondary_shards", counts[n.id].second}});
  }
  Json sks = Json::array();
  for (const auto& k : s.safekeepers) {
    sks.push_back(Json{{"id", k.id}, {"zone", k.zone}, {"host", fmt::format("{}:{}", k.host, k.port)},
                       {"scheduling", k.scheduling_policy}});
  }
  Json tenants = Json::array();
  for (const auto& t : s.tenants) {
    Json shards = Json::array();
    for (const auto& sh : t.shards) {
      shards.push_back(Json{{"tenant_shard_id", sh.tenant_shard_id},
                            {"attached", sh.node_attached ? Json(*sh.node_attached) : Json()},
                            {"secondaries", sh.node_secondary},
                            {"reconciling", sh.is_reconciling},
                            {"pending_compute_notification", sh.is_pending_compute_notification},
                            {"last_error", sh.last_error}});
    }
    auto name = names.find(t.tenant_id);
    tenants.push_back(Json{{"tenant_id", t.tenant_id},
                           {"name", name == names.end() ? Json() : Json(name->second)},
                           {"policy", t.policy},
                           {"stripe_size", t.stripe_size},
                           {"shards", shards}});
  }
  out["pageservers"] = ps;
  out["safekeepers"] = sks;
  out["tenants"] = tenants;
  out["health"] = Json{{"status", h.healthy() ? "healthy" : "degraded"}, {"problems", h.problems}};
  return out;
}

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

void print_text(std::ostream& out, const Json& doc, bool wide) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"PAGESERVER", "ZONE", "AVAILABILITY", "SCHEDULING", "ADDRESS", "ATTACHED", "SECONDARY"});
  if (wide) {
    rows.back().push_back("HTTP");
  }
  for (const auto& n : doc["pageservers"]) {
    rows.push_back({n["id"].dump(), n["zone"].get<std::string>(), n["availability"].get<std::string>(),
                    n["scheduling"].get<std::string>(), n["address"].get<std::string>(),
                    n["attached_shards"].dump(), n["secondary_shards"].dump()});
    if (wide) {
      rows.back().push_back(n["http_address"].get<std::string>());
    }
  }
  print_table(out, rows);
  out << '\n';
  rows.clear();
  rows.push_back({"SAFEKEEPER", "ZONE", "HOST", "SCHEDULING"});
  for (const auto& k : doc["safekeepers"]) {
    rows.push_back({k["id"].dump(), k["zone"].get<std::string>(), k["host"].get<std::string>(),
                    k["scheduling"].get<std::string>()});
  }
  print_table(out, rows);
  out << '\n';
  rows.clear();
  rows.push_back({"TENANT", "NAME", "SHARDS", "ATTACHED", "SECONDARIES", "RECONCILING", "PENDING", "LAST ERROR"});
  if (wide) {
    rows.back().push_back("POLICY");
  }
  for (const auto& t : doc["tenants"]) {
    std::vector<std::uint64_t> attached;
    std::vector<std::uint64_t> secondaries;
    int reconciling = 0;
    int pending = 0;
    std::string last_error;
    for (const auto& sh : t["shards"]) {
      if (!sh["attached"].is_null()) {
        attached.push_back(sh["attached"].get<std::uint64_t>());
      }
      for (const auto& sec : sh["secondaries"]) {
        secondaries.push_back(sec.get<std::uint64_t>());
      }
      reconciling += sh["reconciling"].get<bool>() ? 1 : 0;
      pending += sh["pending_compute_notification"].get<bool>() ? 1 : 0;
      if (last_error.empty()) {
        last_error = sh["last_error"].get<std::string>();
      }
    }
    rows.push_back({t["tenant_id"].get<std::string>(), t["name"].is_null() ? "-" : t["name"].get<std::string>(),
                    std::to_string(t["shards"].size()), join_ids(attached), join_ids(secondaries),
                    std::to_string(reconciling), std::to_string(pending), last_error.empty() ? "-" : last_error});
    if (wide) {
      rows.back().push_back(policy_text(t["policy"]));
    }
  }
  print_table(out, rows);
  out << '\n';
  const Json& components = doc["components"];
  if (!components["available"].get<bool>()) {
    out << components["note"].get<std::string>() << "\n\n";
    return;
  }
  rows.clear();
  rows.push_back({"COMPONENT", "READY"});
  for (const auto& c : components["items"]) {
    rows.push_back({c["component"].get<std::string>(), fmt::format("{}/{}", c["ready"].dump(), c["pods"].dump())});
  }
  print_table(out, rows);
  out << '\n';
}

Result<Snapshot> fetch(storcon::Client& client) {
  Snapshot s;
  auto nodes = client.list_nodes();
  if (!nodes) {
    return nodes.error();
  }
  s.nodes = std::move(*nodes);
  auto sks = client.list_safekeepers();
  if (!sks) {
    return sks.error();
  }
  s.safekeepers = std::move(*sks);
  auto tenants = client.list_tenants();
  if (!tenants) {
    return tenants.error();
  }
  s.tenants = std::move(*tenants);
  return s;
}

}  // namespace

int cmd_status(Context& ctx, const Args& args) {
  auto opts = make_options(ctx, "status",
                           "Show pageservers, safekeepers and tenants as the storage controller sees them.\n"
                           "Exit status: 0 healthy, 1 degraded, 2 usage error, 3 the controller could not be read.");
  opts.add_options()("o,output", "table, wide, json or yaml", cxxopts::value<std::string>()->default_value("table"))(
      "w,watch", "Redraw every --interval until interrupted")(
      "interval", "Refresh interval with --watch", cxxopts::value<std::string>()->default_value("2s"))(
      "f,file", "Cluster spec, to name tenants after their projects", cxxopts::value<std::string>()->default_value(""));
  add_controller_options(opts);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  if (!positionals(*r).empty()) {
    return usage_error(ctx, "status", fmt::format("unexpected argument \"{}\"", positionals(*r).front()));
  }
  const std::string output = (*r)["output"].as<std::string>();
  if (output != "table" && output != "wide" && output != "json" && output != "yaml") {
    return usage_error(ctx, "status", fmt::format("unknown output format \"{}\" (table, wide, json, yaml)", output));
  }
  const auto interval = parse_duration((*r)["interval"].as<std::string>());
  if (!interval || interval->count() <= 0) {
    return usage_error(ctx, "status", "invalid --interval");
  }
  std::map<std::string, std::string> names;
  std::string spec_namespace;
  const std::string file = (*r)["file"].as<std::string>();
  if (!file.empty()) {
    auto spec = load_valid_spec(ctx, file);
    if (!spec) {
      return k_exit_failure;
    }
    spec_namespace = (*spec)->namespace_;
    for (const auto& p : (*spec)->projects) {
      names[p.tenant_id] = p.name;
    }
  }
  auto target = resolve_controller(ctx, *r, spec_namespace, Kubeconfig::allowed);
  if (!target) {
    fmt::print(ctx.err, "error: {}\n", target.error().message);
    return k_exit_unreadable;
  }
  Controller controller(*target);
  const bool watch = r->count("watch") != 0;
  for (;;) {
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "reading state from {}...\r", controller.described);
    }
    auto snap = fetch(controller.client);
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "\033[2K\r");
    }
    int code = k_exit_ok;
    if (!snap) {
      fmt::print(ctx.err, "error: {}\n", snap.error().message);
      code = k_exit_unreadable;
    } else {
      const Components components = read_components(ctx, spec_namespace);
      const Health health = assess(*snap, components, names);
      Json doc = to_json(*snap, health, names);
      doc["components"] = components_json(components);
      if (watch && ctx.out_is_tty) {
        ctx.out << "\033[H\033[2J";
      }
      if (output == "json") {
        ctx.out << doc.dump(2) << '\n';
      } else if (output == "yaml") {
        ctx.out << gen::to_yaml(gen::Json::parse(doc.dump()));
      } else {
        print_text(ctx.out, doc, output == "wide");
        ctx.out << summary_line(*snap, health) << '\n';
      }
      ctx.out.flush();
      code = health.healthy() ? k_exit_ok : k_exit_failure;
    }
    if (!watch) {
      return code;
    }
    std::this_thread::sleep_for(*interval);
  }
}

}  // namespace neon::cli
