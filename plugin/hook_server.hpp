#pragma once
// The compute hook service (`kubectl neon hook serve`): the storage controller's
// --control-plane-url target and compute_ctl's --control-plane-uri (neon-api.md §4).
//
// PUT /notify-attach and /notify-safekeepers reconfigure every compute of the tenant (timeline)
// through compute_ctl POST /configure, signed with an EdDSA JWT whose key the hook publishes as
// JWKS in every spec it hands out. GET /compute/api/v2/computes/<id>/spec serves a starting
// compute its spec. Notifications for one tenant apply in arrival order; a newer one replaces an
// older one that has not started yet, and both callers get the newer one's outcome.

#include <chrono>
#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

#include "generators/result.hpp"
#include "plugin/hook_spec.hpp"

namespace httplib {
class Server;
}

namespace neon::cli::hook {

/// Binds `server` to `host:port` (port 0: any free port) and returns the bound port, or -1.
/// cpp-httplib 0.11 listens with a backlog of 5, compiled into the shared library: a burst of more
/// connections than that overflows the accept queue, the kernel drops their handshakes and the
/// clients only retransmit a second later, or give up. The listening socket is listened on again
/// with SOMAXCONN, which Linux takes as a new backlog. Keeps httplib's socket options.
int bind_http_server(httplib::Server& server, const std::string& host, int port);

inline constexpr int k_default_threads = 32;
inline constexpr std::size_t k_default_max_body = 1024 * 1024;
/// The controller gives a notification 10 s; a compute must answer /configure within this.
inline constexpr std::chrono::milliseconds k_configure_timeout{8000};
/// Lifetime of the JWTs the hook sends to compute_ctl.
inline constexpr std::chrono::seconds k_token_lifetime{300};

struct HookOptions {
  Computes computes;
  std::string storage_controller_url;    ///< e.g. http://storage-controller:1234
  std::string storage_controller_token;  ///< admin scope; empty: none
  std::string signing_key_pem;           ///< Ed25519 PKCS#8 private key
  std::optional<std::string> expected_token;  ///< required bearer token on /notify-*
  int threads = k_default_threads;
  std::size_t max_body = k_default_max_body;
  std::chrono::milliseconds configure_timeout = k_configure_timeout;
  std::ostream* log = nullptr;  ///< one line per notification; nullptr: silent
};

class HookServer {
public:
  static Result<std::unique_ptr<HookServer>> create(HookOptions options);
  ~HookServer();
  HookServer(const HookServer&) = delete;
  HookServer& operator=(const HookServer&) = delete;

  /// Binds `host:port` (port 0: any free port) and returns the bound port.
  Result<int> bind(const std::string& host, int port);
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
