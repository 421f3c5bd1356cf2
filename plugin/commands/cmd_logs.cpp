// kubectl neon logs TARGET: the logs of every pod of a component, merged, each line prefixed with
// its pod ("[pageserver-a-0] ..."), as `kubectl logs -l ... --prefix` would print them, and
// filtered by tenant or timeline ID. Pods are found by the labels generators/ give them;
// `pageserver/ID` and `safekeeper/ID` name a node by the storage controller's id, whose address's
// first DNS label is its pod (rollout::pod_of_address). Without --follow each pod's lines come
// together, pods in name order; with --follow lines are printed as they arrive, until every
// stream ends or the command is interrupted. Exit status: 0, 1 failure (a stream failed, no such
// pod), 2 usage, 3 the API server or the controller could not be reached.
#include <algorithm>
#include <cctype>
#include <mutex>
#include <variant>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "generators/names.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/pod_logs.hpp"
#include "plugin/commands/rollout_plan.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace {

constexpr const char* k_targets_text = "storage-controller, broker, hook, pageserver[/ID], safekeeper[/ID] or compute";
/// Streams followed at once are one connection each; more than this is surely a mistake.
constexpr std::size_t k_max_follow = 64;
constexpr std::size_t k_parallel_reads = 4;

struct Target {
  const logs::Component* component = nullptr;
  std::optional<std::uint64_t> node;  ///< pageserver/ID, safekeeper/ID
  std::string compute;                ///< compute: the primary's name, compute-<project>-<branch>
  std::string replicas;               ///< compute: its read replicas' label value
  std::string shown;                  ///< as typed, for messages
};

/// TARGET [PROJECT/BRANCH] as a Target, or a usage error message.
std::variant<Target, std::string> parse_target(const std::vector<std::string>& operands) {
  if (operands.empty()) {
    return std::string("expected a TARGET: ") + k_targets_text;
  }
  Target t;
  t.shown = operands.front();
  const auto slash = t.shown.find('/');
  const std::string name = t.shown.substr(0, slash);
  t.component = logs::component_named(name);
  if (t.component == nullptr) {
    std::vector<std::string> names;
    for (const auto& c : logs::components()) {
      names.emplace_back(c.target);
    }
    return fmt::format("unknown TARGET \"{}\": use {}{}", t.shown, k_targets_text, gen::suggestion_suffix(name, names));
  }
  if (slash != std::string::npos) {
    if (name != "pageserver" && name != "safekeeper") {
      return fmt::format("\"{}\": only pageserver and safekeeper take a node id (pageserver/ID)", t.shown);
    }
    const std::string id = t.shown.substr(slash + 1);
    const auto n = parse_integer(id, {0, 1LL << 62});
    if (!n) {
      return fmt::format("\"{}\": the node id must be a whole number (the storage controller's id), not \"{}\"",
                         t.shown, id);
    }
    t.node = static_cast<std::uint64_t>(*n);
  }
  if (name == "compute") {
    if (operands.size() != 2) {
      return std::string("compute needs PROJECT/BRANCH: logs compute app/main");
    }
    const std::string& pb = operands[1];
    const auto at = pb.find('/');
    if (at == std::string::npos || at == 0 || at + 1 == pb.size() || pb.find('/', at + 1) != std::string::npos) {
      return fmt::format("\"{}\" is not PROJECT/BRANCH", pb);
    }
    t.compute = gen::names::compute_name(pb.substr(0, at), pb.substr(at + 1));
    t.replicas = gen::names::compute_name(pb.substr(0, at), pb.substr(at + 1), true);
    t.shown += " " + pb;
  } else if (operands.size() != 1) {
    return fmt::format("unexpected argument \"{}\"", operands[1]);
  }
  return t;
}

/// A --tenant or --timeline value: 32 hex characters, in lower case.
std::optional<std::string> id_flag(const cxxopts::ParseResult& r, const std::string& name) {
  if (r.count(name) == 0) {
    return std::nullopt;
  }
  std::string v = r[name].as<std::string>();
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return v;
}

