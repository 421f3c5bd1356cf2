// kubectl neon bootstrap pageserver|safekeeper|compute: steps run inside pods (init containers).
// No kubeconfig: the controller URL and token come from flags or the environment. Every step is
// idempotent and retries until it succeeds or --deadline passes.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "generators/names.hpp"
#include "plugin/cli.hpp"
#include "plugin/commands.hpp"
#include "plugin/controller_target.hpp"
#include "plugin/files.hpp"
#include "plugin/text.hpp"

namespace neon::cli {

namespace {

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

void add_pod_options(cxxopts::Options& opts) {
  opts.add_options()("zone-number", "1-based number of the pod's zone", cxxopts::value<int>()->default_value("1"))(
      "zone", "Availability zone id", cxxopts::value<std::string>()->default_value(""))(
      "set", "StatefulSet (and headless Service) name", cxxopts::value<std::string>())(
      "namespace", "Namespace of the pod", cxxopts::value<std::string>());
}

Result<PodIdentity> pod_identity(const Context& ctx, const cxxopts::ParseResult& r) {
  PodIdentity id;
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
  id.zone_number = r["zone-number"].as<int>();
  if (id.zone_number < 1 || id.zone_number > gen::names::k_max_zones) {
    return Error{fmt::format("--zone-number must be 1..{}", gen::names::k_max_zones)};
  }
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

/// Whether retrying `e` cannot help: a request the controller refuses (400, 401, 403, 412, a 409
/// other than "Failed to schedule") or a fact on our side (no HTTP status and no transport error,
/// e.g. a shard count that differs). Everything else (no answer, 404, 408, 429, 5xx, an answer
/// that could not be read) is retried.
bool permanent(const storcon::CallError& e) {
  if (storcon::failed_to_schedule(e)) {
    return false;
  }
  if (e.status == 400 || e.status == 401 || e.status == 403 || e.status == 409 || e.status == 412) {
    return true;
  }
  return e.status == 0 && !e.transport && !e.unreadable;
}

/// A failure of ours that retrying does not change (see permanent()).
storcon::CallError step_error(std::string message) { return storcon::CallError(Error{std::move(message)}); }

/// Runs `step` until it succeeds, fails permanently or the deadline passes.
int retry_until(Context& ctx, const Controller& controller, std::chrono::milliseconds deadline_after,
                const std::function<storcon::Expected<void>()>& step) {
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
        fmt::print(ctx.err, "hint: {}\n", token_hint(e, controller.has_token));
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

int bootstrap_pageserver(Context& ctx, const Args& args) {
  auto opts = make_options(ctx, "bootstrap pageserver",
                           "Write pageserver.toml, identity.toml and metadata.json into the pageserver's workdir.");
  opts.add_options()("workdir", "Pageserver working directory", cxxopts::value<std::string>())(
      "config", "pageserver.toml to copy", cxxopts::value<std::string>());
  add_pod_options(opts);
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
  // The pageserver reads its upcall token only from pageserver.toml; the manifests hand it over
  // in the environment so that it stays in a Secret.
  const auto token = ctx.getenv("NEON_CONTROL_PLANE_API_TOKEN");
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
    if (auto w = write_file_atomic(dir / name, text); !w) {
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

constexpr const char* k_safekeeper_id_file = "safekeeper.id";

/// fsync of a directory, so a rename in it survives a crash.
Result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Error{fmt::format("{}: {}", dir.string(), std::strerror(errno))};
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return Error{fmt::format("{}: fsync: {}", dir.string(), std::strerror(err))};
  }
  return {};
}

/// Makes `dir`/safekeeper.id hold `id`. The safekeeper reads its node id from that file when
/// --id is absent; the content is the bare decimal id, parsed whole (no newline), and a file
/// whose id differs from --id makes it bail (safekeeper/src/bin/safekeeper.rs:788-830). So the
/// id no longer depends on the pod-index label (Kubernetes 1.28+): it comes from POD_NAME's
/// ordinal here, as the pageservers' identity.toml does.
Result<std::string> write_safekeeper_id(const std::filesystem::path& dir, std::uint64_t id, const std::string& pod) {
  const std::filesystem::path file = dir / k_safekeeper_id_file;
  const std::string want = std::to_string(id);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      auto text = read_file(file, 4096);
      if (!text) {
        return text.error();
      }
      if (*text == want) {
        return fmt::format("{} already holds node id {}", file.string(), want);
      }
      const std::string trimmed = trim(*text);
      if (trimmed != want) {
        const bool numeric = !trimmed.empty() && trimmed.find_first_not_of("0123456789") == std::string::npos;
        return Error{fmt::format(
            "{} holds {}, but this pod ({}) is safekeeper node {}: the volume belongs to another safekeeper (the "
            "safekeeper would refuse a different --id, safekeeper/src/bin/safekeeper.rs:801-808, or run as the wrong "
            "node). Check which PersistentVolumeClaim is bound to this pod; remove the file only if the volume is "
            "really this node's",
            file.string(), numeric ? "node id " + trimmed : "\"" + trimmed.substr(0, 40) + "\" (not a node id)", pod,
            want)};
      }
      // The same id with surrounding whitespace, which the safekeeper cannot parse: rewrite it.
      NEON_TRY(write_file_atomic(file, want));
      NEON_TRY(sync_directory(dir));
      return fmt::format("{} rewritten as the bare node id {}", file.string(), want);
    }
    auto w = write_file_atomic(file, want, Overwrite::no);
    if (w) {
      NEON_TRY(sync_directory(dir));
      return fmt::format("{} written with node id {}", file.string(), want);
    }
    if (!std::filesystem::exists(file, ec)) {
      return w.error();
    }
    // Written meanwhile by someone else: compare with it.
  }
  return Error{fmt::format("{}: could not be written", file.string())};
}

int bootstrap_safekeeper(Context& ctx, const Args& args) {
  auto opts = make_options(ctx, "bootstrap safekeeper",
                           "Write the safekeeper's node id into <data-dir>/safekeeper.id and register the safekeeper "
                           "with the storage controller.");
  add_pod_options(opts);
  opts.add_options()("data-dir", "The safekeeper's data directory (its -D)",
                     cxxopts::value<std::string>()->default_value("/data"))(
      "deadline", "Give up after", cxxopts::value<std::string>()->default_value("10m"));
  add_controller_options(opts);
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
  auto written = write_safekeeper_id(data_dir, id->node_id, ctx.getenv("POD_NAME").value_or(""));
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
    // A new safekeeper starts Activating. Only then, or when it is absent, is it set Active: a Pause
    // or Decomissioned (sic, SkSchedulingPolicy) set by an operator stays (neon-api.md 2.7, 2.10).
    const std::string current = *before ? (*before)->scheduling_policy : "Activating";
    if (current != "Activating") {
      policy = current;
      return {};
    }
    NEON_TRY(controller.client.set_safekeeper_policy(sk.id, "Active"));
    policy = "Active";
    return {};
  });
  if (code == k_exit_ok) {
    if (policy == "Active") {
      fmt::print(ctx.out, "safekeeper {} ({}) registered and Active\n", sk.id, sk.host);
    } else {
      fmt::print(ctx.out, "safekeeper {} ({}) registered; scheduling policy {} kept as it was\n", sk.id, sk.host,
                 policy);
    }
  }
  return code;
}

