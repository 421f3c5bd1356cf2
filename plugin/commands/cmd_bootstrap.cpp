// kubectl neon bootstrap pageserver|safekeeper|compute: steps run inside pods (init containers).
// No kubeconfig: the controller URL and token come from flags or the environment. Every step is
// idempotent and retries until it succeeds or --deadline passes.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/names.hpp"
#include "plugin/adapters/files.hpp"
#include "plugin/adapters/text.hpp"
#include "plugin/clients/storcon_bootstrap.hpp"
#include "plugin/commands/cli.hpp"
#include "plugin/commands/commands.hpp"
#include "plugin/commands/controller_target.hpp"

namespace neon::cli {

namespace {

using bootstrap::permanent;
using storcon::Json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t k_max_config_bytes = 4 * 1024 * 1024;

struct PodIdentity {
  int zone_number = 1;
  int ordinal = 0;
  std::uint64_t node_id = 0;
  std::string zone;
  std::string host;  ///< <POD_NAME>.<SET>.<NS>.svc.cluster.local
};

void add_pod_options(OptionSet& opts) {
  add_int(opts, "zone-number", "1-based number of the pod's zone", "1");
  opts.add_options()("zone", "Availability zone id", cxxopts::value<std::string>()->default_value(""))(
      "set", "StatefulSet (and headless Service) name", cxxopts::value<std::string>())(
      "namespace", "Namespace of the pod", cxxopts::value<std::string>());
}

Result<PodIdentity> pod_identity(const Context& ctx, const cxxopts::ParseResult& r) {
  PodIdentity id;
  const IntRange zones{1, gen::names::k_max_zones};
  const auto zone_number = parse_integer(r["zone-number"].as<std::string>(), zones);
  if (!zone_number) {
    return Error{integer_problem("--zone-number", r["zone-number"].as<std::string>(), zones)};
  }
  id.zone_number = static_cast<int>(*zone_number);
  const auto pod = ctx.getenv("POD_NAME").value_or("");
  const auto dash = pod.rfind('-');
  if (pod.empty() || dash == std::string::npos || dash + 1 == pod.size()) {
    return Error{fmt::format("POD_NAME \"{}\" does not end in -<ordinal>", pod)};
  }
  const std::string digits = pod.substr(dash + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 6) {
    return Error{fmt::format("POD_NAME \"{}\" does not end in -<ordinal>", pod)};
  }
  id.ordinal = std::stoi(digits);

  // --namespace is also kubectl's global flag, which the command table takes out of argv first.
  const std::string ns = r.count("namespace") != 0 ? r["namespace"].as<std::string>() : ctx.globals.namespace_;
  if (r.count("set") == 0 || ns.empty()) {
    return Error{"--set and --namespace are required"};
  }
  id.node_id = gen::names::node_id(id.zone_number, id.ordinal);
  id.zone = r["zone"].as<std::string>();
  id.host = fmt::format("{}.{}.{}.svc.cluster.local", pod, r["set"].as<std::string>(), ns);
  return id;
}

/// Runs `step` until it succeeds, fails permanently or the deadline passes. After a refused token
/// `auth_hint` is printed, or the controller's token hint when it is empty.
int retry_until(Context& ctx, const Controller& controller, std::chrono::milliseconds deadline_after,
                const std::function<storcon::Expected<void>()>& step, const std::string& auth_hint = "") {
  const auto deadline = Clock::now() + deadline_after;
  std::chrono::milliseconds delay{500};
  for (;;) {
    auto res = step();
    if (res) {
      return k_exit_ok;
    }
    const storcon::CallError& e = res.error();
    if (permanent(e)) {
      fail(ctx, e.message);
      if (e.auth()) {
        fmt::print(ctx.err, "hint: {}\n", auth_hint.empty() ? token_hint(e, controller.has_token) : auth_hint);
      }
      return k_exit_failure;
    }
    const bool unschedulable = storcon::failed_to_schedule(e);
    if (Clock::now() + delay >= deadline) {
      if (unschedulable) {
        return fail(ctx, fmt::format("deadline reached while waiting for a schedulable pageserver: {}; check that "
                                     "pageservers are registered, Active and not paused (`kubectl neon status`)",
                                     e.message));
      }
      return fail(ctx, e.message + " (deadline reached)");
    }
    if (unschedulable) {
      fmt::print(ctx.err, "waiting for a schedulable pageserver, retrying in {} ms: {}\n", delay.count(), e.message);
    } else {
      fmt::print(ctx.err, "retrying in {} ms: {}\n", delay.count(), e.message);
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(10000));
  }
}

/// `text` as a TOML basic string.
std::string toml_quote(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned>(u));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

constexpr std::string_view k_token_key = "control_plane_api_token";

/// Whether `line`, whose first non-blank character is at `first`, assigns `key`.
bool defines_key(const std::string& line, std::size_t first, std::string_view key) {
  if (first == std::string::npos || line.compare(first, key.size(), key) != 0) {
    return false;
  }
  const auto eq = line.find_first_not_of(" \t", first + key.size());
  return eq != std::string::npos && line[eq] == '=';
}

/// `config` with `control_plane_api_token` set at the top level. The key goes before the first
/// table header (a key after `[x]` would belong to that table) and replaces a top-level one
/// already there, since TOML rejects duplicate keys.
std::string with_control_plane_token(const std::string& config, const std::string& token) {
  std::string head;
  std::string rest;
  bool in_table = false;
  std::size_t pos = 0;
  while (pos < config.size()) {
    auto end = config.find('\n', pos);
    end = end == std::string::npos ? config.size() : end + 1;
    const std::string line = config.substr(pos, end - pos);
    const auto first = line.find_first_not_of(" \t");
    in_table = in_table || (first != std::string::npos && line[first] == '[');
    if (in_table) {
      rest += line;
    } else if (!defines_key(line, first, k_token_key)) {
      head += line;
    }
    pos = end;
  }
  if (!head.empty() && head.back() != '\n') {
    head += '\n';
  }
  return head + fmt::format("{} = {}\n", k_token_key, toml_quote(token)) + rest;
}

OptionSet bootstrap_pageserver_options(const Context& ctx) {
  auto opts = make_options(ctx, "bootstrap pageserver",
                           "Write pageserver.toml, identity.toml and metadata.json into the pageserver's workdir.");
  opts.add_options()("workdir", "Pageserver working directory", cxxopts::value<std::string>())(
      "config", "pageserver.toml to copy", cxxopts::value<std::string>())(
      "control-plane-token-file",
      "File holding the upcall token (scope generations_api) for pageserver.toml (default: "
      "$NEON_CONTROL_PLANE_API_TOKEN)",
      cxxopts::value<std::string>());
  add_pod_options(opts);
  opts.dirs({"workdir"});
  opts.files({"config", "control-plane-token-file"});
  return opts;
}

int bootstrap_pageserver(Context& ctx, const Args& args) {
  auto opts = bootstrap_pageserver_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  if (r->count("workdir") == 0 || r->count("config") == 0) {
    return usage_error(ctx, "bootstrap pageserver", "--workdir and --config are required");
  }
  auto id = pod_identity(ctx, *r);
  if (!id) {
    return usage_error(ctx, "bootstrap pageserver", id.error().message);
  }
  const std::filesystem::path dir = (*r)["workdir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(ctx, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  auto config = read_file((*r)["config"].as<std::string>(), k_max_config_bytes);
  if (!config) {
    return fail(ctx, config.error().message);
  }
  // The pageserver reads its upcall token only from pageserver.toml; the manifests hand it over as
  // a mounted Secret file so that it stays in a Secret.
  auto token = ctx.getenv("NEON_CONTROL_PLANE_API_TOKEN");
  if (r->count("control-plane-token-file") != 0) {
    auto text = read_file((*r)["control-plane-token-file"].as<std::string>(), 64 * 1024);
    if (!text || trim(*text).empty()) {
      return fail(ctx,
                  fmt::format("--control-plane-token-file {}: {}", (*r)["control-plane-token-file"].as<std::string>(),
                              text ? "the file is empty" : text.error().message));
    }
    token = trim(*text);
  }
  if (token && !token->empty()) {
    *config = with_control_plane_token(*config, *token);
  }
  Json meta = Json::object();
  meta["host"] = id->host;
  meta["port"] = gen::names::k_pageserver_pg_port;
  meta["http_host"] = id->host;
  meta["http_port"] = gen::names::k_pageserver_http_port;
  meta["availability_zone_id"] = id->zone;
  const std::pair<const char*, std::string> files[] = {
      {"pageserver.toml", *config},
      {"identity.toml", fmt::format("id={}\n", id->node_id)},
      {"metadata.json", meta.dump() + "\n"},
  };
  for (const auto& [name, text] : files) {
    // pageserver.toml holds the control-plane token: owner-only, like every file with a secret.
    const Access access = std::string(name) == "pageserver.toml" ? Access::owner_only : Access::shared;
    if (auto w = write_file_atomic(dir / name, text, Overwrite::yes, access); !w) {
      return fail(ctx, w.error().message);
    }
  }
  fmt::print(ctx.out, "pageserver {} ({}, zone {}) configured in {}\n", id->node_id, id->host,
             id->zone.empty() ? "-" : id->zone, dir.string());
  return k_exit_ok;
}

std::optional<std::chrono::milliseconds> deadline_of(const cxxopts::ParseResult& r) {
  return parse_duration(r["deadline"].as<std::string>());
}

OptionSet bootstrap_safekeeper_options(const Context& ctx) {
  auto opts = make_options(ctx, "bootstrap safekeeper",
                           "Write the safekeeper's node id into <data-dir>/safekeeper.id and register the safekeeper "
                           "with the storage controller.");
  add_pod_options(opts);
  opts.add_options()("data-dir", "The safekeeper's data directory (its -D)",
                     cxxopts::value<std::string>()->default_value("/data"))(
      "deadline", "Give up after", cxxopts::value<std::string>()->default_value("10m"));
  add_controller_options(opts);
  opts.dirs({"data-dir"});
  return opts;
}

int bootstrap_safekeeper(Context& ctx, const Args& args) {
  auto opts = bootstrap_safekeeper_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  auto id = pod_identity(ctx, *r);
  if (!id) {
    return usage_error(ctx, "bootstrap safekeeper", id.error().message);
  }
  const auto deadline = deadline_of(*r);
  if (!deadline) {
    return usage_error(ctx, "bootstrap safekeeper", "invalid --deadline");
  }
  const std::filesystem::path data_dir = (*r)["data-dir"].as<std::string>();
  if (data_dir.empty()) {
    return usage_error(ctx, "bootstrap safekeeper", "--data-dir must not be empty");
  }
  auto target = controller_from_flags(ctx, "bootstrap safekeeper", *r, "", Kubeconfig::never, exit);
  if (!target) {
    return exit;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(data_dir, ec)) {
    return fail(ctx, fmt::format("--data-dir {}: not a directory (mount the safekeeper's data volume there)",
                                 data_dir.string()));
  }
  auto written = bootstrap::write_safekeeper_id(data_dir, id->node_id, ctx.getenv("POD_NAME").value_or(""));
  if (!written) {
    return fail(ctx, written.error().message);
  }
  fmt::print(ctx.err, "{}\n", *written);
  Controller controller(*target);
  storcon::SafekeeperUpsert sk;
  sk.id = id->node_id;
  sk.host = id->host;
  sk.port = gen::names::k_safekeeper_pg_port;
  sk.http_port = gen::names::k_safekeeper_http_port;
  sk.zone = id->zone;
  std::string policy;
  const int code = retry_until(ctx, controller, *deadline, [&]() -> storcon::Expected<void> {
    auto before = controller.client.get_safekeeper(sk.id);
    if (!before) {
      return before.error();
    }
    NEON_TRY(controller.client.upsert_safekeeper(sk));
    // A new safekeeper starts Activating, and the controller makes it Active at its first good
    // heartbeat (storage_controller/src/service.rs:1423-1434): no admin-scoped policy call here, so
    // this step needs only an infra token (http.rs:1684, :1713). A Pause or Decomissioned (sic) set by
    // an operator stays as it is (neon-api.md 2.7, 2.10).
    policy = *before ? (*before)->scheduling_policy : "Activating";
    return {};
  });
  if (code == k_exit_ok) {
    if (policy == "Activating") {
      fmt::print(ctx.out,
                 "safekeeper {} ({}) registered; Activating until the controller's first heartbeat makes it Active\n",
                 sk.id, sk.host);
    } else {
      fmt::print(ctx.out, "safekeeper {} ({}) registered; scheduling policy {} kept as it was\n", sk.id, sk.host,
                 policy);
    }
  }
  return code;
}

OptionSet bootstrap_compute_options(const Context& ctx) {
  auto opts = make_options(ctx, "bootstrap compute",
                           "Create the compute's tenant and every timeline from the root to its branch: through the "
                           "compute\nhook with --hook (the generated init container; the compute's own token, no "
                           "storage controller\ntoken), or at the storage controller with --computes.");
  opts.add_options()("computes", "computes.json (with --storage-controller)", cxxopts::value<std::string>())(
      "compute-id", "The compute's id", cxxopts::value<std::string>())(
      "hook", "Compute hook URL: the hook creates them with its own scoped tokens", cxxopts::value<std::string>())(
      "compute-token-file", "With --hook: file holding the compute's spec token (its <id>.token key)",
      cxxopts::value<std::string>())("deadline", "Give up after", cxxopts::value<std::string>()->default_value("10m"));
  add_controller_options(opts);
  opts.files({"computes", "compute-token-file"});
  return opts;
}

/// POST /bootstrap/v1/computes/<id> at the hook (plugin/hook/hook_bootstrap.hpp) until it answers
/// 200; a 503 is retried, a 409 says what retrying cannot change.
int bootstrap_compute_via_hook(Context& ctx, const cxxopts::ParseResult& r, std::chrono::milliseconds deadline) {
  const std::string id = r["compute-id"].as<std::string>();
  if (r.count("compute-token-file") == 0) {
    return usage_error(ctx, "bootstrap compute", "--hook needs --compute-token-file");
  }
  if (auto bad = check_ca_file(r)) {
    return usage_error(ctx, "bootstrap compute", *bad);
  }
  auto token = read_file(r["compute-token-file"].as<std::string>(), 64 * 1024);
  if (!token || trim(*token).empty()) {
    return fail(ctx, fmt::format("--compute-token-file {}: {}", r["compute-token-file"].as<std::string>(),
                                 token ? "the file is empty" : token.error().message));
  }
  ControllerTarget target;
  target.options.base_url = r["hook"].as<std::string>();
  target.options.token = trim(*token);
  target.options.service = "compute hook";
  target.options.timeout = std::chrono::minutes(2);  // the hook waits for the controller's tenant create
  target.options.max_attempts = 1;
  target.tls.ca_file = r["ca-file"].as<std::string>();  // an https:// hook's CA
  target.described = http::redact_url(target.options.base_url);
  Controller hook(target);
  const std::string path = "/bootstrap/v1/computes/" + http::url_encode(id);
  Json answer;
  const int code = retry_until(
      ctx, hook, deadline,
      [&]() -> storcon::Expected<void> {
        auto reply = hook.client.call("POST", path, Json::object(), storcon::Client::Retry::once);
        if (!reply) {
          return reply.error();
        }
        answer = reply->body;
        return {};
      },
      fmt::format("the hook accepts only compute {}'s own token, key {} of the hook tokens Secret; run `kubectl neon "
                  "secrets init` again if the compute is new",
                  id, gen::names::compute_token_secret_key(id)));
  if (code == k_exit_ok) {
    if (answer.contains("warnings") && answer["warnings"].is_string()) {
      fmt::print(ctx.err, "{}", answer["warnings"].get<std::string>());
    }
    const std::size_t timelines = answer.contains("timelines") ? answer["timelines"].size() : 0;
    fmt::print(ctx.out, "tenant {} and {} timeline(s) ready for compute {}\n", answer.value("tenant_id", "?"),
               timelines, id);
  }
  return code;
}

int bootstrap_compute(Context& ctx, const Args& args) {
  auto opts = bootstrap_compute_options(ctx);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  const auto deadline = deadline_of(*r);
  if (!deadline) {
    return usage_error(ctx, "bootstrap compute", "invalid --deadline");
  }
  if (r->count("compute-id") != 0 && r->count("hook") != 0) {
    return bootstrap_compute_via_hook(ctx, *r, *deadline);
  }
  if (r->count("computes") == 0 || r->count("compute-id") == 0) {
    return usage_error(ctx, "bootstrap compute", "--compute-id and either --hook or --computes are required");
  }
  auto text = read_file((*r)["computes"].as<std::string>(), k_max_config_bytes);
  if (!text) {
    return fail(ctx, text.error().message);
  }
  auto file = gen::parse_computes(*text, (*r)["computes"].as<std::string>());
  if (!file) {
    return fail(ctx, file.error().message);
  }
  auto plan = bootstrap::compute_plan(*file, (*r)["compute-id"].as<std::string>());
  if (!plan) {
    return fail(ctx, plan.error().message);
  }
  auto target = controller_from_flags(ctx, "bootstrap compute", *r, "", Kubeconfig::never, exit);
  if (!target) {
    return exit;
  }
  Controller controller(*target);
  const int code = retry_until(ctx, controller, *deadline, [&]() {
    return bootstrap::create_compute_storage(controller.client, ctx.err, *plan->project, plan->path);
  });
  if (code == k_exit_ok) {
    fmt::print(ctx.out, "tenant {} and {} timeline(s) ready for compute {}\n", plan->project->tenant_id,
               plan->path.size(), (*r)["compute-id"].as<std::string>());
  }
  return code;
}

}  // namespace

const VerbGroup& bootstrap_verbs() {
  static const VerbGroup k_group{"In-cluster setup steps, run by the generated init containers.",
                                 {{"pageserver", "Write pageserver.toml, identity.toml and metadata.json",
                                   bootstrap_pageserver, bootstrap_pageserver_options},
                                  {"safekeeper", "Write safekeeper.id and register the safekeeper with the controller",
                                   bootstrap_safekeeper, bootstrap_safekeeper_options},
                                  {"compute", "Create the tenant and the timelines a compute needs", bootstrap_compute,
                                   bootstrap_compute_options}}};
  return k_group;
}

}  // namespace neon::cli