int kube_failure(Context& ctx, const Error& e) {
  fail(ctx, e.message);
  return e.kind == ErrorKind::unreachable || e.kind == ErrorKind::timeout ? k_exit_unreachable : k_exit_failure;
}

/// The pod of node `target.node`, from the controller's node or safekeeper list. Prints the
/// error and sets `exit` on failure.
std::optional<std::string> node_pod(Context& ctx, const cxxopts::ParseResult& r, const std::string& spec_namespace,
                                    const Target& target, int& exit) {
  auto where = controller_from_flags(ctx, "logs", r, spec_namespace, Kubeconfig::allowed, exit);
  if (!where) {
    return std::nullopt;
  }
  Controller controller(*where);
  const std::uint64_t id = *target.node;
  std::string address;
  if (std::string(target.component->target) == "pageserver") {
    auto nodes = controller.client.list_nodes();
    if (!nodes) {
      exit = controller_failure(ctx, controller, nodes.error());
      return std::nullopt;
    }
    for (const auto& n : *nodes) {
      address = n.id == id ? n.http_addr : address;
    }
  } else {
    auto sks = controller.client.list_safekeepers();
    if (!sks) {
      exit = controller_failure(ctx, controller, sks.error());
      return std::nullopt;
    }
    for (const auto& s : *sks) {
      address = s.id == id ? s.host : address;
    }
  }
  if (address.empty()) {
    exit = fail(ctx, fmt::format("{} {} is not registered with the storage controller ({})", target.component->target,
                                 id, controller.described));
    return std::nullopt;
  }
  return rollout::pod_of_address(address);
}

}  // namespace

OptionSet logs_options(const Context& ctx) {
  auto opts = make_options(
      ctx, "logs",
      "Print the logs of a component's pods, merged, each line prefixed with its pod. TARGET is storage-controller, "
      "broker, hook, pageserver, safekeeper (all of them, or one by its storage controller id: pageserver/11) or "
      "compute PROJECT/BRANCH (its primary and read replicas). --tenant and --timeline keep the lines naming that ID. "
      "Exit status: 0, 1 failure, 2 usage error, 3 the API server or the storage controller could not be reached.",
      "TARGET [PROJECT/BRANCH]");
  opts.operands({"storage-controller", "broker", "hook", "pageserver", "safekeeper", "compute"});
  opts.add_options()("f,follow", "Stream the logs until every pod's stream ends (or until interrupted)")(
      "since", "Only lines newer than this (5s, 2m, 1h)", cxxopts::value<std::string>(), "DURATION")(
      "tenant", "Only lines naming this tenant ID (32 hex characters)", cxxopts::value<std::string>(), "ID")(
      "timeline", "Only lines naming this timeline ID (32 hex characters); with --tenant, lines naming both",
      cxxopts::value<std::string>(), "ID");
  add_int(opts, "tail", "The last N lines of each pod (counted before --tenant and --timeline filter them)");
  add_controller_options(opts);
  return opts;
}