struct BranchInfo {
  std::string name;
  std::string timeline_id;
  std::string ancestor;
  std::string lsn;
  std::string timestamp;
};

template <typename T>
storcon::Expected<void> without_value(const storcon::Expected<T>& r) {
  if (!r) {
    return r.error();
  }
  return {};
}

/// The shard count of a described tenant, from its shard ids (`<tenant>-<NN><CC>`; a bare tenant id
/// is unsharded, counted as 1 as the computes file does).
int shard_count_of(const storcon::Tenant& t) {
  for (const auto& s : t.shards) {
    if (s.tenant_shard_id.size() == 37 && s.tenant_shard_id[32] == '-') {
      const int count = std::stoi(s.tenant_shard_id.substr(35, 2), nullptr, 16);
      return std::max(1, count);
    }
    if (s.tenant_shard_id.size() == 32) {
      return 1;
    }
  }
  return std::max<int>(1, static_cast<int>(t.shards.size()));
}

/// The tenant exists afterwards, with the computes file's shard count. Described first and created
/// only when unknown (404): a create with another shard count would store a second set of shards,
/// the primary key being (tenant_id, shard_number, shard_count) (storage_controller/src/schema.rs:85).
/// A tenant whose stored shards are not scheduled yet (an earlier 409 "Failed to schedule") gets
/// the same request again, which schedules them (service.rs:2726-2736, neon-api-corrections-2.md (e)).
storcon::Expected<void> ensure_tenant(storcon::Client& client, const storcon::TenantCreate& create) {
  auto existing = client.describe_tenant(create.tenant_id);
  if (!existing) {
    return existing.error();
  }
  if (!*existing) {
    return without_value(client.create_tenant(create));
  }
  const storcon::Tenant& t = **existing;
  const int have = shard_count_of(t);
  const int want = std::max(1, create.shard_count);
  if (have != want) {
    return step_error(fmt::format(
        "tenant {} already exists with {} shard{} but the computes file says {}: not creating it again, which "
        "would store a second set of shards (storage_controller/src/schema.rs:85 keys shards by tenant, number and "
        "count). Set the project's shardCount back to {} (a tenant's shard count only grows by a split: `storcon_cli "
        "tenant-shard-split`)",
        create.tenant_id, have, have == 1 ? "" : "s", want, have));
  }
  const bool wants_attached = t.policy.is_object() && t.policy.contains("Attached");
  const bool unscheduled = std::any_of(t.shards.begin(), t.shards.end(),
                                       [](const storcon::Shard& s) { return !s.node_attached; });
  if (wants_attached && unscheduled) {
    return without_value(client.create_tenant(create));
  }
  return {};
}

