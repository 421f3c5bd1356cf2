// kubectl neon suspend|resume PROJECT/BRANCH: a suspendable compute (compute.suspendAfter) scaled to
// zero or back by hand, through the Deployment's scale subresource, with the user's kubeconfig.
//
// Only suspendable branches: their rendered Deployment has no `replicas` (the hook owns it), so
// Argo CD and Flux leave the change alone; on any other branch the next sync would undo it.
// Scaling to zero stops the pod: compute_ctl forwards SIGTERM to Postgres and exits
// (compute_tools/src/bin/compute_ctl.rs:362-366). Every commit was already acknowledged by a
// majority of safekeepers, so nothing committed is lost; the hook's own idle suspend calls
// /terminate first for a clean shutdown. A connection through the proxy wakes the compute again.
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/names.hpp"
#include "generators/validate.hpp"
#include "plugin/adapters/http.hpp"
#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/kubeconfig.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace {

constexpr std::chrono::milliseconds k_poll{1000};

OptionSet power_options(const Context& ctx, const std::string& verb) {
  const bool resume = verb == "resume";
  auto opts = make_options(
      ctx, verb,
      resume ? "Start a suspended compute (compute.suspendAfter) again: scale its Deployment to 1 and wait until it is "
               "ready. A connection through the proxy does the same by itself."
             : "Suspend a compute now (compute.suspendAfter): scale its Deployment to 0. A connection through the "
               "proxy wakes it again.",
      "PROJECT/BRANCH");
  add_spec_flag(opts, SpecFlag::live, ", for which branches are suspendable");
  if (resume) {
    add_wait_flags(opts, "the compute is ready", "Return once the Deployment is scaled up");
    opts.add_options()("timeout", "How long to wait for the compute",
                       cxxopts::value<std::string>()->default_value("5m"));
  }
  return opts;
}

/// The branch named by PROJECT/BRANCH (did-you-mean on a miss); nullptr after printing why not.
const gen::Branch* find_branch(Context& ctx, const gen::ClusterSpec& spec, const std::string& operand,
                               const gen::Project** project) {
  const auto slash = operand.find('/');
  const std::string p = operand.substr(0, slash);
  const std::string b = operand.substr(slash + 1);
  std::vector<std::string> names;
  for (const auto& pr : spec.projects) {
    names.push_back(pr.name);
    if (pr.name == p) {
      *project = &pr;
    }
  }
  if (*project == nullptr) {
    fail(ctx, fmt::format("no project \"{}\" in the spec{}", p, gen::suggestion_suffix(p, names)));
    return nullptr;
  }
  names.clear();
  for (const auto& br : (*project)->branches) {
    names.push_back(br.name);
    if (br.name == b) {
      return &br;
    }
  }
  fail(ctx, fmt::format("no branch \"{}\" in project \"{}\"{}", b, p, gen::suggestion_suffix(b, names)));
  return nullptr;
}

int power(Context& ctx, const Args& args, const std::string& verb) {
  auto opts = power_options(ctx, verb);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const bool resume = verb == "resume";
  std::optional<bool> wait = false;
  std::optional<std::chrono::milliseconds> timeout;
  if (resume) {
    wait = wait_of(ctx, opts, *r, exit);
    timeout = parse_duration((*r)["timeout"].as<std::string>());
    if (!wait) {
      return exit;
    }
    if (!timeout || timeout->count() <= 0) {
      return usage_error(ctx, verb, "--timeout must be a duration such as 90s or 5m");
    }
  }
  const auto operands = positionals(*r);
  if (operands.size() != 1 || operands[0].find('/') == std::string::npos || operands[0].front() == '/' ||
      operands[0].back() == '/') {
    return usage_error(ctx, verb, "expected exactly one PROJECT/BRANCH");
  }
  auto spec = load_valid_spec(ctx, (*r)["file"].as<std::string>());
  if (!spec) {
    return k_exit_failure;
  }
  const gen::Project* project = nullptr;
  const gen::Branch* branch = find_branch(ctx, spec->spec(), operands[0], &project);
  if (branch == nullptr) {
    return k_exit_failure;
  }
  if (branch->compute.suspend_after_seconds <= 0) {
    return fail(ctx, fmt::format("branch {} is not suspendable: set compute.suspendAfter on it (its Deployment's "
                                 "replicas then belong to the hook; otherwise Argo CD or Flux would undo this)",
                                 operands[0]));
  }
  const std::string deployment = gen::names::compute_name(project->name, branch->name);
  const std::string ns = !ctx.globals.namespace_.empty() ? ctx.globals.namespace_ : (*spec)->namespace_;
  auto api = kube::resolve_api_server(ctx, ns);
  if (!api) {
    fail(ctx, api.error().message);
    return k_exit_unreachable;
  }
  http::CurlTransport transport(api->tls);
  kube::Client kube(*api, transport);
  auto before = kube.get_scale(api->namespace_, deployment);
  if (!before) {
    fail(ctx, before.error().message);
    return before.error().kind == ErrorKind::unreachable ? k_exit_unreachable : k_exit_failure;
  }
  const int want = resume ? 1 : 0;
  if (*before != want) {
    if (auto set = kube.set_scale(api->namespace_, deployment, want); !set) {
      fail(ctx, set.error().message);
      return k_exit_failure;
    }
  }
  const char* done = resume ? "resumed" : "suspended";
  fmt::print(ctx.err, "deployment {}/{} {}{}\n", api->namespace_, deployment, *before == want ? "was already " : "",
             done);
  if (!resume || !*wait) {
    return k_exit_ok;
  }
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  for (;;) {
    auto list = kube.list_deployments(api->namespace_, "app.kubernetes.io/component=compute");
    if (list) {
      for (const auto& d : *list) {
        if (d.name == deployment && d.available_replicas >= 1) {
          fmt::print(ctx.err, "compute {} is ready\n", operands[0]);
          return k_exit_ok;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(ctx, fmt::format("compute {} was not ready within {}: see `{} logs compute {}`", operands[0],
                                   (*r)["timeout"].as<std::string>(), ctx.prog, operands[0]));
    }
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "waiting for compute {}...\r", operands[0]);
    }
    std::this_thread::sleep_for(k_poll);
  }
}

}  // namespace

OptionSet suspend_options(const Context& ctx) { return power_options(ctx, "suspend"); }
OptionSet resume_options(const Context& ctx) { return power_options(ctx, "resume"); }
int cmd_suspend(Context& ctx, const Args& args) { return power(ctx, args, "suspend"); }
int cmd_resume(Context& ctx, const Args& args) { return power(ctx, args, "resume"); }

}  // namespace neon::cli
