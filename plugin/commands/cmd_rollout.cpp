// kubectl neon rollout pageservers|safekeepers|storage-controller|computes|all: restarts the pods
// whose template is older than their workload's, in a safe order. Pageserver and safekeeper
// StatefulSets use updateStrategy OnDelete (generators/members.cpp), so a new image in Git restarts
// nothing by itself; this command restarts them one at a time (rollout_run.cpp). The storage
// controller and computes are Deployments that roll themselves; the command waits for them.
// The plan is read from the cluster every time (rollout_plan.hpp), so --resume needs no state file.
// Exit status: 0 done (or nothing to do), 1 refused or a step failed, 2 usage, 3 the cluster or
// the controller could not be reached.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/diagnostics.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/node_progress.hpp"
#include "plugin/commands/rollout_plan.hpp"
#include "plugin/commands/rollout_run.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace {

const std::vector<std::string> k_targets = {"all", "storage-controller", "safekeepers", "pageservers", "computes"};
constexpr const char* k_part_of = "app.kubernetes.io/part-of=neon";

bool has(const std::vector<rollout::Kind>& kinds, rollout::Kind k) {
  return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

/// Reads what the plan needs: workloads and pods from Kubernetes, nodes, shards and safekeepers
/// from the controller. Prints the error and sets `exit` on failure.
std::optional<rollout::Cluster> read_cluster(Context& ctx, kube::Client& kube, const std::string& ns,
                                             Controller& controller, const std::vector<rollout::Kind>& kinds,
                                             int& exit) {
  rollout::Cluster c;
  auto sets = kube.list_statefulsets(ns, k_part_of);
  auto pods = sets ? kube.list_pods(ns, k_part_of) : Result<std::vector<kube::Pod>>(sets.error());
  auto deployments = pods ? kube.list_deployments(ns, k_part_of) : Result<std::vector<kube::Deployment>>(pods.error());
  if (!deployments) {
    exit = rollout::kube_failure(ctx, deployments.error());
    return std::nullopt;
  }
  c.sets = std::move(*sets);
  c.pods = std::move(*pods);
  c.deployments = std::move(*deployments);
  const auto failed = [&](const storcon::CallError& e) {
    exit = controller_failure(ctx, controller, e);
    return std::nullopt;
  };
  if (has(kinds, rollout::Kind::pageservers)) {
    auto nodes = controller.client.list_nodes();
    if (!nodes) {
      return failed(nodes.error());
    }
    c.nodes = std::move(*nodes);
    auto tenants = controller.client.list_tenants();
    if (!tenants) {
      return failed(tenants.error());
    }
    c.attached = storcon::attached_counts(*tenants);
    for (const auto& t : *tenants) {
      for (const auto& s : t.shards) {
        for (const auto id : s.node_secondary) {
          ++c.secondary[id];
        }
      }
    }
  }
  if (has(kinds, rollout::Kind::safekeepers)) {
    auto sks = controller.client.list_safekeepers();
    if (!sks) {
      return failed(sks.error());
    }
    c.safekeepers = std::move(*sks);
  }
  return c;
}

}  // namespace

OptionSet rollout_options(const Context& ctx) {
  auto opts = make_options(
      ctx, "rollout",
      "Restart the pods whose template is out of date, safely and in order: storage controller, safekeepers, "
      "pageservers, computes (for all). A pageserver is drained, restarted, waited for (Ready and Active) and "
      "filled, one at a time; a safekeeper restarts only while every timeline keeps a quorum. The plan comes first; "
      "a failure stops the rollout and says how to continue it (--resume: the state is read from the cluster). Exit "
      "status: 0 done, 1 refused or failed, 2 usage error, 3 cluster or controller unreachable.",
      "pageservers|safekeepers|storage-controller|computes|all");
  opts.operands(k_targets);
  opts.add_options()("dry-run", "Print the plan only")(
      "resume", "Continue a rollout that stopped part way (nodes draining, paused for restart, restarting)")(
      "allow-interruption",
      "Restart a pageserver even when its tenants cannot move first (the only pageserver, or shards without a "
      "secondary); their computes wait until it is back")(
      "timeout", "How long each wait may take (a drain, a pod becoming Ready, a fill)",
      cxxopts::value<std::string>()->default_value("30m"))("interval",
                                                           "The longest pause between two reads while waiting",
                                                           cxxopts::value<std::string>()->default_value("2s"));
  add_int(opts, "node", "Only this pageserver or safekeeper (its node id)", "", "ID");
  add_output(opts, {"text", "json"}, "text", "text, or json (the plan, with --dry-run)");
  add_spec_flag(opts, SpecFlag::optional, ", whose timelines' safekeeper sets the quorum check reads");
  add_controller_options(opts);
  return opts;
}

