#pragma once
// The control-plane API Neon's proxy calls (`proxy --auth-backend control-plane --auth-endpoint
// <hook>/cplane`; proxy/src/control_plane/client/cplane_proxy_v1.rs, neon-connect.md §4.5-4.6),
// without I/O: which compute an endpoint names, the bodies of get_endpoint_access_control,
// wake_compute and the endpoint JWKS, and the error bodies whose `status.details` tell the proxy
// whether to retry.

#include <functional>
#include <optional>
#include <string>

#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

/// Where the routes live under the hook: the proxy appends `/get_endpoint_access_control`,
/// `/wake_compute` and `/endpoints/<id>/jwks` to its --auth-endpoint, given without a trailing slash.
inline constexpr const char* k_cplane_prefix = "/cplane";

struct CplaneReply {
  int status = 200;
  Json body;
};

/// The compute an endpoint name reaches: `<endpoint>` is its Postgres, `<endpoint>-pooler` its
/// PgBouncer (the proxy strips the suffix for its caches, proxy/src/cache/project_info.rs:97-117).
struct EndpointRef {
  const ComputeEntry* compute = nullptr;
  bool pooled = false;
};
std::optional<EndpointRef> find_endpoint(const Computes& computes, const std::string& endpointish);

/// What decides retries (proxy/src/control_plane/messages.rs:68-110): a `reason` in the retryable
/// set (RUNNING_OPERATIONS, ...) or any `retry_delay_ms` makes the proxy try again; other reasons,
/// or none, end the client's attempt, and the proxy caches the error 30 s (or retry_delay_ms).
struct CplaneError {
  int http_status = 500;
  std::string message;  ///< `error` and `status.message`
  std::string reason;   ///< `status.details.error_info.reason`; empty: none
  std::optional<int> retry_delay_ms;
  std::string user_message;  ///< what the client sees; empty: none
  std::string code = "UNAVAILABLE";
};
Json cplane_error_body(const CplaneError& e);
CplaneReply cplane_error(const CplaneError& e);

/// The role's SCRAM verifier by its Secret name (PasswordBook::verifier); nullopt: none yet.
using VerifierLookup = std::function<std::optional<std::string>(const std::string& secret)>;

/// GET /get_endpoint_access_control?endpointish=E&role=R (cplane_proxy_v1.rs:130-215). An unknown
/// endpoint is 404 ENDPOINT_NOT_FOUND, which the proxy turns into an empty secret (:166-176); an
/// unknown role, a role without a password yet, and cloud_admin (never through the proxy) give
/// `role_secret: ""`: the client then fails as with a wrong password. `allowed_ips` is the
/// project's allowedIps, or null (every address).
CplaneReply access_control_reply(const Computes& computes, const std::string& endpointish, const std::string& role,
                                 const VerifierLookup& verifier);

/// The 200 body of wake_compute (messages.rs:288-293, :360-393): the compute's Service address
/// (PgBouncer's port for `-pooler`), plaintext (server_name null), and the ids the proxy labels its
/// metrics with. `cold`: the compute was started for this call (cold_start_info pool_miss, else warm).
Json wake_body(const EndpointRef& ep, bool cold);

/// GET /endpoints/<id>/jwks (cplane_proxy_v1.rs:217-270): no JWT providers are configured, so an
/// empty list for a known endpoint (the proxy then refuses JWT logins); 404 for another.
CplaneReply jwks_reply(const Computes& computes, const std::string& endpoint);

/// The Postgres host:port of `compute` for the proxy: its Service host (from `address`) and
/// `port`. An IPv6 literal host is bracketed.
std::string compute_pg_address(const ComputeEntry& compute, int port);

}  // namespace neon::cli::hook
