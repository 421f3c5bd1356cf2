// kubectl neon sync: makes the storage controller follow the spec (sync_plan.hpp says what drift
// it finds and how it is fixed). Tenants and timelines are created through the same idempotent path
// as `bootstrap compute` (storcon_bootstrap.hpp); the spec comes from -f or, in the cluster, from
// the computes.json the compute hook's ConfigMap holds (--computes-file).
// Exit status, like diff: 0 no drift (or all of it fixed), 1 drift found (with --dry-run) or left
// (tenants and timelines kept without --prune, more shards than the spec), 2 an error (usage, a
// failed request), 3 the controller could not be reached.
// In the cluster (spec.sync's CronJob, generators/sync_job.hpp) it mints its own short-lived tokens
// from the storage signing key (--signing-key-file) and leaves its findings in --summary-file
// (sync_summary.hpp), which `status` reads back.
#include <chrono>
#include <ctime>
#include <fstream>
#include <optional>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/computes.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/clients/storcon_bootstrap.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/sync_plan.hpp"
#include "plugin/commands/sync_summary.hpp"
#include "plugin/gitops/spec_input.hpp"
#include "plugin/hook/controller_tokens.hpp"

namespace neon::cli {

namespace {

constexpr int k_exit_drift = 1;
constexpr int k_exit_error = 2;

/// --summary-file: written once, whatever the outcome, when the run ends.
class SummaryFile {
public:
  SummaryFile(Context& ctx, std::string path, bool dry_run) : m_ctx(ctx), m_path(std::move(path)), m_dry_run(dry_run) {}

