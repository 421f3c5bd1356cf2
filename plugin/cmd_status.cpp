// kubectl neon status: pageservers, safekeepers and tenants as the storage controller sees them,
// with a one-line health summary. Exit 0 healthy, 1 degraded, 2 usage, 3 the state cannot be read.
#include <algorithm>
#include <chrono>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/emit.hpp"
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"
#include "plugin/controller_target.hpp"
#include "plugin/json_writer.hpp"
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

/// The status document, streamed: tens of thousands of tenants are never held twice. Keys are
/// sorted at every level, as a JSON document's dump would sort them.
void write_json(std::ostream& out, const Snapshot& s, const Health& h, const Components& c,
                const std::map<std::string, std::string>& names) {
  JsonWriter w(out);
  w.begin_object();
  w.key("components").begin_object().key("available").boolean(c.note.empty()).key("items").begin_array();
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
  w.end_object();
  w.key("health").begin_object().key("problems").begin_array();
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

void print_text(std::ostream& out, const Snapshot& s, const Components& c,
                const std::map<std::string, std::string>& names, bool wide) {
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"PAGESERVER", "ZONE", "AVAILABILITY", "SCHEDULING", "ADDRESS", "ATTACHED", "SECONDARY"});
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
  rows.clear();
  rows.push_back({"TENANT", "NAME", "SHARDS", "ATTACHED", "SECONDARIES", "RECONCILING", "PENDING", "LAST ERROR"});
  if (wide) {
    rows.back().push_back("POLICY");
  }
  for (const auto& t : s.tenants) {
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
      rows.back().push_back(policy_text(t.policy));
    }
  }
  print_table(out, rows);
  out << '\n';
  if (!c.note.empty()) {
    out << c.note << "\n\n";
    return;
  }
  rows.clear();
  rows.push_back({"COMPONENT", "READY"});
  for (const auto& [component, pods] : c.pods) {
    rows.push_back({component, fmt::format("{}/{}", pods.ready, pods.total)});
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
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
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
      if (watch && ctx.out_is_tty) {
        ctx.out << "\033[H\033[2J";
      }
      if (output == "json") {
        write_json(ctx.out, *snap, health, components, names);
      } else if (output == "yaml") {
        std::ostringstream text;
        write_json(text, *snap, health, components, names);
        ctx.out << gen::to_yaml(gen::Json::parse(text.str()));
      } else {
        print_text(ctx.out, *snap, components, names, output == "wide");
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
