#pragma once
// Typed client for the Neon storage controller HTTP API (neon-api.md §2), over http::Transport.
// Every error names the call and quotes the controller's {"msg"}: e.g.
// `storage controller: PUT /control/v1/tenant/<id>/policy: 409 Conflict: <msg>`.
// Idempotent calls are retried with bounded exponential backoff on connection refused, 408, 429
// and 503; other calls are sent once. A failed call carries the HTTP status (or the transport
// failure) in its CallError, so callers decide on the status code, never on the message text.

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "generators/result.hpp"
#include "plugin/adapters/http.hpp"

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

/// A timeline as GET /v1/tenant/:id/timeline lists it (TimelineInfo, libs/pageserver_api/src/models.rs).
struct TimelineInfo {
  std::string timeline_id;
  std::string ancestor_timeline_id;  ///< "" for a root timeline
  std::string ancestor_lsn;
  int pg_version = 0;
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

/// A failed call: the message (as above) plus what callers decide on.
/// Error::kind and Error::http_status come from the transport (no answer: unreachable or timeout)
/// or from the answer's status (kind_of_status).
struct CallError : Error {
  bool unreadable = false;  ///< an answer arrived but could not be read
  bool changing = false;    ///< the request changes state (not a GET)
  /// The controller could not place the shards (HTTP 409 "Failed to schedule shard(s)",
  /// storage_controller/src/service.rs:2773-2775): decoded once, where the answer is read.
  bool unschedulable = false;

  CallError() = default;
  CallError(Error e) : Error(std::move(e)) {}  // NOLINT(google-explicit-constructor): a plain failure
  /// No answer arrived at all.
  bool no_answer() const { return http_status == 0 && (kind == ErrorKind::unreachable || kind == ErrorKind::timeout); }
  /// No answer (connection refused, DNS, TLS) or no answer in time for a read.
  bool unreachable() const { return no_answer() && !(changing && kind == ErrorKind::timeout); }
  /// 401 or 403: the token is missing, malformed, invalid or lacks the scope.
  bool auth() const { return kind == ErrorKind::unauthorized; }
};

/// Result<T> whose error is a CallError. Converts to Result<T> (NEON_TRY works across both).
template <typename T>
class [[nodiscard]] Expected {
public:
  Expected(T value) : m_v(std::move(value)) {}                 // NOLINT(google-explicit-constructor)
  Expected(CallError error) : m_v(std::move(error)) {}         // NOLINT(google-explicit-constructor)
  Expected(Error error) : m_v(CallError(std::move(error))) {}  // NOLINT(google-explicit-constructor)
  bool has_value() const { return m_v.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(m_v); }
  const T& value() const& { return std::get<0>(m_v); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const CallError& error() const { return std::get<1>(m_v); }
  operator Result<T>() && {  // NOLINT(google-explicit-constructor)
    if (has_value()) {
      return std::move(std::get<0>(m_v));
    }
    return static_cast<const Error&>(error());
  }

private:
  std::variant<T, CallError> m_v;
};

template <>
class [[nodiscard]] Expected<void> {
public:
  Expected() = default;
  Expected(CallError error) : m_error(std::move(error)), m_ok(false) {}  // NOLINT(google-explicit-constructor)
  Expected(Error error) : m_error(std::move(error)), m_ok(false) {}      // NOLINT(google-explicit-constructor)
  bool has_value() const { return m_ok; }
  explicit operator bool() const { return m_ok; }
  const CallError& error() const { return m_error; }
  operator Result<void>() const {  // NOLINT(google-explicit-constructor)
    if (m_ok) {
      return {};
    }
    return static_cast<const Error&>(m_error);
  }

private:
  CallError m_error;
  bool m_ok = true;
};

/// The answer of get_lsn_by_timestamp (neon-api-corrections-2.md (h)).
struct LsnByTimestamp {
  std::string lsn;   ///< "X/Y"
  std::string kind;  ///< present | future | past | nodata
};

/// The message for a "Failed to schedule shard(s)" answer: POST /v1/tenant persists the shards,
/// then answers 409 when no pageserver can take them (storage_controller/src/service.rs:2768-2777).
/// It is a retry signal: re-POSTing the same request schedules the stored shards (:2726-2736).
bool failed_to_schedule(const CallError& e);  // e.unschedulable

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
  /// Set: the bearer token of each call by method and path (a token per scope), instead of `token`.
  std::function<std::string(const std::string& method, const std::string& path)> token_for;
  std::vector<std::pair<std::string, std::string>> headers;  ///< extra headers (API server proxy credentials)
  std::chrono::milliseconds timeout = http::k_request_timeout;
  int max_attempts = 5;
  std::chrono::milliseconds backoff_initial{200};
  std::chrono::milliseconds backoff_max{3000};
  /// Mutating calls are printed here (method, path, body) instead of being sent. Reads still go out.
  std::ostream* dry_run = nullptr;
  /// Sleeps between retries; tests and benches can shorten it. Default: std::this_thread.
  std::function<void(std::chrono::milliseconds)> sleep;
  /// What errors call the other end ("compute hook" for `bootstrap compute` through the hook).
  std::string service = "storage controller";
};

/// What a call returned, for callers that must inspect the status themselves.
struct Reply {
  long status = 0;
  Json body;
};

class Client {
public:
  Client(http::Transport& transport, ClientOptions options);

