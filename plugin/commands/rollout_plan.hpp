#pragma once
// What `kubectl neon rollout` has to do, derived from the cluster alone (no local state file):
// which pods run an older template than their workload, in the safe order (storage controller,
// safekeepers, pageservers, computes), and where each one stands. A step's phase is read from the
// pod (revision, Ready, terminating) and the storage controller (node scheduling and
// availability, attached shards), so a second run (--resume) starts each node where the first one
// stopped. Pure: no I/O.
//
// Neon behaviour the phases follow (commit 6a35a3e9f149):
// - a drain ends in PauseForRestart (storage_controller/src/service.rs:9745-9752);
// - the restarted pageserver's re-attach sets Draining, Filling, PauseForRestart or Deleting back to
//   Active and availability WarmingUp (service.rs:2503-2520); heartbeats then make it Active;
// - a fill needs the node Active and available and more than one node (service.rs:8443-8478);
// - a drain needs the node available (service.rs:8305-8341).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/clients/kube_client.hpp"
#include "plugin/clients/storcon.hpp"

namespace neon::cli::rollout {

enum class Kind { storage_controller, safekeepers, pageservers, computes };

/// "storage-controller", "safekeepers", "pageservers", "computes".
const char* kind_name(Kind kind);

/// The targets of `rollout TARGET` in their order; `all` is every kind. nullopt: unknown target.
std::optional<std::vector<Kind>> kinds_of(const std::string& target);

enum class Phase {
  wait_rollout,  ///< a Deployment's own rollout (storage controller, computes) is not finished
  drain,         ///< pageserver on the old revision, scheduling Active: drain it first
  wait_drain,    ///< pageserver Draining
  restart,       ///< old revision and ready to go: delete the pod
  wait_ready,    ///< replaced (or terminating): wait for the new pod, and for the node to be Active
  fill,          ///< pageserver on the new revision, Active, holding no attached shard: fill it
  wait_fill,     ///< pageserver Filling
};

/// "drain", "wait for drain", ...
const char* phase_name(Phase phase);

struct Step {
  Kind kind = Kind::pageservers;
  std::string name;      ///< the pod, or the Deployment
  std::string workload;  ///< its StatefulSet or Deployment
  std::optional<std::uint64_t> node;
  std::string from_revision;
  std::string to_revision;
  Phase phase = Phase::restart;
  /// The step starts past its first phase: an earlier rollout (or a drain) got this far.
  bool under_way = false;
  /// Pageserver only: no drain and fill (it is the only one, or --allow-interruption and nowhere
  /// to move its shards); its tenants wait while it restarts.
  bool interrupts = false;
};

/// The cluster as read once, before the plan.
struct Cluster {
  std::vector<kube::StatefulSet> sets;
  std::vector<kube::Pod> pods;
  std::vector<kube::Deployment> deployments;
  std::vector<storcon::Node> nodes;
  std::map<std::uint64_t, std::size_t> attached;   ///< attached shards per pageserver
  std::map<std::uint64_t, std::size_t> secondary;  ///< secondary locations per pageserver
  std::vector<storcon::Safekeeper> safekeepers;
};

struct Options {
  std::vector<Kind> kinds;
  std::optional<std::uint64_t> node;  ///< --node: only this pageserver or safekeeper
  bool resume = false;
  bool allow_interruption = false;
};

struct Plan {
  std::vector<Step> steps;
  /// Why nothing may run (each names the node, its state and what to do); empty when it may.
  std::vector<std::string> problems;
  /// One line per kind with nothing to do ("pageservers: 3 pods, all at revision r2").
  std::vector<std::string> up_to_date;
};

Plan make_plan(const Cluster& cluster, const Options& options);

/// The pod name a storage controller address names: the first DNS label of
/// `pageserver-a-0.pageserver-a.neon.svc.cluster.local`.
std::string pod_of_address(const std::string& host);

/// The plan for people: one line per step, numbered, then the up-to-date lines.
std::string plan_text(const Plan& plan);
/// The plan for scripts (-o json): {"steps":[{kind,name,workload,node,from_revision,to_revision,
/// phase,under_way,interrupts}], "up_to_date":[...], "problems":[...]}.
nlohmann::json plan_json(const Plan& plan);

/// Quorum for a restart of safekeeper `id`: each set in `sets` (the safekeeper sets of the
/// timelines) that holds `id` must keep a majority among its other members that are `up`. The
/// first set that would not, as a message; nullopt when the restart is safe.
std::optional<std::string> quorum_problem(std::uint64_t id,
                                          const std::map<std::string, std::vector<std::uint64_t>>& sets,
                                          const std::map<std::uint64_t, bool>& up);

}  // namespace neon::cli::rollout
