#pragma once
// The findings of one `kubectl neon sync` run, as --summary-file writes them and `status` reads
// them back: spec.sync's CronJob (generators/sync_job.hpp) writes them to /dev/termination-log,
// so they stay in the finished pod's status (state.terminated.message), which holds at most 4 KiB.
// Also the scopes of the tokens sync mints for itself from the storage signing key in the cluster.

#include <cstddef>
#include <map>
#include <optional>
#include <string>

#include "plugin/commands/sync_plan.hpp"

namespace neon::cli::sync {

/// The kubelet keeps at most this much of a termination message (core/v1 Container
/// terminationMessagePath: "Message written is intended to be brief final status ... limited to 4096 bytes").
inline constexpr std::size_t k_summary_limit = 4096;

struct Summary {
  std::string time;  ///< when the run ended, RFC 3339 UTC
  int exit = 0;      ///< sync's exit status: 0 no drift or all fixed, 1 drift left, 2 error, 3 unreachable
  std::map<std::string, long long> found;  ///< changes the run's plan held, by action_id; every action present
  long long made = 0;                      ///< changes made
  long long left = 0;                      ///< drift left (kept without --prune, shards above the spec)
  bool dry_run = false;
  std::string error;  ///< why the run failed (exit 2 or 3), cut short to fit

  /// "no drift", "fixed", "drift", "error" or "unreachable".
  std::string result() const;
};

/// The summary of a run that ends with `exit`; `plan` is null when the run failed before it had one.
Summary summarize(const Plan* plan, std::size_t made, std::size_t left, bool dry_run, int exit, std::string error,
                  std::string time);

/// The summary as one line of JSON, never over k_summary_limit bytes:
/// {"kind":"kubectl-neon/sync-summary","time","exit","result","found":{action:count},"made","left","dry_run"[,"error"]}.
std::string summary_json(const Summary& s);

/// A summary written by summary_json, or nullopt for anything else (a log tail, another program's message).
std::optional<Summary> parse_summary(const std::string& text);

/// One line for people: "fixed: 2 changes made (1 create tenant, 1 split); 1 left (1 extra tenant)".
std::string summary_line(const Summary& s);

/// The scope of the token sync sends on `method path` when it mints its own (--signing-key-file),
/// as storage_controller/src/http.rs checks them: /v1/... pageserverapi (tenant and timeline
/// create, timeline list, tenant config), GET /control/v1/tenant admin (handle_tenant_list,
/// :920-924), PUT /control/v1/tenant/:id/shard_split admin (:1314-1318), GET
/// /control/v1/tenant/:id scrubber (handle_tenant_describe, :877-882). Deletes get none: the
/// cluster's sync never prunes. Any other route: "" (no token; the controller answers 401).
std::string scope_for(const std::string& method, const std::string& path);

}  // namespace neon::cli::sync
