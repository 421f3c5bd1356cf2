#pragma once
// The compute hook service (`kubectl neon hook serve`): the storage controller's
// --control-plane-url target and compute_ctl's --control-plane-uri (neon-api.md §4).
//
// PUT /notify-attach and /notify-safekeepers reconfigure every compute of the tenant (timeline)
// through compute_ctl POST /configure, signed with an EdDSA JWT whose key the hook publishes as
// JWKS in every spec it hands out. GET /compute/api/v2/computes/<id>/spec serves a starting
// compute its spec, to that compute's own token only (hook_auth.hpp); while the tenant's placement is pending (not
// created or attached yet, splitting, controller unreachable) it holds the request for a while, since compute_ctl gives
// up after 3 tries 100 ms apart (compute_tools/src/spec.rs:77-135). Notifications for one tenant apply in arrival
// order; a newer one replaces an older one that has not started yet, and both callers get the newer one's outcome. A
// notify-attach for a tenant the controller reports as splitting is answered 503, so the controller retries it.
//
// With a storage signing key, every spec carries the compute's tenant-scoped storage_auth_token,
// minted here once per tenant of computes.json and never logged.

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "generators/result.hpp"
#include "plugin/hook/hook_power.hpp"
#include "plugin/hook/hook_spec.hpp"

namespace neon::cli::hook {

inline constexpr int k_default_threads = 32;
/// Computes configured at once, over all notifications: a tenant with many computes, or many
/// tenants notified together, queue for these instead of starting a thread each.
inline constexpr int k_default_configure_workers = 16;
inline constexpr std::size_t k_default_max_body = 1024 * 1024;
/// The controller gives a notification 10 s; a compute must answer /configure within this.
inline constexpr std::chrono::milliseconds k_configure_timeout{8000};
/// Lifetime of the JWTs the hook sends to compute_ctl.
inline constexpr std::chrono::seconds k_token_lifetime{300};
/// How long a client may take to send one whole request, headers and body (408 after that).
inline constexpr std::chrono::milliseconds k_request_deadline{5000};
/// How long a spec request waits for a pending placement before it is answered 503.
inline constexpr std::chrono::milliseconds k_spec_wait{10000};

struct HookOptions {
  Computes computes;
  std::string storage_controller_url;  ///< e.g. http://storage-controller:1234
  std::string ca_file;                 ///< CA bundle (PEM) verifying an https controller; empty: system store
  /// The hook's certificate chain and private key (PEM files, e.g. a mounted kubernetes.io/tls
  /// Secret); both empty: plain HTTP. Read again when they change (checked every tls_reload).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::chrono::milliseconds tls_reload{60000};
  std::string signing_key_pem;  ///< Ed25519 PKCS#8 private key; required
  /// The storage auth private key (PKCS#8); set: specs carry tenant-scoped storage_auth_tokens,
  /// and the hook's calls to the controller carry scoped tokens minted from it
  /// (controller_tokens.hpp). Unset (auth off): no token is sent.
  std::optional<std::string> storage_signing_key_pem;
  /// Required: the storage controller's bearer token on /notify-* (its CONTROL_PLANE_JWT_TOKEN),
  /// in every profile.
  std::string expected_token;
  /// Required: each compute's spec token is derived from it (plugin/clients/compute_token.hpp), and
  /// GET /compute/api/v2/computes/<id>/spec answers only compute <id>'s token.
  std::string compute_token_key;
  int threads = k_default_threads;
  std::chrono::milliseconds spec_wait = k_spec_wait;
  /// Spec requests that may wait for a placement at once; more are answered 503 at once, so
  /// waiting requests never take the whole thread pool. 0: a quarter of `threads`.
  int max_waiting_specs = 0;
  std::size_t max_body = k_default_max_body;
  /// Requests are read by a gate (plugin/adapters/http_gate.hpp) within this deadline, so slow
  /// clients never hold the request threads and /healthz keeps answering.
  std::chrono::milliseconds request_deadline = k_request_deadline;
  std::chrono::milliseconds configure_timeout = k_configure_timeout;
  int configure_workers = k_default_configure_workers;
  std::ostream* log = nullptr;  ///< one line per notification; nullptr: silent
  /// The mounted role Secrets: file `<dir>/<secret>` holds the password (hook_roles.hpp); empty:
  /// every role is sent with encrypted_password null.
  std::string passwords_dir;
  /// How often the role Secrets are read again; a changed password reaches the running primaries
  /// by /configure within this plus the kubelet's Secret refresh (about a minute).
  std::chrono::milliseconds password_poll{10000};
  /// The proxy's control-plane token (its NEON_PROXY_TO_CONTROLPLANE_TOKEN); set: the /cplane routes
  /// answer Neon's proxy (hook_proxy_front.hpp). Empty: they are not served.
  std::string proxy_token;
  /// The compute Deployments' scale subresource (`hook serve --scale-computes`). Unset: no compute
  /// is suspended, and a wake only waits for the compute.
  std::function<Result<int>(const std::string& deployment)> get_scale;
  std::function<Result<void>(const std::string& deployment, int replicas)> set_scale;
  /// How often suspendable computes' activity is read (compute_ctl GET /status).
  std::chrono::milliseconds activity_poll{10000};
  std::chrono::milliseconds wake_wait = k_wake_wait;
  std::chrono::milliseconds wake_deadline = k_wake_deadline;
  std::chrono::milliseconds wake_poll{20};
  std::function<Clock::time_point()> clock;  ///< nullptr: the system clock (tests inject one)
};

/// The log line for an exception a handler let escape: method, route and what it said. Never the
/// headers or the body, which hold tokens.
std::string handler_exception_line(const std::string& method, const std::string& path, std::exception_ptr error);

class HookServer {
public:
  static Result<std::unique_ptr<HookServer>> create(HookOptions options);
  ~HookServer();
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

  /// Binds `host:port` (port 0: any free port) and returns the bound port. An empty host listens
  /// on every address family: `::` dual-stack, or 0.0.0.0 when the kernel has no IPv6.
  Result<int> bind(const std::string& host, int port);
  /// A second, plaintext listener that serves GET /healthz and /metrics and nothing else (404),
  /// for Prometheus and probes while the main one is HTTPS. Call after bind(), before run().
  Result<int> bind_metrics(const std::string& host, int port);
  /// Where bind() listens, e.g. `[::]:8080` or `0.0.0.0:8080`.
  std::string listening_on() const;
  /// Serves until stop(). Call after bind().
  void run();
  /// Stops serving; run() returns. Safe from any thread, and more than once.
  void stop();
  /// The JWKS compute_ctl verifies the hook's tokens with.
  const Json& jwks() const;

private:
  struct Impl;
  explicit HookServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace neon::cli::hook
