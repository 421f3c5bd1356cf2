// kubectl neon drain / fill NODE: start (or cancel) the controller's background operation and
// (unless --no-wait) wait for it, showing the node's attached shards and the time taken. A drain ends in
// PauseForRestart; waiting, it succeeds only when no shard is attached to the node any more.
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"
#include "plugin/commands/node_progress.hpp"

namespace neon::cli {

std::string elapsed_text(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return s < 60 ? fmt::format("{}s", s) : fmt::format("{}m{:02}s", s / 60, s % 60);
}

storcon::Expected<std::pair<storcon::Node, Progress>> read_progress(storcon::Client& client, std::uint64_t node) {
  auto n = client.get_node(node);
  if (!n) {
    return n.error();
  }
  auto tenants = client.list_tenants();
  if (!tenants) {
    return tenants.error();
  }
  Progress p;
  p.scheduling = n->scheduling;
  for (const auto& t : *tenants) {
    for (const auto& s : t.shards) {
      if (s.node_attached == node) {
        p.left.push_back(s.tenant_shard_id);
        p.moving = p.moving || s.is_reconciling;
      }
    }
  }
  p.attached = p.left.size();
  return std::make_pair(std::move(*n), std::move(p));
}

std::string first_ids_text(const std::vector<std::string>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < 5; ++i) {
    out += (i == 0 ? "" : ", ") + ids[i];
  }
  return ids.size() > 5 ? out + fmt::format(" and {} more", ids.size() - 5) : out;
}

