#pragma once
// What `kubectl neon status` shows, apart from reading it: the controller's snapshot and the
// pods' readiness assessed into health problems, and laid out as tables, as a --watch screen, or
// as the JSON document. Pure functions of their inputs (tested without a controller).

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/storcon.hpp"
#include "plugin/commands/sync_summary.hpp"

namespace neon::cli::status {

struct Snapshot {
  std::vector<storcon::Node> nodes;
  std::vector<storcon::Safekeeper> safekeepers;
  std::vector<storcon::Tenant> tenants;
};

struct ComponentPods {
  int ready = 0;
  int total = 0;
};

/// spec.sync's last run, from the newest finished pod of its CronJob (status_sync.cpp).
struct SyncRun {
  /// "" (pods not read), "not configured" (no spec.sync in the spec, or without -f no spec-sync
  /// CronJob in the namespace), "never ran" (no finished pod yet), "none found" (neither the spec
  /// nor the CronJob list could tell, and no pod), "ran".
  std::string state;
  std::string pod;
  std::string finished;  ///< the container's finishedAt
  int exit_code = 0;
  std::string reason;                    ///< terminated.reason (Completed, Error, OOMKilled) or the pod's
  std::optional<sync::Summary> summary;  ///< the run's own findings; nullopt when it ended before writing them
  std::string message;                   ///< the termination message when it is not a summary (a log tail)
};

/// The newest finished pod of `pods` labelled app.kubernetes.io/component=spec-sync, by finishedAt.
/// `configured`: whether the cluster has the CronJob (the spec's word, else the API's; nullopt: unknown).
SyncRun last_sync_run(const std::vector<kube::Pod>& pods, std::optional<bool> configured);
/// A health problem when the last run left drift or failed; nullopt otherwise.
std::optional<std::string> sync_problem(const SyncRun& run);
/// A note on a clean last run, or on none; "" when there is nothing to say.
std::string sync_note(const SyncRun& run);
/// The "sync" object of the status document.
nlohmann::json sync_json(const SyncRun& run);

/// Pod readiness per component from the Kubernetes API, or why it could not be read.
struct Components {
  std::string note;  ///< "pod readiness skipped: ..." when it could not be read
  std::string namespace_;
  std::map<std::string, ComponentPods> pods;
  /// Prerequisites the API server says are missing (Flux's Git Secret, the ServiceMonitor CRD with
  /// monitoring on): health problems.
  std::vector<std::string> missing;
  /// Prerequisites checked and present, or checked without a spec that needs them: notes.
  std::vector<std::string> checked;
  /// Pods of an OnDelete StatefulSet still on an older revision: they restart only when deleted
  /// (README "Upgrading Neon"), so they show until then.
  std::vector<std::string> outdated;
  /// Suspendable computes' Deployments scaled to zero (compute.suspendAfter): notes, not problems.
  std::vector<std::string> asleep;
  /// Suspendable computes scaled up whose pod is not available yet: being woken (needs -f).
  std::vector<std::string> waking;
  SyncRun sync;
};

struct Health {
  std::vector<std::string> problems;
  /// Nodes an operator took out of service on purpose (paused, decommissioned): shown, not degrading.
  std::vector<std::string> out_of_service;
  bool healthy() const { return problems.empty(); }
};

/// Project names by tenant id (from the -f spec).
using Names = std::map<std::string, std::string>;

Health assess(const Snapshot& s, const Components& components, const Names& names);

/// `healthy: 2 pageservers, 1 safekeeper, 1 tenant` or `degraded: <the same>; 2 problems`. The
/// problems themselves are listed apart (standard error, or under it on a --watch screen).
std::string summary_line(const Snapshot& s, const Health& h);

/// The notes of a run: each problem, then the component note; one line each, with no newline.
std::vector<std::string> notes(const Health& h, const Components& c);

/// The status document, streamed, keys sorted at every level.
void write_json(std::ostream& out, const Snapshot& s, const Health& h, const Components& c, const Names& names);

/// The tables: pageservers, safekeepers, component pods (when read), then tenants, at most
/// `max_tenant_rows` of them followed by a line saying how many were left out.
void print_tables(std::ostream& out, const Snapshot& s, const Components& c, const Names& names, bool wide,
                  std::optional<std::size_t> max_tenant_rows = std::nullopt);

struct WatchHeader {
  std::string time;    ///< e.g. "2025-01-02 03:04:05 UTC"
  std::string source;  ///< where the state came from (the controller's URL or proxy)
  std::string every;   ///< the interval as given, e.g. "2s"
};

/// One --watch screen: the time and the summary first, then the notes, then the tables; the tenant
/// list is cut so that the whole screen fits in `height` lines (nullopt: no limit).
std::string watch_screen(const WatchHeader& header, const Snapshot& s, const Health& h, const Components& c,
                         const Names& names, bool wide, std::optional<std::size_t> height);

}  // namespace neon::cli::status