int cmd_logs(Context& ctx, const Args& args) {
  auto opts = logs_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  auto parsed = parse_target(positionals(*r));
  if (const auto* problem = std::get_if<std::string>(&parsed)) {
    return usage_error(ctx, "logs", *problem);
  }
  const Target target = std::get<Target>(parsed);
  std::optional<long long> tail;
  if (!int_of(ctx, opts, *r, "tail", {0, 1LL << 40}, tail, exit)) {
    return exit;
  }
  kube::LogOptions options;
  options.follow = r->count("follow") != 0;
  options.tail_lines = tail;
  if (r->count("since") != 0) {
    const auto since = parse_duration((*r)["since"].as<std::string>());
    if (!since || since->count() <= 0) {
      return usage_error(ctx, "logs",
                         fmt::format("invalid --since \"{}\" (use e.g. 30s, 5m, 1h)", (*r)["since"].as<std::string>()));
    }
    options.since_seconds = (since->count() + 999) / 1000;
  }
  std::vector<std::string> ids;
  for (const char* flag : {"tenant", "timeline"}) {
    if (auto id = id_flag(*r, flag)) {
      if (!is_tenant_id(*id)) {
        return usage_error(ctx, "logs",
                           fmt::format("--{} must be a {} ID of 32 hex characters, not \"{}\"", flag, flag,
                                       (*r)[flag].as<std::string>()));
      }
      ids.push_back(*id);
    }
  }
  if (auto bad = check_controller_flags(ctx, *r)) {
    return usage_error(ctx, "logs", *bad);
  }

  std::string spec_namespace;
  if (spec_available("")) {
    auto spec = load_valid_spec(ctx, "");
    if (!spec) {
      return k_exit_failure;
    }
    spec_namespace = (*spec)->namespace_;
  }
  auto api = kube::resolve_api_server(ctx, spec_namespace);
  if (!api) {
    fail(ctx, "logs needs the Kubernetes API: " + api.error().message);
    return k_exit_unreachable;
  }
  std::optional<std::string> only_pod;
  if (target.node) {
    only_pod = node_pod(ctx, *r, spec_namespace, target, exit);
    if (!only_pod) {
      return exit;
    }
  }
  http::CurlTransport transport(api->tls);
  kube::Client client(*api, transport);
  auto pods = logs::component_pods(client, api->namespace_, target.component->label);
  if (!pods) {
    return kube_failure(ctx, pods.error());
  }
  std::vector<logs::Source> sources;
  for (const auto& pod : *pods) {
    const bool wanted = only_pod                 ? pod.name == *only_pod
                        : target.compute.empty() ? true
                                                 : pod.label("app.kubernetes.io/name") == target.compute ||
                                                       pod.label("kubectl-neon.io/read-replicas-of") == target.replicas;
    if (wanted) {
      sources.push_back({pod.name, target.component->container});
    }
  }
  if (sources.empty()) {
    return fail(ctx, only_pod ? fmt::format("no pod {} ({}) in namespace {}", *only_pod, target.shown, api->namespace_)
                              : fmt::format("no {} pods in namespace {}", target.shown, api->namespace_));
  }
  if (options.follow && sources.size() > k_max_follow) {
    return fail(ctx, fmt::format("{} pods to follow, more than {}: name one (pageserver/ID) or drop --follow",
                                 sources.size(), k_max_follow));
  }

  // With --follow a line goes out as soon as it is whole; without, each pod's lines are kept and
  // printed together, pods in name order, so the output is the same from one run to the next.
  std::mutex out_mu;
  std::vector<std::string> kept(sources.size());
  const auto on_line = [&](std::size_t i, std::string_view line) {
    if (!logs::holds_ids(line, ids)) {
      return true;
    }
    const std::string text = fmt::format("[{}] {}\n", sources[i].pod, line);
    if (options.follow) {
      std::lock_guard<std::mutex> lock(out_mu);
      ctx.out << text << std::flush;
    } else {
      kept[i] += text;  // only this source's thread writes it
    }
    return true;
  };
  const auto errors =
      logs::stream_logs(*api, sources, options, options.follow ? sources.size() : k_parallel_reads, on_line);
  int code = k_exit_ok;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    ctx.out << kept[i];
    if (errors[i]) {
      ctx.out.flush();
      fail(ctx, fmt::format("pod {}: {}", sources[i].pod, errors[i]->message));
      const bool unreachable = errors[i]->kind == ErrorKind::unreachable || errors[i]->kind == ErrorKind::timeout;
      code = std::max(code, unreachable ? static_cast<int>(k_exit_unreachable) : static_cast<int>(k_exit_failure));
    }
  }
  ctx.out.flush();
  return code;
}

}  // namespace neon::cli