namespace {

using Clock = std::chrono::steady_clock;

enum class Operation { drain, fill };

/// Non-TTY progress lines come at least this often, and whenever the numbers change.
constexpr std::chrono::seconds k_progress_every{30};

/// `kubectl delete pod P -n NS` for a pageserver registered as P.<set>.NS.svc..., else a
/// description, for the advice after a drain.
std::string restart_advice(const storcon::Node& n) {
  std::vector<std::string> labels;
  std::size_t i = 0;
  while (i <= n.http_addr.size()) {
    const auto dot = std::min(n.http_addr.find('.', i), n.http_addr.size());
    labels.push_back(n.http_addr.substr(i, dot - i));
    i = dot + 1;
  }
  if (labels.size() >= 4 && labels[3] == "svc" && !labels[0].empty() && !labels[2].empty()) {
    return fmt::format("`kubectl delete pod {} -n {}`", labels[0], labels[2]);
  }
  return fmt::format("restarting the pod of pageserver {} ({})", n.id, n.http_addr);
}

/// After a 412 from PUT .../fill: a drained node sits in PauseForRestart and fill needs Active
/// (storage_controller/src/service.rs:8532-8535); its re-attach on restart sets it Active.
void explain_fill_refusal(Context& ctx, storcon::Client& client, std::uint64_t node) {
  auto n = client.get_node(node);
  if (!n || n->scheduling != "PauseForRestart") {
    return;
  }
  fmt::print(ctx.err,
             "hint: pageserver {} is PauseForRestart: a drain finished and waits for the pageserver to restart. "
             "Restart it ({}); it re-attaches and becomes Active, then run `{} fill {}`.\n",
             node, restart_advice(*n), ctx.prog, node);
}

OptionSet node_options(const Context& ctx, Operation op) {
  const std::string name = op == Operation::drain ? "drain" : "fill";
  auto opts = make_options(ctx, name,
                           op == Operation::drain
                               ? "Move every attached shard off a pageserver before a restart; it ends in "
                                 "PauseForRestart. Waits (unless --no-wait) until no shard is attached to it."
                               : "Move shards back onto a pageserver after a restart.",
                           "NODE");
  add_wait_flags(opts, op == Operation::drain ? "the drain finishes, showing shards left and the time taken"
                                              : "the fill finishes, showing attached shards and the time taken");
  opts.add_options()("timeout", "How long to wait", cxxopts::value<std::string>()->default_value("30m"))(
      "cancel", fmt::format("Cancel a running {}", name));
  add_controller_options(opts);
  return opts;
}

int run_node_operation(Context& ctx, const Args& args, Operation op) {
  const std::string name = op == Operation::drain ? "drain" : "fill";
  const std::string running = op == Operation::drain ? "Draining" : "Filling";
  const std::string final_state = op == Operation::drain ? "PauseForRestart" : "Active";
  auto opts = node_options(ctx, op);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "NODE id", exit);
  if (!r) {
    return exit;
  }
  const auto wait = wait_of(ctx, opts, *r, exit);
  if (!wait) {
    return exit;
  }
  const auto pos = positionals(*r);
  const auto id = parse_integer(pos.front(), {});
  if (!id) {
    return usage_error(ctx, name, integer_problem("NODE (a pageserver id)", pos.front(), {}));
  }
  const auto node = static_cast<std::uint64_t>(*id);
  const auto timeout = parse_duration((*r)["timeout"].as<std::string>());
  if (!timeout) {
    return usage_error(ctx, name, "invalid --timeout");
  }
  auto target = controller_from_flags(ctx, name, *r, "", Kubeconfig::allowed, exit);
  if (!target) {
    return exit;
  }
  Controller controller(*target);
  auto& client = controller.client;
  const bool cancel = r->count("cancel") != 0;
  storcon::Expected<void> started = op == Operation::drain
                                        ? (cancel ? client.cancel_drain(node) : client.start_drain(node))
                                        : (cancel ? client.cancel_fill(node) : client.start_fill(node));
  if (!started) {
    const int code = controller_failure(ctx, controller, started.error());
    if (op == Operation::fill && !cancel && started.error().http_status == 412) {
      explain_fill_refusal(ctx, client, node);
    }
    return code;
  }
  if (cancel) {
    fmt::print(ctx.out, "{} of pageserver {} cancelled\n", name, node);
    return k_exit_ok;
  }
  if (!*wait) {
    fmt::print(ctx.out, "{} of pageserver {} started; follow it with `{} status` or `{} {} {} --wait`\n", name, node,
               ctx.prog, ctx.prog, name, node);
    return k_exit_ok;
  }
  const auto start = Clock::now();
  const auto deadline = start + *timeout;
  std::chrono::milliseconds delay{100};
  std::optional<Progress> shown;
  auto last_line = start;
  for (;;) {
    auto read = read_progress(client, node);
    if (!read) {
      if (ctx.err_is_tty) {
        fmt::print(ctx.err, "\033[2K\r");
      }
      return controller_failure(ctx, controller, read.error());
    }
    const auto& [n, p] = *read;
    const std::string elapsed = elapsed_text(Clock::now() - start);
    const std::string line =
        fmt::format("pageserver {}: {}, {} attached shard{}{}, {} elapsed", node, p.scheduling, p.attached,
                    p.attached == 1 ? "" : "s", op == Operation::drain ? " left" : "", elapsed);
    const bool ran = p.scheduling != running;
    // A drain is over when the controller has finished (PauseForRestart) and nothing attached to
    // the node is still moving; it succeeded when no shard is attached any more.
    const bool over = ran && (op == Operation::fill || !p.moving || p.attached == 0);
    if (over) {
      if (ctx.err_is_tty) {
        fmt::print(ctx.err, "\033[2K\r");
      }
      if (p.scheduling != final_state) {
        return fail(ctx, fmt::format("{} of pageserver {} ended with scheduling {} after {} (cancelled or failed)",
                                     name, node, p.scheduling, elapsed));
      }
      if (op == Operation::drain && p.attached > 0) {
        // service.rs:9648-9686: the drain skips shards without a usable secondary (placement
        // Attached(0), scheduling Pause/Stop, a lagging secondary) and still ends in
        // PauseForRestart (:9745-9752).
        return fail(
            ctx, fmt::format("the drain of pageserver {} ended after {} with {} shard{} still attached ({}): they have "
                             "no secondary the controller could move them to (placement Attached(0), scheduling Pause "
                             "or Stop, or a lagging secondary). Restarting the pageserver now interrupts them; give "
                             "them a secondary (`{} attach TENANT --secondaries 1`) and drain again, or accept the "
                             "interruption",
                             node, elapsed, p.attached, p.attached == 1 ? "" : "s", first_ids_text(p.left), ctx.prog));
      }
      if (op == Operation::drain) {
        fmt::print(ctx.out,
                   "pageserver {}: drain finished in {}, no attached shards left, scheduling {}; restart it ({}), "
                   "then run `{} fill {}`\n",
                   node, elapsed, p.scheduling, restart_advice(n), ctx.prog, node);
      } else {
        fmt::print(ctx.out, "pageserver {}: fill finished in {}, {} attached shard{}, scheduling {}\n", node, elapsed,
                   p.attached, p.attached == 1 ? "" : "s", p.scheduling);
      }
      return k_exit_ok;
    }
    if (Clock::now() >= deadline) {
      if (ctx.err_is_tty) {
        fmt::print(ctx.err, "\033[2K\r");
      }
      return fail(ctx, fmt::format("timed out after {} waiting for the {} of pageserver {} ({}, {} attached shard{})",
                                   (*r)["timeout"].as<std::string>(), name, node, p.scheduling, p.attached,
                                   p.attached == 1 ? "" : "s"));
    }
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "\033[2K\r{}", line);
    } else if (!shown || shown->attached != p.attached || shown->scheduling != p.scheduling ||
               Clock::now() - last_line >= k_progress_every) {
      fmt::print(ctx.err, "{}\n", line);
      last_line = Clock::now();
    }
    ctx.err.flush();
    shown = p;
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace

OptionSet drain_options(const Context& ctx) { return node_options(ctx, Operation::drain); }
OptionSet fill_options(const Context& ctx) { return node_options(ctx, Operation::fill); }

int cmd_drain(Context& ctx, const Args& args) { return run_node_operation(ctx, args, Operation::drain); }
int cmd_fill(Context& ctx, const Args& args) { return run_node_operation(ctx, args, Operation::fill); }

}  // namespace neon::cli
