// kubectl neon attach / detach: placement policy, optional migration, and waiting until the
// controller has reconciled and notified computes. Idempotent.
#include <algorithm>
#include <chrono>
#include <istream>
#include <map>
#include <ostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"

namespace neon::cli {

namespace {

using Clock = std::chrono::steady_clock;

bool settled(const storcon::Tenant& t, std::optional<std::uint64_t> node, const std::optional<int>& shard,
             int* reconciling, int* pending) {
  *reconciling = 0;
  *pending = 0;
  bool placed = true;
  for (std::size_t i = 0; i < t.shards.size(); ++i) {
    const auto& s = t.shards[i];
    *reconciling += s.is_reconciling ? 1 : 0;
    *pending += s.is_pending_compute_notification ? 1 : 0;
    const bool wanted = !shard || static_cast<int>(i) == *shard;
    if (node && wanted && s.node_attached != node) {
      placed = false;
    }
    if (!s.node_attached) {
      placed = false;
    }
  }
  return *reconciling == 0 && *pending == 0 && placed;
}

/// The least loaded schedulable pageserver in `zone`. Nodes and their loads come from routes the
/// controller forwards to its leader: GET /control/v1/node/:id/shards is the one node route
/// without maybe_forward (storage_controller/src/http.rs:1093-1102, route :2353), so a
/// stepped-down instance in HA would answer it from its own stale memory. The load is counted
/// from the tenant list instead (GET /control/v1/tenant, forwarded).
storcon::Expected<std::uint64_t> pick_node_in_zone(storcon::Client& client, const std::string& zone) {
  auto nodes = client.list_nodes();
  if (!nodes) {
    return nodes.error();
  }
  auto tenants = client.list_tenants();
  if (!tenants) {
    return tenants.error();
  }
  const auto load = storcon::attached_counts(*tenants);
  std::optional<std::uint64_t> best;
  std::size_t best_load = 0;
  for (const auto& n : *nodes) {
    if (n.zone != zone || n.availability != "Active" || n.scheduling != "Active") {
      continue;
    }
    const auto it = load.find(n.id);
    const std::size_t count = it == load.end() ? 0 : it->second;
    if (!best || count < best_load) {
      best = n.id;
      best_load = count;
    }
  }
  if (!best) {
    return Error{fmt::format("no Active pageserver in zone \"{}\"", zone)};
  }
  return *best;
}

/// The placement attach asks for: {"Attached": K} with --secondaries K; without it the tenant's
/// current {"Attached": N}, or {"Attached": 0} for a tenant that is not attached at all.
storcon::Json wanted_placement(const std::optional<int>& secondaries, const storcon::Json* current) {
  if (secondaries) {
    return storcon::attached_placement(*secondaries);
  }
  if (current != nullptr && current->is_object() && current->contains("Attached")) {
    return *current;
  }
  return storcon::attached_placement(0);
}

void print_placement(Context& ctx, const storcon::Tenant& t, const std::vector<storcon::Node>& nodes) {
  std::map<std::uint64_t, std::string> zones;
  for (const auto& n : nodes) {
    zones[n.id] = n.zone;
  }
  for (const auto& s : t.shards) {
    std::string secondaries;
    for (auto id : s.node_secondary) {
      secondaries += (secondaries.empty() ? "" : ",") + std::to_string(id);
    }
    if (s.node_attached) {
      const auto z = zones.find(*s.node_attached);
      fmt::print(ctx.out, "{}: attached to pageserver {}{}, secondaries: {}\n", s.tenant_shard_id, *s.node_attached,
                 z == zones.end() || z->second.empty() ? "" : " (" + z->second + ")",
                 secondaries.empty() ? "none" : secondaries);
    } else {
      fmt::print(ctx.out, "{}: not attached, secondaries: {}\n", s.tenant_shard_id,
                 secondaries.empty() ? "none" : secondaries);
    }
  }
}

}  // namespace

OptionSet attach_options(const Context& ctx) {
  auto opts = make_options(ctx, "attach",
                           "Attach a project's tenant: create it if missing, set placement {\"Attached\": K} with "
                           "--secondaries K (else keep the tenant's own), optionally move shards to a pageserver, and "
                           "wait until it is reconciled.",
                           "PROJECT|TENANT_ID");
  add_int(opts, "node", "Move the shard(s) to this pageserver id", "", "ID");
  opts.add_options()("az", "Move the shard(s) to the least loaded Active pageserver in this zone",
                     cxxopts::value<std::string>());
  add_int(opts, "shard", "Only this shard number (with --node/--az)");
  add_int(opts, "secondaries",
          "Number of secondary locations (default: keep the tenant's current number; 0 for a new or detached "
          "tenant)");
  opts.add_options()("no-prewarm", "Cut over at once instead of warming a secondary first");
  add_wait_flags(opts, "the tenant is reconciled and computes are notified");
  opts.add_options()("timeout", "How long to wait", cxxopts::value<std::string>()->default_value("5m"))(
      "dry-run", "Print the changing calls (method, path, body) instead of making them; reads still happen");
  add_spec_flag(opts, SpecFlag::live);
  add_controller_options(opts);
  return opts;
}

int cmd_attach(Context& ctx, const Args& args) {
  auto opts = attach_options(ctx);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "PROJECT or TENANT_ID", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  if (r->count("node") != 0 && r->count("az") != 0) {
    return usage_error(ctx, "attach", "--node and --az cannot be used together");
  }
  const auto wait_flag = wait_of(ctx, opts, *r, exit);
  std::optional<long long> node_flag;
  std::optional<long long> secondaries_flag;
  std::optional<long long> shard_flag;
  constexpr IntRange k_shard_number{0, 255};  // ShardNumber(u8), libs/utils/src/shard.rs:12
  if (!wait_flag || !int_of(ctx, opts, *r, "node", {}, node_flag, exit) ||
      !int_of(ctx, opts, *r, "secondaries", {}, secondaries_flag, exit) ||
      !int_of(ctx, opts, *r, "shard", k_shard_number, shard_flag, exit)) {
    return exit;
  }
  // Set with emplace: gcc's -Wmaybe-uninitialized misreads an optional<int> built in a ternary.
  std::optional<int> secondaries;
  if (secondaries_flag) {
    secondaries.emplace(static_cast<int>(*secondaries_flag));
  }
  const auto timeout = parse_duration((*r)["timeout"].as<std::string>());
  if (!timeout) {
    return usage_error(ctx, "attach", "invalid --timeout");
  }
  std::optional<int> shard;
  if (shard_flag) {
    shard.emplace(static_cast<int>(*shard_flag));
  }
  auto ref = resolve_tenant_arg(ctx, pos.front(), (*r)["file"].as<std::string>());
  if (!ref) {
    return k_exit_failure;
  }
  auto target = controller_from_flags(ctx, "attach", *r, "", Kubeconfig::allowed, exit);
  if (!target) {
    return exit;
  }
  const bool dry_run = r->count("dry-run") != 0;
  if (dry_run) {
    target->options.dry_run = &ctx.out;
  }
  Controller controller(*target);
  auto& client = controller.client;

  auto failed = [&](const storcon::CallError& e) { return controller_failure(ctx, controller, e); };
  auto existing = client.describe_tenant(ref->tenant_id);
  if (!existing) {
    return failed(existing.error());
  }
  int shard_count = ref->project ? ref->project->shard_count : 1;
  const storcon::Json placement = wanted_placement(secondaries, *existing ? &(*existing)->policy : nullptr);
  // What happened to the placement policy, for the report.
  std::string placement_change;
  if (!*existing) {
    storcon::TenantCreate create;
    create.tenant_id = ref->tenant_id;
    create.placement = placement;
    placement_change = "set on the new tenant";
    if (ref->project) {
      create.shard_count = ref->project->shard_count;
      create.stripe_size = ref->project->stripe_size;
      create.config = tenant_config_json(*ref->project);
    }
    if (auto c = client.create_tenant(create); !c) {
      return failed(c.error());
    }
  } else {
    shard_count = static_cast<int>((*existing)->shards.size());
    if (ref->project && ref->project->shard_count > 1 && shard_count != ref->project->shard_count) {
      fmt::print(ctx.err, "warning: tenant {} has {} shards, the spec says {}\n", ref->tenant_id, shard_count,
                 ref->project->shard_count);
    }
  }
  if (shard && *shard >= std::max(1, shard_count)) {
    return usage_error(ctx, "attach", fmt::format("--shard {}: the tenant has {} shard(s)", *shard, shard_count));
  }
  if (*existing) {
    const auto& shards = (*existing)->shards;
    const bool changed = (*existing)->policy != placement;
    // The same policy again schedules shards that are stored but not placed (after a 409 "Failed to
    // schedule" on create, service.rs:2768-2777): a policy update schedules the tenant.
    const bool unplaced =
        std::any_of(shards.begin(), shards.end(), [](const storcon::Shard& s) { return !s.node_attached; });
    placement_change =
        changed ? fmt::format("changed from {}", storcon::policy_text((*existing)->policy)) : std::string("unchanged");
    if (changed || unplaced) {
      if (auto p = client.set_policy(ref->tenant_id, placement); !p) {
        return failed(p.error());
      }
    }
  }

  std::optional<std::uint64_t> node;
  if (node_flag) {
    node = static_cast<std::uint64_t>(*node_flag);
  } else if (r->count("az") != 0) {
    auto picked = pick_node_in_zone(client, (*r)["az"].as<std::string>());
    if (!picked) {
      return failed(picked.error());
    }
    node = *picked;
  }
  if (node) {
    std::vector<std::string> shard_ids;
    std::vector<std::optional<std::uint64_t>> current;
    if (*existing) {
      for (const auto& s : (*existing)->shards) {
        shard_ids.push_back(s.tenant_shard_id);
        current.push_back(s.node_attached);
      }
    } else {
      for (int i = 0; i < std::max(1, shard_count); ++i) {
        shard_ids.push_back(storcon::shard_id(ref->tenant_id, i, shard_count));
        current.emplace_back();
      }
    }
    const auto prewarm = r->count("no-prewarm") != 0 ? storcon::Prewarm::no : storcon::Prewarm::yes;
    for (std::size_t i = 0; i < shard_ids.size(); ++i) {
      if ((shard && static_cast<int>(i) != *shard) || current[i] == node) {
        continue;
      }
      if (auto m = client.migrate_shard(shard_ids[i], *node, prewarm); !m) {
        return failed(m.error());
      }
    }
  }
  if (dry_run) {
    return k_exit_ok;
  }

  const bool wait = *wait_flag;
  const auto deadline = Clock::now() + *timeout;
  std::chrono::milliseconds delay{100};
  for (;;) {
    auto t = client.describe_tenant(ref->tenant_id);
    if (!t) {
      return failed(t.error());
    }
    if (!*t) {
      return fail(ctx, fmt::format("tenant {} disappeared from the storage controller", ref->tenant_id));
    }
    int reconciling = 0;
    int pending = 0;
    const bool done = settled(**t, node, shard, &reconciling, &pending);
    if (done || !wait) {
      if (ctx.err_is_tty && wait) {
        fmt::print(ctx.err, "\033[2K\r");
      }
      auto nodes = client.list_nodes();
      // Read back: what the controller holds now, not what was asked for.
      fmt::print(ctx.out, "placement policy: {} ({})\n", storcon::policy_text((*t)->policy), placement_change);
      if ((*t)->policy != placement) {
        fmt::print(ctx.err, "warning: asked for placement {}, the controller holds {}\n",
                   storcon::policy_text(placement), storcon::policy_text((*t)->policy));
      }
      print_placement(ctx, **t, nodes ? *nodes : std::vector<storcon::Node>{});
      return k_exit_ok;
    }
    if (Clock::now() >= deadline) {
      return fail(ctx, fmt::format("timed out after {} waiting for tenant {}: {} shard(s) reconciling, {} with a "
                                   "pending compute notification",
                                   (*r)["timeout"].as<std::string>(), ref->tenant_id, reconciling, pending));
    }
    if (ctx.err_is_tty) {
      fmt::print(ctx.err, "\033[2K\rwaiting for {}: {} shard(s) reconciling, {} pending compute notification",
                 ref->name.empty() ? ref->tenant_id : ref->name, reconciling, pending);
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

OptionSet detach_options(const Context& ctx) {
  auto opts = make_options(ctx, "detach",
                           "Detach a project's tenant from every pageserver (placement \"Detached\"). Computes "
                           "using it stop working until it is attached again.",
                           "PROJECT|TENANT_ID");
  opts.add_options()("y,yes", "Do not ask for confirmation");
  add_spec_flag(opts, SpecFlag::live);
  add_controller_options(opts);
  return opts;
}

int cmd_detach(Context& ctx, const Args& args) {
  auto opts = detach_options(ctx);
  int exit = 0;
  auto r = parse_one_operand(ctx, opts, args, "PROJECT or TENANT_ID", exit);
  if (!r) {
    return exit;
  }
  const auto pos = positionals(*r);
  auto ref = resolve_tenant_arg(ctx, pos.front(), (*r)["file"].as<std::string>());
  if (!ref) {
    return k_exit_failure;
  }
  auto target = controller_from_flags(ctx, "detach", *r, "", Kubeconfig::allowed, exit);
  if (!target) {
    return exit;
  }
  const std::string what =
      ref->name.empty() ? "tenant " + ref->tenant_id : fmt::format("project {} (tenant {})", ref->name, ref->tenant_id);
  if (auto code = confirm(ctx, "detach", "detach", fmt::format("Detach {}? Its computes lose their pageserver.", what),
                          r->count("yes") != 0, "not detached")) {
    return *code;
  }
  Controller controller(*target);
  if (auto p = controller.client.set_policy(ref->tenant_id, storcon::Json("Detached")); !p) {
    return controller_failure(ctx, controller, p.error());
  }
  fmt::print(ctx.out, "{} detached\n", what);
  return k_exit_ok;
}

}  // namespace neon::cli