  Expected<std::vector<Node>> list_nodes();
  Expected<Node> get_node(std::uint64_t id);
  Expected<void> start_drain(std::uint64_t id);
  Expected<void> cancel_drain(std::uint64_t id);
  Expected<void> start_fill(std::uint64_t id);
  Expected<void> cancel_fill(std::uint64_t id);
  Expected<Json> node_shards(std::uint64_t id);
  /// PUT /control/v1/node/:id/delete[?force=true]: a graceful delete in the background (every
  /// shard moved off, then the node removed and tombstoned: it cannot register again;
  /// storage_controller/src/service.rs:8168-8265, :7432-7590). `force` skips prewarming secondaries.
  Expected<void> delete_node(std::uint64_t id, bool force);
  /// DELETE /control/v1/node/:id/delete: the node gets its scheduling policy back (service.rs:7446).
  Expected<void> cancel_delete_node(std::uint64_t id);
  Expected<void> configure_node(std::uint64_t id, const std::optional<std::string>& availability,
                                const std::optional<std::string>& scheduling);

  /// Every tenant, paging with limit/start_after until an empty or short page.
  Expected<std::vector<Tenant>> list_tenants(int page_size = 1000);
  /// nullopt when the controller does not know the tenant (404).
  Expected<std::optional<Tenant>> describe_tenant(const std::string& tenant_id);
  Expected<Json> create_tenant(const TenantCreate& create);
  Expected<void> set_policy(const std::string& tenant_id, const Json& placement,
                            const std::optional<std::string>& scheduling = std::nullopt);
  Expected<void> migrate_shard(const std::string& tenant_shard_id, std::uint64_t node_id, Prewarm prewarm);

  /// Creates a timeline; an existing one with the same parameters is success, a 409 with
  /// different parameters is an error that says so.
  Expected<Json> create_timeline(const TimelineCreate& create);
  /// The LSN for an RFC 3339 timestamp and what the pageserver found there (pageserver
  /// passthrough through the controller, shard 0).
  Expected<LsnByTimestamp> lsn_by_timestamp(const std::string& tenant_id, const std::string& timeline_id,
                                            const std::string& timestamp);

  /// GET /v1/tenant/<id>/timeline/<timeline> (shard 0 passthrough); nullopt on 404, which the
  /// controller passes on as-is for an unknown timeline (storage_controller/src/http.rs:835-848).
  Expected<std::optional<Json>> get_timeline(const std::string& tenant_id, const std::string& timeline_id);