/// The LSN to branch at for `timestamp` on `ancestor`, from get_lsn_by_timestamp's `kind`
/// (neon-api-corrections-2.md (h); pageserver/src/pgdatadir_mapping.rs:66-95): `present` is
/// used, `future` is used with a warning, `past` and `nodata` are errors that say why.
storcon::Expected<std::string> branch_lsn(storcon::Client& client, std::ostream& err, const std::string& tenant_id,
                                          const BranchInfo& b, const std::string& ancestor_name) {
  auto found = client.lsn_by_timestamp(tenant_id, b.ancestor, b.timestamp);
  if (!found) {
    return found.error();
  }
  const auto& [lsn, kind] = *found;
  if (kind == "present") {
    return lsn;
  }
  if (kind == "future") {
    fmt::print(err,
               "warning: branch {}: {} is later than the newest commit on branch {}; branching at its last commit, "
               "LSN {}\n",
               b.name, b.timestamp, ancestor_name, lsn);
    return lsn;
  }
  if (kind == "past") {
    return step_error(fmt::format(
        "branch {}: {} is before the oldest point branch {} still keeps (its GC cutoff or PITR window, or where that "
        "branch starts); the oldest usable LSN is {}. Choose a later time, raise the project's pitr_interval for "
        "the future, or give ancestorLsn",
        b.name, b.timestamp, ancestor_name, lsn));
  }
  if (kind == "nodata") {
    return step_error(fmt::format(
        "branch {}: the pageserver found no commit records on branch {} to place {} (for example right after an "
        "import), so the time says nothing about an LSN; give ancestorLsn instead",
        b.name, ancestor_name, b.timestamp));
  }
  return step_error(fmt::format("branch {}: get_lsn_by_timestamp answered kind \"{}\", expected present, future, "
                                "past or nodata",
                                b.name, kind));
}

storcon::Expected<void> create_compute_storage(storcon::Client& client, std::ostream& err, const Json& project,
                                               const std::vector<BranchInfo>& path) {
  storcon::TenantCreate create;
  create.tenant_id = project.at("tenant_id").get<std::string>();
  create.shard_count = project.value("shard_count", 1);
  create.stripe_size = project.value("stripe_size", 2048);
  create.config = project.value("tenant_config", Json::object());
  NEON_TRY(ensure_tenant(client, create));
  for (const auto& b : path) {
    storcon::TimelineCreate tl;
    tl.tenant_id = create.tenant_id;
    tl.timeline_id = b.timeline_id;
    tl.ancestor_timeline_id = b.ancestor;
    tl.pg_version = project.value("pg_version", 17);
    tl.ancestor_start_lsn = b.lsn;
    if (!b.ancestor.empty() && b.lsn.empty() && !b.timestamp.empty()) {
      // The LSN for a time moves (`future` answers the newest commit), so a branch made on an
      // earlier run is taken as it is instead of asking again and getting a 409.
      auto exists = client.get_timeline(create.tenant_id, b.timeline_id);
      if (!exists) {
        return exists.error();
      }
      if (*exists) {
        continue;
      }
      std::string ancestor_name = b.ancestor;
      for (const auto& a : path) {
        if (a.timeline_id == b.ancestor) {
          ancestor_name = a.name;
        }
      }
      auto lsn = branch_lsn(client, err, create.tenant_id, b, ancestor_name);
      if (!lsn) {
        return lsn.error();
      }
      tl.ancestor_start_lsn = *lsn;
    }
    auto made = client.create_timeline(tl);
    if (!made) {
      storcon::CallError e = made.error();
      e.message = fmt::format("branch {}: {}", b.name, e.message);
      return e;
    }
  }
  return {};
}

