#pragma once
// The routes Neon's proxy calls on the hook (hook_cplane.hpp has the bodies), their bearer check
// against the proxy's control-plane token, wake-on-connect through ComputePower, and their metrics.
// Registered only when `hook serve` has the proxy's token.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "plugin/hook/hook_cplane.hpp"
#include "plugin/hook/hook_power.hpp"

namespace httplib {
class Server;
}

namespace neon::cli::hook {

class ProxyFront {
public:
  ProxyFront(const Computes& computes, std::string proxy_token, VerifierLookup verifier, ComputePower& power,
             std::function<void(const std::string&)> log);

  /// GET <k_cplane_prefix>/get_endpoint_access_control, /wake_compute and /endpoints/<id>/jwks.
  void add_routes(httplib::Server& server);

  /// One route call, without HTTP (the handlers and tests).
  CplaneReply access_control(const std::string& authorization, const std::string& endpointish, const std::string& role);
  CplaneReply wake(const std::string& authorization, const std::string& endpointish);
  CplaneReply jwks(const std::string& authorization, const std::string& endpoint);

  /// neon_hook_proxy_requests_total by route and outcome, and the wake and suspend figures.
  std::string render_metrics() const;

private:
  std::optional<CplaneReply> denied(const std::string& authorization) const;

  const Computes& m_computes;
  std::string m_token;
  VerifierLookup m_verifier;
  ComputePower& m_power;
  std::function<void(const std::string&)> m_log;
  struct Counter {
    std::atomic<std::uint64_t> ok{0}, error{0};
  };
  Counter m_access, m_wake, m_jwks;
  std::atomic<std::uint64_t> m_denied{0};
};

}  // namespace neon::cli::hook