  /// nullopt when the controller does not know the safekeeper (404 "unknown instance id").
  Expected<std::optional<Safekeeper>> get_safekeeper(std::uint64_t id);
  Expected<void> upsert_safekeeper(const SafekeeperUpsert& sk);
  Expected<void> set_safekeeper_policy(std::uint64_t id, const std::string& policy);
  /// GET /debug/v1/tenant/:t/timeline/:tl/locate: the timeline's safekeeper set; nullopt on 404,
  /// which a controller without --timelines-onto-safekeepers answers for every timeline
  /// (storage_controller/src/service/safekeeper_service.rs:493-520).
  Expected<std::optional<std::vector<std::uint64_t>>> timeline_safekeepers(const std::string& tenant_id,
                                                                           const std::string& timeline_id);
  /// POST /v1/tenant/:t/timeline/:tl/safekeeper_migrate {"new_sk_set": [...]}
  /// (safekeeper_service.rs:1127-1200): 400 for an unknown or decommissioned safekeeper or too
  /// small a set, 404 for a timeline the controller does not track.
  Expected<void> migrate_timeline_safekeepers(const std::string& tenant_id, const std::string& timeline_id,
                                              const std::vector<std::uint64_t>& new_set);
  Expected<std::vector<Safekeeper>> list_safekeepers();

  // What `sync` and `--purge` need (storcon_sync.cpp).
  /// GET /v1/tenant/:id/timeline, passed through to shard 0 (neon-api.md 2.4).
  Expected<std::vector<TimelineInfo>> list_timelines(const std::string& tenant_id);
  /// DELETE /v1/tenant/:t/timeline/:tl: 200 once deleted (an unknown timeline too: the pageserver's
  /// 404 means done); 409 while the pageserver is still deleting after the controller's 25 s
  /// (storage_controller/src/http.rs:472-540), asked again up to `attempts` times.
  Expected<void> delete_timeline(const std::string& tenant_id, const std::string& timeline_id, int attempts = 10);
  /// DELETE /v1/tenant/:t, the same way (service.rs:3649).
  Expected<void> delete_tenant(const std::string& tenant_id, int attempts = 10);
  /// PUT /v1/tenant/config {tenant_id, ...config}: replaces the whole config (TenantConfigRequest,
  /// models.rs:1410-1414).
  Expected<void> set_tenant_config(const std::string& tenant_id, const Json& config);
  /// PUT /control/v1/tenant/:id/shard_split {"new_shard_count": N, "new_stripe_size": S|null}
  /// (TenantShardSplitRequest, models.rs:463-472; a smaller count is 400, service.rs:6243-6254).
  /// PUT /control/v1/preferred_azs: {"<tenant_shard_id>": zone, ...} (admin scope;
  /// libs/pageserver_api/src/controller_api.rs:95-98, the map flattened into the body).
  Expected<void> set_preferred_azs(const std::vector<std::string>& shards, const std::string& zone);
  Expected<void> split_tenant(const std::string& tenant_id, int new_shard_count, std::optional<std::uint32_t> stripe);

  /// Low level: one call with retries as described above; non-2xx statuses become errors unless
  /// listed in `accept`.
  enum class Retry { idempotent, once };
  Expected<Reply> call(const std::string& method, const std::string& path, const std::optional<Json>& body, Retry retry,
                       const std::vector<long>& accept = {});
  /// The same, handing back the body as text (a dry run prints changing calls here, too).
  Expected<http::Response> call_text(const std::string& method, const std::string& path,
                                     const std::optional<Json>& body, Retry retry,
                                     const std::vector<long>& accept = {});

private:
  http::Transport& m_transport;
  ClientOptions m_options;
};

/// A page of GET /control/v1/tenant read straight into Tenant values (no intermediate DOM), with
/// the rules of the single-tenant conversion: tenant_id and shards required, documented types
/// checked, unknown fields skipped. Errors say what is wrong without the call's name.
Result<std::vector<Tenant>> parse_tenant_list(std::string_view body);

/// Attached shards per pageserver in `tenants` (the tenant list, which the controller forwards to
/// its leader; GET /control/v1/node/:id/shards is the one node route it does not forward).
std::map<std::uint64_t, std::size_t> attached_counts(const std::vector<Tenant>& tenants);
/// The ids of the shards attached to `node`.
std::vector<std::string> attached_to(const std::vector<Tenant>& tenants, std::uint64_t node);
/// "Attached(1)", "Detached", ...: a placement policy for people.
std::string policy_text(const Json& policy);

/// Percent-encoding for a query value or path segment (plugin/adapters/http.hpp).
using http::url_encode;

/// "409 Conflict" and friends.
std::string status_text(long status);

}  // namespace neon::cli::storcon
