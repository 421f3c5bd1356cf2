// kubectl neon drain / fill NODE: start (or cancel) the controller's background operation and
// optionally wait until the node leaves Draining/Filling. A drain ends in PauseForRestart.
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "plugin/cli.hpp"
#include "plugin/commands.hpp"
#include "plugin/controller_target.hpp"

namespace neon::cli {

namespace {

enum class Operation { drain, fill };

int run_node_operation(Context& ctx, const Args& args, Operation op) {
  const std::string name = op == Operation::drain ? "drain" : "fill";
  const std::string running = op == Operation::drain ? "Draining" : "Filling";
  const std::string final_state = op == Operation::drain ? "PauseForRestart" : "Active";
  auto opts = make_options(ctx, name,
                           op == Operation::drain
                               ? "Move every attached shard off a pageserver before a restart; it ends in "
                                 "PauseForRestart."
                               : "Move shards back onto a pageserver after a restart.",
                           "NODE");
  opts.add_options()("wait", "Wait until the operation finishes")(
      "timeout", "How long to wait", cxxopts::value<std::string>()->default_value("30m"))(
      "cancel", fmt::format("Cancel a running {}", name));
  add_controller_options(opts);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "NODE id", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  std::uint64_t node = 0;
  try {
    std::size_t used = 0;
    node = std::stoull(pos.front(), &used);
    if (used != pos.front().size()) {
      throw std::invalid_argument("trailing characters");
    }
  } catch (const std::exception&) {
    return usage_error(ctx, name, fmt::format("NODE must be a numeric pageserver id, not \"{}\"", pos.front()));
  }
  const auto timeout = parse_duration((*r)["timeout"].as<std::string>());
  if (!timeout) {
    return usage_error(ctx, name, "invalid --timeout");
  }
  auto target = resolve_controller(ctx, *r, "", Kubeconfig::allowed);
  if (!target) {
    return fail(ctx, target.error().message);
  }
  Controller controller(*target);
  auto& client = controller.client;
  const bool cancel = r->count("cancel") != 0;
  Result<void> started = op == Operation::drain ? (cancel ? client.cancel_drain(node) : client.start_drain(node))
                                                : (cancel ? client.cancel_fill(node) : client.start_fill(node));
  if (!started) {
    return fail(ctx, started.error().message);
  }
  if (cancel) {
    fmt::print(ctx.out, "{} of pageserver {} cancelled\n", name, node);
    return k_exit_ok;
  }
  if (r->count("wait") == 0) {
    fmt::print(ctx.out, "{} of pageserver {} started; follow it with `{} status` or `{} {} {} --wait`\n", name, node,
               ctx.prog, ctx.prog, name, node);
    return k_exit_ok;
  }
  const auto deadline = std::chrono::steady_clock::now() + *timeout;
  std::chrono::milliseconds delay{100};
  for (;;) {
    auto n = client.get_node(node);
    if (!n) {
      return fail(ctx, n.error().message);
    }
    if (n->scheduling != running) {
      if (ctx.err_is_tty) {
        fmt::print(ctx.err, "\033[2K\r");
      }
      if (n->scheduling != final_state) {
        return fail(ctx, fmt::format("{} of pageserver {} ended with scheduling {} (cancelled or failed)", name, node,
                                     n->scheduling));
      }
      fmt::print(ctx.out, "pageserver {}: {} finished, scheduling {}\n", node, name, n->scheduling);
      return k_exit_ok;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(ctx, fmt::format("timed out after {} waiting for the {} of pageserver {} (still {})",
                                   (*r)["timeout"].as<std::string>(), name, node, n->scheduling));
    }
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "\033[2K\rpageserver {}: {}", node, n->scheduling);
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace

int cmd_drain(Context& ctx, const Args& args) { return run_node_operation(ctx, args, Operation::drain); }
int cmd_fill(Context& ctx, const Args& args) { return run_node_operation(ctx, args, Operation::fill); }

}  // namespace neon::cli
