// bootstrap steps' pieces that talk to the controller or the disk (see storcon_bootstrap.hpp).
#include "plugin/clients/storcon_bootstrap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "plugin/adapters/files.hpp"
#include "plugin/adapters/text.hpp"

namespace neon::cli::bootstrap {

using storcon::Json;

/// Whether retrying `e` cannot help: a request the controller refuses (400, 401, 403, 412, a 409
/// other than "Failed to schedule") or a fact on our side (no HTTP status and no transport error,
/// e.g. a shard count that differs). Everything else (no answer, 404, 408, 429, 5xx, an answer
/// that could not be read) is retried.
bool permanent(const storcon::CallError& e) {
  if (storcon::failed_to_schedule(e)) {
    return false;
  }
  if (e.http_status == 400 || e.auth() || e.http_status == 409 || e.http_status == 412) {
    return true;
  }
  return e.http_status == 0 && !e.no_answer() && !e.unreadable;
}

/// A failure of ours that retrying does not change (see permanent()).
storcon::CallError step_error(std::string message) { return storcon::CallError(Error{std::move(message)}); }

namespace {

constexpr const char* k_safekeeper_id_file = "safekeeper.id";

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
  const bool unscheduled =
      std::any_of(t.shards.begin(), t.shards.end(), [](const storcon::Shard& s) { return !s.node_attached; });
  if (wants_attached && unscheduled) {
    return without_value(client.create_tenant(create));
  }
  return {};
}

/// The LSN to branch at for `timestamp` on `ancestor`, from get_lsn_by_timestamp's `kind`
/// (neon-api-corrections-2.md (h); pageserver/src/pgdatadir_mapping.rs:66-95): `present` is
/// used, `future` is used with a warning, `past` and `nodata` are errors that say why.
storcon::Expected<std::string> branch_lsn(storcon::Client& client, std::ostream& err, const std::string& tenant_id,
                                          const gen::ComputesBranch& b, const std::string& ancestor_name) {
  auto found = client.lsn_by_timestamp(tenant_id, b.ancestor_timeline_id, b.ancestor_timestamp);
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
               b.name, b.ancestor_timestamp, ancestor_name, lsn);
    return lsn;
  }
  if (kind == "past") {
    return step_error(fmt::format(
        "branch {}: {} is before the oldest point branch {} still keeps (its GC cutoff or PITR window, or where that "
        "branch starts); the oldest usable LSN is {}. Choose a later time, raise the project's pitr_interval for "
        "the future, or give ancestorLsn",
        b.name, b.ancestor_timestamp, ancestor_name, lsn));
  }
  if (kind == "nodata") {
    return step_error(fmt::format(
        "branch {}: the pageserver found no commit records on branch {} to place {} (for example right after an "
        "import), so the time says nothing about an LSN; give ancestorLsn instead",
        b.name, ancestor_name, b.ancestor_timestamp));
  }
  return step_error(
      fmt::format("branch {}: get_lsn_by_timestamp answered kind \"{}\", expected present, future, "
                  "past or nodata",
                  b.name, kind));
}

}  // namespace

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
      NEON_TRY(write_file_atomic(file, want));  // renamed, then the folder synced
      return fmt::format("{} rewritten as the bare node id {}", file.string(), want);
    }
    auto w = write_file_atomic(file, want, Overwrite::no);
    if (w) {
      return fmt::format("{} written with node id {}", file.string(), want);
    }
    if (w.error().kind != ErrorKind::exists) {
      return w.error();
    }
    // Written meanwhile by someone else: compare with it.
  }
  return Error{fmt::format("{}: could not be written", file.string())};
}

storcon::Expected<void> create_compute_storage(storcon::Client& client, std::ostream& err,
                                               const gen::ComputesProject& project,
                                               const std::vector<gen::ComputesBranch>& path) {
  storcon::TenantCreate create;
  create.tenant_id = project.tenant_id;
  create.shard_count = project.shard_count;
  create.stripe_size = project.stripe_size;
  create.config = project.tenant_config;
  NEON_TRY(ensure_tenant(client, create));
  for (const auto& b : path) {
    storcon::TimelineCreate tl;
    tl.tenant_id = create.tenant_id;
    tl.timeline_id = b.timeline_id;
    tl.ancestor_timeline_id = b.ancestor_timeline_id;
    tl.pg_version = project.pg_version;
    tl.ancestor_start_lsn = b.ancestor_start_lsn;
    if (!b.ancestor_timeline_id.empty() && b.ancestor_start_lsn.empty() && !b.ancestor_timestamp.empty()) {
      // The LSN for a time moves (`future` answers the newest commit), so a branch made on an
      // earlier run is taken as it is instead of asking again and getting a 409.
      auto exists = client.get_timeline(create.tenant_id, b.timeline_id);
      if (!exists) {
        return exists.error();
      }
      if (*exists) {
        continue;
      }
      std::string ancestor_name = b.ancestor_timeline_id;
      for (const auto& a : path) {
        if (a.timeline_id == b.ancestor_timeline_id) {
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

Result<ComputePlan> compute_plan(const gen::ComputesFile& file, const std::string& compute_id) {
  const gen::ComputeEntry* compute = file.compute(compute_id);
  if (compute == nullptr) {
    return make_error(fmt::format("no compute \"{}\" in computes.json", compute_id), ErrorKind::not_found);
  }
  const gen::ComputesProject* project = file.project(compute->project);
  if (project == nullptr) {
    return make_error(fmt::format("no project \"{}\" in computes.json", compute->project), ErrorKind::not_found);
  }
  std::map<std::string, const gen::ComputesBranch*> by_timeline;
  std::string start;
  for (const auto& b : project->branches) {
    if (b.name == compute->branch) {
      start = b.timeline_id;
    }
    by_timeline[b.timeline_id] = &b;
  }
  if (start.empty()) {
    return make_error(fmt::format("project {} has no branch {}", project->name, compute->branch), ErrorKind::invalid);
  }
  ComputePlan plan{project, {}};
  for (std::string cur = start; !cur.empty();) {
    auto it = by_timeline.find(cur);
    if (it == by_timeline.end()) {
      return make_error(fmt::format("timeline {} is not a branch of project {}", cur, project->name),
                        ErrorKind::invalid);
    }
    if (plan.path.size() > by_timeline.size()) {
      return make_error(fmt::format("the branches of project {} form a cycle", project->name), ErrorKind::invalid);
    }
    plan.path.insert(plan.path.begin(), *it->second);
    cur = it->second->ancestor_timeline_id;
  }
  return plan;
}

}  // namespace neon::cli::bootstrap