int cmd_rollout(Context& ctx, const Args& args) {
  auto opts = rollout_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto format = output_of(ctx, opts, *r, exit);
  if (!format) {
    return exit;
  }
  const auto pos = positionals(*r);
  if (pos.size() != 1) {
    return usage_error(ctx, "rollout",
                       "expected exactly one TARGET: pageservers, safekeepers, storage-controller, computes or all");
  }
  const std::string target = pos.front();
  const auto kinds = rollout::kinds_of(target);
  if (!kinds) {
    const std::string near = gen::did_you_mean(target, k_targets);
    return usage_error(ctx, "rollout",
                       fmt::format("unknown TARGET \"{}\": use pageservers, safekeepers, storage-controller, "
                                   "computes or all{}",
                                   target, near.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", near)));
  }
  std::optional<long long> node;
  if (!int_of(ctx, opts, *r, "node", {0, 1LL << 62}, node, exit)) {
    return exit;
  }
  if (node && !has(*kinds, rollout::Kind::pageservers) && !has(*kinds, rollout::Kind::safekeepers)) {
    return usage_error(ctx, "rollout", "--node names a pageserver or safekeeper; it does not apply to " + target);
  }
  const auto timeout = parse_duration((*r)["timeout"].as<std::string>());
  const auto interval = parse_duration((*r)["interval"].as<std::string>());
  if (!timeout || timeout->count() <= 0 || !interval || interval->count() <= 0) {
    return usage_error(ctx, "rollout", !timeout || timeout->count() <= 0 ? "invalid --timeout" : "invalid --interval");
  }
  const bool dry_run = r->count("dry-run") != 0;
  if (*format == "json" && !dry_run) {
    return usage_error(ctx, "rollout", "-o json prints the plan: use it with --dry-run");
  }
  std::optional<gen::ValidSpec> spec;
  std::string spec_namespace;
  const std::string file = (*r)["file"].as<std::string>();
  if (spec_available(file)) {
    spec = load_valid_spec(ctx, file);
    if (!spec) {
      return k_exit_failure;
    }
    spec_namespace = (*spec)->namespace_;
  }
  auto target_controller = controller_from_flags(ctx, "rollout", *r, spec_namespace, Kubeconfig::allowed, exit);
  if (!target_controller) {
    return exit;
  }
  auto api = kube::resolve_api_server(ctx, spec_namespace);
  if (!api) {
    fail(ctx, "rollout needs the Kubernetes API (it deletes pods and reads their revisions): " + api.error().message);
    return k_exit_unreachable;
  }
  http::CurlTransport transport(api->tls);
  kube::Client kube(*api, transport);
  Controller controller(*target_controller);

  auto cluster = read_cluster(ctx, kube, api->namespace_, controller, *kinds, exit);
  if (!cluster) {
    return exit;
  }
  rollout::Options options{*kinds,
                           node ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(*node)) : std::nullopt,
                           r->count("resume") != 0, r->count("allow-interruption") != 0};
  const auto plan = rollout::make_plan(*cluster, options);
  if (*format == "json") {
    ctx.out << rollout::plan_json(plan).dump(2) << '\n';
  } else {
    ctx.out << rollout::plan_text(plan);
  }
  for (const auto& p : plan.problems) {
    fail(ctx, p);
  }
  if (!plan.problems.empty()) {
    return k_exit_failure;
  }
  if (dry_run) {
    return k_exit_ok;
  }
  if (plan.steps.empty()) {
    fmt::print(ctx.out, "nothing to roll out\n");
    return k_exit_ok;
  }
  // The same command line, so the continuation keeps what this run was told.
  std::string resume = fmt::format("{} rollout {} --resume", ctx.prog, target);
  if (node) {
    resume += fmt::format(" --node {}", *node);
  }
  if (!file.empty()) {
    resume += " -f " + file;
  }
  if (options.allow_interruption) {
    resume += " --allow-interruption";
  }
  rollout::Runner runner{ctx,
                         kube,
                         api->namespace_,
                         controller,
                         spec ? &spec->spec() : nullptr,
                         *timeout,
                         (*r)["timeout"].as<std::string>(),
                         *interval,
                         options.allow_interruption,
                         resume};
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    if (const int code = runner.run(plan.steps[i], i + 1, plan.steps.size()); code != k_exit_ok) {
      return code;
    }
  }
  fmt::print(ctx.out, "rollout finished: {} step{} in {}\n", plan.steps.size(), plan.steps.size() == 1 ? "" : "s",
             elapsed_text(std::chrono::steady_clock::now() - start));
  return k_exit_ok;
}

}  // namespace neon::cli
