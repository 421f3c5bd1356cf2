// kubectl neon node pageserver delete|configure ID and node safekeeper pause|activate|decommission
// ID: a node's lifecycle in the storage controller, before its pod goes away (scale down) or while
// it is out of service.
//
// Routes and answers (neon-api.md 2.3, 2.7; storage_controller/src/http.rs, service.rs):
// - PUT /control/v1/node/:id/delete[?force=true]: a background delete (the node becomes Deleting,
//   every shard is moved off, then the node is removed and tombstoned, so it cannot register
//   again): 412 while another node operation runs or for a policy other than Active or Pause, 409
//   when it is already deleting (service.rs:8168-8265, :7432-7590). DELETE .../delete cancels it
//   and puts the policy back (service.rs:7446, :8280-8302).
// - PUT /control/v1/node/:id/config {node_id, scheduling?, availability?}: 412 while a drain, fill
//   or delete runs.
// - POST /control/v1/safekeeper/:id/scheduling_policy {"scheduling_policy": "Pause" | "Active" |
//   "Decomissioned"} (sic, SkSchedulingPolicy).
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/node_progress.hpp"
#include "plugin/gitops/spec_input.hpp"

namespace neon::cli {

namespace {

using Clock = std::chrono::steady_clock;

/// Node scheduling policies an operator sets directly; the others belong to an operation
/// (Filling: fill, Draining: drain, Deleting: node pageserver delete).
const std::set<std::string> k_settable = {"Active", "Pause", "PauseForRestart"};

OptionSet pageserver_options(const Context& ctx) {
  auto opts = make_options(
      ctx, "node pageserver",
      "A pageserver's lifecycle in the storage controller. delete ID moves every shard off it, then removes it (it "
      "can never\nregister again): run it before scaling pageservers down. configure ID sets its scheduling (Active, "
      "Pause,\nPauseForRestart) or availability (Active, Offline).",
      "delete|configure ID");
  add_wait_flags(opts, "the delete finishes, showing the shards left");
  opts.add_options()("cancel", "delete: cancel a running delete (the node gets its policy back)")(
      "force", "delete: move shards without warming a secondary first")(
      "timeout", "delete: how long to wait", cxxopts::value<std::string>()->default_value("60m"))(
      "scheduling", "configure: Active, Pause or PauseForRestart", cxxopts::value<std::string>())(
      "availability", "configure: Active or Offline", cxxopts::value<std::string>());
  add_controller_options(opts);
  return opts;
}

OptionSet safekeeper_options(const Context& ctx) {
  auto opts = make_options(ctx, "node safekeeper",
                           "A safekeeper's scheduling policy in the storage controller: pause ID (no new timelines "
                           "on it),\nactivate ID (new timelines again), decommission ID (for good, before scaling "
                           "down; its timelines\nmust move first: migrate-timelines ID --to A,B,C moves every "
                           "timeline of the spec that it holds).",
                           "pause|activate|decommission|migrate-timelines ID");
  add_spec_flag(opts, SpecFlag::live);
  opts.add_options()("to", "migrate-timelines: the new safekeeper set, e.g. 10,11,13", cxxopts::value<std::string>())(
      "dry-run", "migrate-timelines: print the moves only");
  add_controller_options(opts);
  return opts;
}

/// The two operands: an action among `actions` and a node id.
std::optional<std::pair<std::string, std::uint64_t>> action_and_id(Context& ctx, const std::string& command,
                                                                   const cxxopts::ParseResult& r,
                                                                   const std::set<std::string>& actions, int& exit) {
  const auto pos = positionals(r);
  if (pos.size() != 2 || actions.count(pos[0]) == 0) {
    std::string list;
    for (const auto& a : actions) {
      list += (list.empty() ? "" : ", ") + a;
    }
    exit = usage_error(ctx, command, fmt::format("expected ACTION ID, with ACTION one of {}", list));
    return std::nullopt;
  }
  const auto id = parse_integer(pos[1], {});
  if (!id) {
    exit = usage_error(ctx, command, integer_problem("ID (a node id)", pos[1], {}));
    return std::nullopt;
  }
  return std::make_pair(pos[0], static_cast<std::uint64_t>(*id));
}

/// Polls until the controller no longer knows the node (404), showing its shards left.
int wait_for_delete(Context& ctx, Controller& controller, std::uint64_t node, std::chrono::milliseconds timeout,
                    const std::string& timeout_text) {
  const auto start = Clock::now();
  std::chrono::milliseconds delay{100};
  for (;;) {
    auto read = read_progress(controller.client, node);
    if (!read && read.error().http_status == 404) {
      if (ctx.err_is_tty) {
        fmt::print(ctx.err, "\033[2K\r");
      }
      fmt::print(ctx.out,
                 "pageserver {} deleted in {}: no shard left on it and the controller removed it; scale its pod "
                 "away now (it can never register again)\n",
                 node, elapsed_text(Clock::now() - start));
      return k_exit_ok;
    }
    if (!read) {
      return controller_failure(ctx, controller, read.error());
    }
    const Progress& p = read->second;
    if (p.scheduling != "Deleting") {
      return fail(ctx, fmt::format("the delete of pageserver {} stopped after {} with scheduling {} and {} attached "
                                   "shard{} (cancelled, or the controller gave up: see its log)",
                                   node, elapsed_text(Clock::now() - start), p.scheduling, p.attached,
                                   p.attached == 1 ? "" : "s"));
    }
    if (Clock::now() - start >= timeout) {
      return fail(ctx, fmt::format("timed out after {} waiting for the delete of pageserver {} ({} attached shard{} "
                                   "left); it goes on in the controller: wait again with `{} node pageserver delete "
                                   "{} --wait` (a running delete answers 409, which is then fine) or cancel it",
                                   timeout_text, node, p.attached, p.attached == 1 ? "" : "s", ctx.prog, node));
    }
    const std::string line = fmt::format("pageserver {}: Deleting, {} attached shard{} left, {} elapsed", node,
                                         p.attached, p.attached == 1 ? "" : "s", elapsed_text(Clock::now() - start));
    fmt::print(ctx.err, ctx.err_is_tty ? "\033[2K\r{}" : "{}\n", line);
    ctx.err.flush();
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

int pageserver_delete(Context& ctx, Controller& controller, const cxxopts::ParseResult& r, std::uint64_t node,
                      bool wait) {
  auto& client = controller.client;
  if (r.count("cancel") != 0) {
    auto cancelled = client.cancel_delete_node(node);
    if (!cancelled) {
      return controller_failure(ctx, controller, cancelled.error());
    }
    fmt::print(ctx.out, "delete of pageserver {} cancelled\n", node);
    return k_exit_ok;
  }
  const auto timeout = parse_duration(r["timeout"].as<std::string>());
  if (!timeout) {
    return usage_error(ctx, "node pageserver", "invalid --timeout");
  }
  auto started = client.delete_node(node, r.count("force") != 0);
  // 409: already deleting, which a rerun with --wait simply follows.
  if (!started && !(started.error().http_status == 409 && wait)) {
    return controller_failure(ctx, controller, started.error());
  }
  if (!wait) {
    fmt::print(ctx.out,
               "delete of pageserver {} started; follow it with `{} status` or `{} node pageserver delete {} "
               "--wait`\n",
               node, ctx.prog, ctx.prog, node);
    return k_exit_ok;
  }
  return wait_for_delete(ctx, controller, node, *timeout, r["timeout"].as<std::string>());
}

int node_pageserver(Context& ctx, const Args& args) {
  auto opts = pageserver_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  auto what = action_and_id(ctx, "node pageserver", *r, {"delete", "configure"}, exit);
  if (!what) {
    return exit;
  }
  const auto wait = wait_of(ctx, opts, *r, exit);
  if (!wait) {
    return exit;
  }
  std::optional<std::string> scheduling;
  std::optional<std::string> availability;
  if (what->first == "configure") {
    if (r->count("scheduling") != 0) {
      scheduling = (*r)["scheduling"].as<std::string>();
      if (k_settable.count(*scheduling) == 0) {
        return usage_error(ctx, "node pageserver",
                           fmt::format("--scheduling must be Active, Pause or PauseForRestart, got \"{}\" (Filling, "
                                       "Draining and Deleting belong to fill, drain and node pageserver delete)",
                                       *scheduling));
      }
    }
    if (r->count("availability") != 0) {
      availability = (*r)["availability"].as<std::string>();
      if (*availability != "Active" && *availability != "Offline") {
        return usage_error(ctx, "node pageserver",
                           fmt::format("--availability must be Active or Offline, got \"{}\"", *availability));
      }
    }
    if (!scheduling && !availability) {
      return usage_error(ctx, "node pageserver", "configure needs --scheduling or --availability");
    }
  }
  auto target = controller_from_flags(ctx, "node pageserver", *r, "", Kubeconfig::allowed, exit);
  if (!target) {
    return exit;
  }
  Controller controller(*target);
  const std::uint64_t node = what->second;
  if (what->first == "delete") {
    return pageserver_delete(ctx, controller, *r, node, *wait);
  }
  auto done = controller.client.configure_node(node, availability, scheduling);
  if (!done) {
    return controller_failure(ctx, controller, done.error());
  }
  fmt::print(ctx.out, "pageserver {}:{}{}\n", node, scheduling ? " scheduling " + *scheduling : "",
             availability ? " availability " + *availability : "");
  return k_exit_ok;
}

/// --to as distinct node ids without `from`; nullopt (and `exit` set) otherwise.
std::optional<std::vector<std::uint64_t>> new_set(Context& ctx, const cxxopts::ParseResult& r, std::uint64_t from,
                                                  int& exit) {
  std::vector<std::uint64_t> out;
  const std::string text = r.count("to") != 0 ? r["to"].as<std::string>() : "";
  for (std::size_t at = 0; !text.empty() && at <= text.size();) {
    const std::size_t comma = std::min(text.find(',', at), text.size());
    const auto id = parse_integer(text.substr(at, comma - at), {});
    if (!id || static_cast<std::uint64_t>(*id) == from ||
        std::find(out.begin(), out.end(), static_cast<std::uint64_t>(*id)) != out.end()) {
      exit = usage_error(ctx, "node safekeeper",
                         fmt::format("--to must list distinct safekeeper ids other than {}, e.g. --to 10,11,13", from));
      return std::nullopt;
    }
    out.push_back(static_cast<std::uint64_t>(*id));
    at = comma + 1;
  }
  if (out.empty()) {
    exit = usage_error(ctx, "node safekeeper", "migrate-timelines needs --to A,B,C (the new safekeeper set)");
    return std::nullopt;
  }
  return out;
}

/// Every timeline of the spec whose safekeeper set holds `from` moves to `to`
/// (POST /v1/tenant/:t/timeline/:tl/safekeeper_migrate, safekeeper_service.rs:1127-1200). Sets
/// come from GET /debug/v1/tenant/:t/timeline/:tl/locate (:493-520), which a controller without
/// --timelines-onto-safekeepers answers 404 for every timeline.
int migrate_timelines(Context& ctx, Controller& controller, const gen::ClusterSpec& spec, std::uint64_t from,
                      const std::vector<std::uint64_t>& to, bool dry_run) {
  int moved = 0;
  int untracked = 0;
  int timelines = 0;
  for (const auto& p : spec.projects) {
    for (const auto& b : p.branches) {
      ++timelines;
      const std::string where = fmt::format("{}/{}", p.name, b.name);
      auto located = controller.client.timeline_safekeepers(p.tenant_id, b.timeline_id);
      if (!located) {
        return controller_failure(ctx, controller, located.error());
      }
      if (!*located) {
        ++untracked;
        continue;
      }
      const std::vector<std::uint64_t>& sk_set = **located;
      if (std::find(sk_set.begin(), sk_set.end(), from) == sk_set.end()) {
        continue;
      }
      fmt::print(ctx.out, "{}{} ({}): safekeepers {} -> {}\n", dry_run ? "would move " : "", where, b.timeline_id,
                 fmt::join(sk_set, ","), fmt::join(to, ","));
      if (!dry_run) {
        auto done = controller.client.migrate_timeline_safekeepers(p.tenant_id, b.timeline_id, to);
        if (!done) {
          return controller_failure(ctx, controller, done.error());
        }
      }
      ++moved;
    }
  }
  if (untracked == timelines && timelines > 0) {
    return fail(ctx,
                "the storage controller tracks no safekeeper set for any timeline of the spec (GET .../locate "
                "answers 404): it places timelines on safekeepers only with --timelines-onto-safekeepers; "
                "without it, safekeepers hold whatever computes wrote to them");
  }
  fmt::print(ctx.err, "{} timeline{} of safekeeper {} {}{}\n", moved, moved == 1 ? "" : "s", from,
             dry_run ? "to move" : "moved",
             untracked > 0 ? fmt::format(" ({} not tracked by the controller)", untracked) : std::string());
  return k_exit_ok;
}

int node_safekeeper(Context& ctx, const Args& args) {
  auto opts = safekeeper_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  auto what =
      action_and_id(ctx, "node safekeeper", *r, {"pause", "activate", "decommission", "migrate-timelines"}, exit);
  if (!what) {
    return exit;
  }
  if (what->first == "migrate-timelines") {
    auto to = new_set(ctx, *r, what->second, exit);
    if (!to) {
      return exit;
    }
    auto spec = load_valid_spec(ctx, (*r)["file"].as<std::string>());
    if (!spec) {
      return k_exit_failure;
    }
    auto target = controller_from_flags(ctx, "node safekeeper", *r, (*spec)->namespace_, Kubeconfig::allowed, exit);
    if (!target) {
      return exit;
    }
    Controller controller(*target);
    return migrate_timelines(ctx, controller, spec->spec(), what->second, *to, r->count("dry-run") != 0);
  }
  // SkSchedulingPolicy's spellings, "Decomissioned" with one m (neon-api.md 2.7, 2.10).
  const std::string policy = what->first == "pause" ? "Pause" : what->first == "activate" ? "Active" : "Decomissioned";
  auto target = controller_from_flags(ctx, "node safekeeper", *r, "", Kubeconfig::allowed, exit);
  if (!target) {
    return exit;
  }
  Controller controller(*target);
  auto done = controller.client.set_safekeeper_policy(what->second, policy);
  if (!done) {
    return controller_failure(ctx, controller, done.error());
  }
  fmt::print(ctx.out, "safekeeper {}: scheduling policy {}\n", what->second, policy);
  return k_exit_ok;
}

}  // namespace

const VerbGroup& node_verbs() {
  static const VerbGroup k_group{
      "A pageserver's or safekeeper's lifecycle in the storage controller (delete, pause, decommission).",
      {{"pageserver", "delete|configure ID: delete a pageserver before scaling down, or set its scheduling",
        node_pageserver, pageserver_options},
       {"safekeeper", "pause|activate|decommission|migrate-timelines ID: a safekeeper's policy, or move its timelines",
        node_safekeeper, safekeeper_options}}};
  return k_group;
}

}  // namespace neon::cli