  /// Writes the summary of a run ending with `exit` (nothing without --summary-file); returns `exit`.
  int finish(int exit, const sync::Plan* plan = nullptr, std::size_t made = 0, std::size_t left = 0,
             std::string error = {}) {
    if (m_path.empty()) {
      return exit;
    }
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char time[32];
    const std::size_t n = std::strftime(time, sizeof time, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const auto summary = sync::summarize(plan, made, left, m_dry_run, exit, std::move(error), std::string(time, n));
    // Not an atomic write: /dev/termination-log is a file the kubelet made, in a folder of its own.
    std::ofstream out(m_path, std::ios::out | std::ios::trunc);
    out << sync::summary_json(summary) << '\n';
    out.flush();
    if (!out) {
      fmt::print(m_ctx.err, "warning: could not write the summary to {}\n", m_path);
    }
    return exit;
  }

private:
  Context& m_ctx;
  std::string m_path;
  bool m_dry_run;
};

/// controller_failure's message and hint; exit 3 when unreachable, else 2.
int sync_failure(Context& ctx, const Controller& controller, const storcon::CallError& e) {
  return controller_failure(ctx, controller, e) == k_exit_unreachable ? k_exit_unreachable : k_exit_error;
}

/// The controller's tenants, each with its timelines. Progress on a terminal.
storcon::Expected<std::map<std::string, sync::LiveTenant>> read_live(Context& ctx, storcon::Client& client) {
  auto tenants = client.list_tenants();
  if (!tenants) {
    return tenants.error();
  }
  std::map<std::string, sync::LiveTenant> live;
  std::size_t done = 0;
  for (auto& t : *tenants) {
    sync::LiveTenant l;
    const bool attached = t.policy.is_object() && std::any_of(t.shards.begin(), t.shards.end(), [](const auto& s) {
                            return s.node_attached.has_value();
                          });
    if (attached) {
      auto tls = client.list_timelines(t.tenant_id);
      if (!tls) {
        storcon::CallError e = tls.error();
        e.message = fmt::format("tenant {}: {}", t.tenant_id, e.message);
        return e;
      }
      l.timelines = std::move(*tls);
    }
    l.timelines_known = attached;
    const std::string id = t.tenant_id;
    l.tenant = std::move(t);
    live.emplace(id, std::move(l));
    if (ctx.err_is_tty && (++done % 50 == 0 || done == tenants->size())) {
      fmt::print(ctx.err, "\033[2K\rreading timelines: {}/{} tenants", done, tenants->size());
      ctx.err.flush();
    }
  }
  if (ctx.err_is_tty) {
    fmt::print(ctx.err, "\033[2K\r");
  }
  return live;
}

/// The branches from the project's root to `timeline_id`, for create_compute_storage.
std::vector<gen::ComputesBranch> path_to(const gen::ComputesProject& p, const std::string& timeline_id) {
  std::vector<gen::ComputesBranch> path;
  for (std::string cur = timeline_id; !cur.empty() && path.size() <= p.branches.size();) {
    auto it = std::find_if(p.branches.begin(), p.branches.end(),
                           [&](const gen::ComputesBranch& b) { return b.timeline_id == cur; });
    if (it == p.branches.end()) {
      break;
    }
    path.insert(path.begin(), *it);
    cur = it->ancestor_timeline_id;
  }
  return path;
}

/// Makes one change; false after printing why it failed.
storcon::Expected<void> apply(Context& ctx, storcon::Client& client, const gen::ComputesFile& spec,
                              const sync::Change& c) {
  const gen::ComputesProject* p = spec.project(c.project);
  switch (c.action) {
    case sync::Action::create_tenant:
      return bootstrap::create_compute_storage(client, ctx.err, *p, {});
    case sync::Action::create_timeline:
      return bootstrap::create_compute_storage(client, ctx.err, *p, path_to(*p, c.timeline_id));
    case sync::Action::set_config:
      return client.set_tenant_config(c.tenant_id, p->tenant_config);
    case sync::Action::set_preferred_az:
      return client.set_preferred_azs(c.shards, c.zone);
    case sync::Action::split:
      // The stripe size counts only on the first split (models.rs:466-470).
      return client.split_tenant(c.tenant_id, c.to_shards,
                                 c.from_shards == 1 ? std::optional<std::uint32_t>(p->stripe_size) : std::nullopt);
    case sync::Action::extra_timeline:
      return client.delete_timeline(c.tenant_id, c.timeline_id);
    case sync::Action::extra_tenant:
      return client.delete_tenant(c.tenant_id);
    case sync::Action::shards_above_spec:
      break;
  }
  return {};
}

}  // namespace

OptionSet sync_options(const Context& ctx) {
  auto opts = make_options(
      ctx, "sync",
      "Make the storage controller follow the spec: create missing tenants and timelines, apply tenantConfig, split "
      "tenants whose shards.count grew; report tenants and timelines the spec does not have (--prune deletes them). "
      "Exit status: 0 no drift (or all fixed), 1 drift found (--dry-run) or left, 2 error, 3 controller "
      "unreachable.");
  opts.add_options()("dry-run", "Print the plan only")(
      "prune", "Delete the tenants and timelines the spec does not have (children first, after a confirmation)")(
      "y,yes", "Do not ask for confirmation")(
      "computes-file", "Read the projects from this computes.json (the compute hook's) instead of a spec",
      cxxopts::value<std::string>()->default_value(""))(
      "summary-file", "Also write the run's findings to this file, as one line of JSON (at most 4 KiB)",
      cxxopts::value<std::string>()->default_value(""))(
      "signing-key-file",
      "Mint short-lived tokens, one scope per route, from this storage signing key (private.pem) instead of "
      "--token-file; none for deletes, so not with --prune",
      cxxopts::value<std::string>()->default_value(""));
  opts.files({"computes-file", "summary-file", "signing-key-file"});
  add_output(opts, {"text", "json"}, "text", "text or json");
  add_spec_flag(opts, SpecFlag::live);
  add_controller_options(opts);
  return opts;
}

int cmd_sync(Context& ctx, const Args& args) {
  auto opts = sync_options(ctx);
  int exit = 0;
  auto r = parse_no_operands(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto format = output_of(ctx, opts, *r, exit);
  if (!format) {
    return exit;
  }
  const bool dry_run = r->count("dry-run") != 0;
  const bool prune = r->count("prune") != 0;
  const std::string computes_file = (*r)["computes-file"].as<std::string>();
  const std::string file = (*r)["file"].as<std::string>();
  const std::string signing_key_file = (*r)["signing-key-file"].as<std::string>();
  if (!computes_file.empty() && !file.empty()) {
    return usage_error(ctx, "sync", "-f and --computes-file both name the projects: give one");
  }
  if (!signing_key_file.empty() && prune) {
    return usage_error(ctx, "sync", "--signing-key-file mints no token that may delete: prune with --token-file");
  }
  SummaryFile summary(ctx, (*r)["summary-file"].as<std::string>(), dry_run);
  gen::ComputesFile spec;
  std::string spec_namespace;
  if (!computes_file.empty()) {
    auto text = read_file(computes_file, 256U << 20U);
    auto parsed = text ? gen::parse_computes(*text, computes_file) : Result<gen::ComputesFile>(text.error());
    if (!parsed) {
      fail(ctx, parsed.error().message);
      return summary.finish(k_exit_error, nullptr, 0, 0, parsed.error().message);
    }
    spec = std::move(*parsed);
  } else {
    auto valid = load_valid_spec(ctx, file);
    if (!valid) {
      return summary.finish(k_exit_error, nullptr, 0, 0, "the spec is not valid");
    }
    spec = gen::computes_file(*valid);
    spec_namespace = (*valid)->namespace_;
  }
  auto target = controller_from_flags(ctx, "sync", *r, spec_namespace, Kubeconfig::allowed, exit);
  if (!target) {
    return summary.finish(exit, nullptr, 0, 0, "the storage controller could not be found");
  }
  std::optional<hook::ControllerTokens> tokens;
  if (!signing_key_file.empty()) {
    if (!target->options.token.empty()) {
      return usage_error(ctx, "sync",
                         "--signing-key-file and a token (--token-file or the environment) both give "
                         "the token: give one");
    }
    auto pem = read_file(signing_key_file, 64U << 10U);
    auto made = pem ? hook::ControllerTokens::create(*pem) : Result<hook::ControllerTokens>(pem.error());
    if (!made) {
      fail(ctx, made.error().message);
      return summary.finish(k_exit_error, nullptr, 0, 0, made.error().message);
    }
    tokens.emplace(std::move(*made));
    target->options.token_for = tokens->for_routes(&sync::scope_for);
  }
  Controller controller(*target);
  auto live = read_live(ctx, controller.client);
  if (!live) {
    return summary.finish(sync_failure(ctx, controller, live.error()), nullptr, 0, 0, live.error().message);
  }
  const auto plan = sync::make_plan(spec, *live);
  if (*format == "json") {
    ctx.out << sync::plan_json(plan).dump(2) << '\n';
  } else if (plan.changes.empty()) {
    fmt::print(ctx.out, "no drift: {} project{} match the storage controller\n", spec.projects.size(),
               spec.projects.size() == 1 ? "" : "s");
  } else {
    ctx.out << sync::plan_text(plan, prune);
  }
  if (dry_run || plan.changes.empty()) {
    return summary.finish(plan.changes.empty() ? k_exit_ok : k_exit_drift, &plan, 0, plan.changes.size());
  }
  if (prune && plan.prunable() > 0) {
    const auto code =
        confirm(ctx, "sync", "prune",
                fmt::format("Delete {} tenant{} and timeline{} the spec does not have, with their data?",
                            plan.prunable(), plan.prunable() == 1 ? "" : "s", plan.prunable() == 1 ? "" : "s"),
                r->count("yes") != 0, "nothing deleted");
    if (code) {
      return summary.finish(*code, &plan, 0, plan.changes.size(), "prune not confirmed: nothing changed");
    }
  }
  std::size_t fixed = 0;
  std::size_t left = 0;
  for (const auto& c : plan.changes) {
    const bool extra = c.action == sync::Action::extra_timeline || c.action == sync::Action::extra_tenant;
    if (c.action == sync::Action::shards_above_spec || (extra && !prune)) {
      ++left;
      continue;
    }
    if (auto done = apply(ctx, controller.client, spec, c); !done) {
      fmt::print(ctx.err, "sync stopped at: {} {}{}; {} change{} made before it (the next sync goes on from there)\n",
                 sync::action_name(c.action), c.project.empty() ? c.tenant_id : c.project,
                 c.branch.empty() ? std::string() : "/" + c.branch, fixed, fixed == 1 ? "" : "s");
      return summary.finish(sync_failure(ctx, controller, done.error()), &plan, fixed, plan.changes.size() - fixed,
                            done.error().message);
    }
    ++fixed;
  }
  fmt::print(ctx.err, "{} change{} made{}\n", fixed, fixed == 1 ? "" : "s",
             left == 0 ? std::string()
                       : fmt::format("; {} left (see above{})", left,
                                     prune ? ""
                                           : "; --prune deletes what the spec "
                                             "does not have"));
  return summary.finish(left == 0 ? k_exit_ok : k_exit_drift, &plan, fixed, left);
}

}  // namespace neon::cli
