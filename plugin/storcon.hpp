#pragma once
// Typed client for the Neon storage controller HTTP API (neon-api.md §2), over http::Transport.
// Every error names the call and quotes the controller's {"msg"}: e.g.
// `storage controller: PUT /control/v1/tenant/<id>/policy: 409 Conflict: <msg>`.
// Idempotent calls are retried with bounded exponential backoff on connection refused, 408, 429
// and 503; other calls are sent once.

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"
#include "plugin/http.hpp"

namespace neon::cli::storcon {

using Json = nlohmann::json;

struct Node {
  std::uint64_t id = 0;
  std::string availability;  ///< Active | WarmingUp | Offline
  std::string scheduling;    ///< Active | Filling | Pause | PauseForRestart | Draining | Deleting
  std::string zone;
  std::string http_addr;
  int http_port = 0;
  std::string pg_addr;
  int pg_port = 0;
};

struct Shard {
  std::string tenant_shard_id;
  std::optional<std::uint64_t> node_attached;
  std::vector<std::uint64_t> node_secondary;
  std::string last_error;
  bool is_reconciling = false;
  bool is_pending_compute_notification = false;
  bool is_splitting = false;  ///< a shard split is underway (controller_api.rs TenantDescribeResponseShard)
  std::string scheduling_policy;
  std::optional<std::string> preferred_az;
};

struct Tenant {
  std::string tenant_id;
  std::vector<Shard> shards;
  std::uint32_t stripe_size = 0;
  Json policy;  ///< {"Attached": N} | "Secondary" | "Detached"
  Json config;
};

struct Safekeeper {
  std::uint64_t id = 0;
  std::string region_id;
  std::int64_t version = 0;
  std::string host;
  int port = 0;
  int http_port = 0;
  std::string zone;
  std::string scheduling_policy;
};

struct TenantCreate {
  std::string tenant_id;
  int shard_count = 1;  ///< 1: unsharded, no shard_parameters
  int stripe_size = 2048;
  std::optional<Json> placement;
  Json config = Json::object();  ///< TenantConfig fields, flattened into the request
};

struct TimelineCreate {
  std::string tenant_id;
  std::string timeline_id;
  std::string ancestor_timeline_id;  ///< empty: a root timeline (bootstrap)
  std::string ancestor_start_lsn;    ///< optional, "X/Y"
  int pg_version = 17;               ///< only sent for root timelines
};

struct SafekeeperUpsert {
  std::uint64_t id = 0;
  std::string region_id = "default";
  std::int64_t version = 1;
  std::string host;
  int port = 5454;
  int http_port = 7676;
  std::string zone;
};

enum class Prewarm { yes, no };

/// JSON spelling of a placement policy with `secondaries` secondaries: {"Attached": K}.
Json attached_placement(int secondaries);
/// Shard id `<tenant>-<NN><CC>` for count > 1; the tenant id itself otherwise.
std::string shard_id(const std::string& tenant_id, int number, int count);
/// The request body for POST /v1/tenant.
Json tenant_create_body(const TenantCreate& create);
/// The request body for POST /v1/tenant/<id>/timeline.
Json timeline_create_body(const TimelineCreate& create);

struct ClientOptions {
  std::string base_url;  ///< e.g. http://127.0.0.1:1234 (no trailing slash needed)
  std::string token;     ///< bearer token; empty: none
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (API server proxy credentials)
  std::chrono::milliseconds timeout = http::k_request_timeout;
  int max_attempts = 5;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{3000};
  /// Mutating calls are printed here (method, path, body) instead of being sent. Reads still go out.
  std::ostream* dry_run = nullptr;
  /// Sleeps between retries; tests and benches can shorten it. Default: std::this_thread.
  std::function<void(std::chrono::milliseconds)> sleep;
};

/// What a call returned, for callers that must inspect the status themselves.
struct Reply {
  long status = 0;
  Json body;
};

class Client {
public:
  Client(http::Transport& transport, ClientOptions options);

  Result<std::vector<Node>> list_nodes();
  Result<Node> get_node(std::uint64_t id);
  Result<void> start_drain(std::uint64_t id);
  Result<void> cancel_drain(std::uint64_t id);
  Result<void> start_fill(std::uint64_t id);
  Result<void> cancel_fill(std::uint64_t id);
  Result<Json> node_shards(std::uint64_t id);
  Result<void> configure_node(std::uint64_t id, const std::optional<std::string>& availability,
                              const std::optional<std::string>& scheduling);

  /// Every tenant, paging with limit/start_after until an empty or short page.
  Result<std::vector<Tenant>> list_tenants(int page_size = 1000);
  /// nullopt when the controller does not know the tenant (404).
  Result<std::optional<Tenant>> describe_tenant(const std::string& tenant_id);
  Result<Json> create_tenant(const TenantCreate& create);
  Result<void> set_policy(const std::string& tenant_id, const Json& placement,
                          const std::optional<std::string>& scheduling = std::nullopt);
  Result<void> migrate_shard(const std::string& tenant_shard_id, std::uint64_t node_id, Prewarm prewarm);

  /// Creates a timeline; an existing one with the same parameters is success, a 409 with
  /// different parameters is an error that says so.
  Result<Json> create_timeline(const TimelineCreate& create);
  /// The LSN for an RFC 3339 timestamp (pageserver passthrough through the controller).
  Result<std::string> lsn_by_timestamp(const std::string& tenant_id, const std::string& timeline_id,
                                       const std::string& timestamp);

  Result<void> upsert_safekeeper(const SafekeeperUpsert& sk);
  Result<void> set_safekeeper_policy(std::uint64_t id, const std::string& policy);
  Result<std::vector<Safekeeper>> list_safekeepers();

  /// Low level: one call with retries as described above; non-2xx statuses become errors unless
  /// listed in `accept`.
  enum class Retry { idempotent, once };
  Result<Reply> call(const std::string& method, const std::string& path, const std::optional<Json>& body, Retry retry,
                     const std::vector<long>& accept = {});
  /// The same, handing back the body as text (a dry run prints changing calls here, too).
  Result<http::Response> call_text(const std::string& method, const std::string& path,
                                   const std::optional<Json>& body, Retry retry, const std::vector<long>& accept = {});

private:
  http::Transport& m_transport;
  ClientOptions m_options;
};

/// A page of GET /control/v1/tenant read straight into Tenant values (no intermediate DOM), with
/// the rules of the single-tenant conversion: tenant_id and shards required, documented types
/// checked, unknown fields skipped. Errors say what is wrong without the call's name.
Result<std::vector<Tenant>> parse_tenant_list(std::string_view body);

/// Percent-encoding for a query value or path segment (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view s);

/// "409 Conflict" and friends.
std::string status_text(long status);

}  // namespace neon::cli::storcon
