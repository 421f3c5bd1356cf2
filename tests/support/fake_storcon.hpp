#pragma once
// A fake Neon storage controller for tests and benches, built from neon-api.md §2/§3: cpp-httplib
// on 127.0.0.1 (port 0) in a background thread. It keeps nodes, tenants with shards, timelines and
// safekeepers; implements policies, migrate (412 unless the destination is Active), tenant create
// with its 409 "Failed to schedule" phase, drain/fill state machines (a drain moves only shards
// with a secondary, fill needs Active), pagination and bearer auth (401 missing / 403 wrong); can keep shards
// "reconciling" for N polls; injects faults; logs every request; and can send notify-attach to a
// control-plane URL like the real controller does.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace neon::test {

class FakeStorcon {
public:
  struct LoggedRequest {
    std::string method;
    std::string path;  ///< with the query string
    std::string body;
    std::string authorization;
  };

  enum class FaultKind { status, invalid_json, hang, close };
  struct Fault {
    std::string method;       ///< "" matches any
    std::string path_prefix;  ///< matched against the path without the query
    FaultKind kind = FaultKind::status;
    int status = 500;
    std::string msg = "injected failure";
    int times = -1;  ///< how many requests it applies to; -1: all
  };

  FakeStorcon();
  ~FakeStorcon();
  FakeStorcon(const FakeStorcon&) = delete;
  FakeStorcon& operator=(const FakeStorcon&) = delete;

  int port() const;
  std::string url() const;  ///< http://127.0.0.1:<port>

  // State set-up. Node ids are chosen by the caller.
  void add_node(std::uint64_t id, const std::string& zone, const std::string& availability = "Active",
                const std::string& scheduling = "Active");
  void set_node(std::uint64_t id, const std::string& availability, const std::string& scheduling);
  /// The address a node (or safekeeper) registered with, as the generated pods register:
  /// pageserver-a-0.pageserver-a.neon.svc.cluster.local (default pageserver-<id>.pageserver).
  void set_node_host(std::uint64_t id, const std::string& host);
  void set_safekeeper_host(std::uint64_t id, const std::string& host);
  void add_safekeeper(std::uint64_t id, const std::string& zone, const std::string& policy = "Active");
  /// A tenant with `shard_count` shards (1: unsharded) placed round-robin on Active nodes.
  void add_tenant(const std::string& tenant_id, int shard_count = 1, int secondaries = 0);
  void add_timeline(const std::string& tenant_id, const std::string& timeline_id, const std::string& ancestor = "",
                    const std::string& ancestor_lsn = "");
  void set_pending_notification(const std::string& tenant_id, bool pending);
  void set_last_error(const std::string& tenant_id, const std::string& error);
  /// The tenant's (parent) shards report is_splitting, as while the controller splits them
  /// (storage_controller/src/service.rs:6497, :5561).
  void set_splitting(const std::string& tenant_id, bool splitting);

  /// After a create, policy change or migrate, shards report is_reconciling for `polls` reads.
  void set_reconcile_polls(int polls);
  /// A drain or fill starts its work after the node has been read `polls` times; a drain then
  /// moves one shard that has a usable secondary per read and ends in PauseForRestart.
  void set_drain_polls(int polls);
  /// How many shards a drain or fill moves per read of the node (default 1).
  void set_moves_per_read(int moves);
  /// The next `creates` tenant creates store their shards and answer 409 "Failed to schedule
  /// shard(s): No pageservers found" (service.rs:2768-2777), as with no schedulable node.
  void fail_scheduling(int creates);
  /// What get_lsn_by_timestamp answers: {"lsn", "kind"} (present|future|past|nodata).
  void set_lsn_by_timestamp(const std::string& lsn, const std::string& kind);
  /// The pageserver restarted and re-attached (service.rs:2503-2520): Draining, Filling,
  /// PauseForRestart and Deleting become Active; availability is WarmingUp for `warming_reads`
  /// reads of the node (the first heartbeats), then Active.
  void reattach_node(std::uint64_t id, int warming_reads = 0);
  /// The timeline's safekeeper set, as a controller with --timelines-onto-safekeepers records it
  /// (without one, locate answers 404). Migrations need at least 3 (timeline_safekeeper_count).
  void set_timeline_safekeepers(const std::string& tenant_id, const std::string& timeline_id,
                                std::vector<std::uint64_t> ids);
  std::vector<std::uint64_t> timeline_safekeepers(const std::string& tenant_id, const std::string& timeline_id) const;
  /// Requires `Authorization: Bearer <token>` on everything but /status, /ready, /live, /metrics.
  void require_token(const std::string& token);
  /// Checks tokens as the real controller does with --public-key: an EdDSA JWT signed by the key
  /// (401 without a bearer token, 403 for a bad signature or a passed `exp`), whose scope is the
  /// route's or admin (storage_controller/src/http.rs check_permissions; scopes in neon-api.md
  /// §2.2-2.9).
  void require_jwt(const std::string& public_pem);
  /// The scope the real controller requires for a route (neon-api.md §2.2-2.9).
  static std::string required_scope(const std::string& method, const std::string& path);
  void add_fault(Fault fault);
  void clear_faults();

  /// Where notify_attach sends its PUT (the prefix; "/notify-attach" is appended) and its token.
  void set_control_plane(const std::string& url_prefix, const std::string& token = "");
  /// PUTs the notify-attach body for `tenant_id` (§4.2) and returns the HTTP status, or -1 when
  /// the hook cannot be reached.
  int notify_attach(const std::string& tenant_id);
  /// The notify-attach body the controller would send for `tenant_id`.
  nlohmann::json notify_attach_body(const std::string& tenant_id) const;

  // Inspection.
  std::vector<LoggedRequest> requests() const;
  void clear_requests();
  /// GET /control/v1/tenant/<id> as the fake would answer it (without consuming a poll); null if unknown.
  nlohmann::json tenant(const std::string& tenant_id) const;
  nlohmann::json node(std::uint64_t id) const;
  nlohmann::json safekeeper(std::uint64_t id) const;
  /// The shard counts of every shard set stored for the tenant (more than one: a create with
  /// another shard count went through); empty if unknown.
  std::vector<int> shard_sets(const std::string& tenant_id) const;
  /// timeline id -> {"ancestor_timeline_id", "ancestor_lsn", "pg_version"}
  nlohmann::json timelines(const std::string& tenant_id) const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace neon::test
