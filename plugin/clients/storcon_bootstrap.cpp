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
  if (e.status == 400 || e.status == 401 || e.status == 403 || e.status == 409 || e.status == 412) {
    return true;
  }
  return e.status == 0 && !e.transport && !e.unreadable;
}

/// A failure of ours that retrying does not change (see permanent()).
storcon::CallError step_error(std::string message) { return storcon::CallError(Error{std::move(message)}); }

namespace {

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

}  // namespace neon::cli::bootstrap