Result<std::pair<Json, std::vector<BranchInfo>>> compute_plan(const Json& doc, const std::string& compute_id) {
  try {
    const Json* compute = nullptr;
    for (const auto& c : doc.at("computes")) {
      if (c.at("compute_id") == compute_id) {
        compute = &c;
      }
    }
    if (compute == nullptr) {
      return Error{fmt::format("no compute \"{}\" in computes.json", compute_id)};
    }
    const std::string project_name = compute->at("project").get<std::string>();
    const std::string branch_name = compute->at("branch").get<std::string>();
    for (const auto& p : doc.at("projects")) {
      if (p.at("name") != project_name) {
        continue;
      }
      std::map<std::string, BranchInfo> by_timeline;
      std::string start;
      for (const auto& b : p.at("branches")) {
        BranchInfo info{b.at("name").get<std::string>(), b.at("timeline_id").get<std::string>(),
                        b.value("ancestor_timeline_id", ""), b.value("ancestor_start_lsn", ""),
                        b.value("ancestor_timestamp", "")};
        if (info.name == branch_name) {
          start = info.timeline_id;
        }
        by_timeline[info.timeline_id] = info;
      }
      if (start.empty()) {
        return Error{fmt::format("project {} has no branch {}", project_name, branch_name)};
      }
      std::vector<BranchInfo> path;
      for (std::string cur = start; !cur.empty();) {
        auto it = by_timeline.find(cur);
        if (it == by_timeline.end()) {
          return Error{fmt::format("timeline {} is not a branch of project {}", cur, project_name)};
        }
        if (path.size() > by_timeline.size()) {
          return Error{fmt::format("the branches of project {} form a cycle", project_name)};
        }
        path.insert(path.begin(), it->second);
        cur = it->second.ancestor;
      }
      return std::make_pair(p, path);
    }
    return Error{fmt::format("no project \"{}\" in computes.json", project_name)};
  } catch (const Json::exception& e) {
    return Error{fmt::format("computes.json: {}", e.what())};
  }
}

int bootstrap_compute(Context& ctx, const Args& args) {
  auto opts = make_options(ctx, "bootstrap compute",
                           "Create the compute's tenant and every timeline from the root to its branch.");
  opts.add_options()("computes", "computes.json", cxxopts::value<std::string>())(
      "compute-id", "The compute's id", cxxopts::value<std::string>())(
      "deadline", "Give up after", cxxopts::value<std::string>()->default_value("10m"));
  add_controller_options(opts);
  int exit = 0;
  auto r = parse(ctx, opts, args, exit);
  if (!r) {
    return exit;
  }
  if (r->count("computes") == 0 || r->count("compute-id") == 0) {
    return usage_error(ctx, "bootstrap compute", "--computes and --compute-id are required");
  }
  const auto deadline = deadline_of(*r);
  if (!deadline) {
    return usage_error(ctx, "bootstrap compute", "invalid --deadline");
  }
  auto text = read_file((*r)["computes"].as<std::string>(), k_max_config_bytes);
  if (!text) {
    return fail(ctx, text.error().message);
  }
  const Json doc = Json::parse(*text, nullptr, false);
  if (doc.is_discarded()) {
    return fail(ctx, fmt::format("{}: not valid JSON", (*r)["computes"].as<std::string>()));
  }
  auto plan = compute_plan(doc, (*r)["compute-id"].as<std::string>());
  if (!plan) {
    return fail(ctx, plan.error().message);
  }
  auto target = controller_from_flags(ctx, "bootstrap compute", *r, "", Kubeconfig::never, exit);
  if (!target) {
    return exit;
  }
  Controller controller(*target);
  const int code = retry_until(ctx, controller, *deadline, [&]() {
    return create_compute_storage(controller.client, ctx.err, plan->first, plan->second);
  });
  if (code == k_exit_ok) {
    fmt::print(ctx.out, "tenant {} and {} timeline(s) ready for compute {}\n",
               plan->first.at("tenant_id").get<std::string>(), plan->second.size(),
               (*r)["compute-id"].as<std::string>());
  }
  return code;
}

}  // namespace

int cmd_bootstrap(Context& ctx, const Args& args) {
  const std::string usage = "expected pageserver, safekeeper or compute";
  if (args.empty()) {
    return usage_error(ctx, "bootstrap", usage);
  }
  const Args rest(args.begin() + 1, args.end());
  if (args.front() == "pageserver") {
    return bootstrap_pageserver(ctx, rest);
  }
  if (args.front() == "safekeeper") {
    return bootstrap_safekeeper(ctx, rest);
  }
  if (args.front() == "compute") {
    return bootstrap_compute(ctx, rest);
  }
  if (args.front() == "-h" || args.front() == "--help") {
    fmt::print(ctx.out,
               "Usage: {} bootstrap pageserver|safekeeper|compute [flags]\n"
               "In-cluster setup steps; see `{} bootstrap <step> --help`.\n",
               ctx.prog, ctx.prog);
    return k_exit_ok;
  }
  return usage_error(ctx, "bootstrap", fmt::format("unknown step \"{}\": {}", args.front(), usage));
}

}  // namespace neon::cli
