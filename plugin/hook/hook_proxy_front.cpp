#include "plugin/hook/hook_proxy_front.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include "plugin/hook/hook_auth.hpp"

namespace neon::cli::hook {

namespace {

constexpr const char* k_json = "application/json";

void answer(httplib::Response& res, const CplaneReply& r) {
  res.status = r.status;
  res.set_content(r.body.dump(), k_json);
}

}  // namespace

ProxyFront::ProxyFront(const Computes& computes, std::string proxy_token, VerifierLookup verifier, ComputePower& power,
                       std::function<void(const std::string&)> log)
    : m_computes(computes),
      m_token(std::move(proxy_token)),
      m_verifier(std::move(verifier)),
      m_power(power),
      m_log(std::move(log)) {}

std::optional<CplaneReply> ProxyFront::denied(const std::string& authorization) const {
  if (auto d = check_bearer(authorization, m_token)) {
    // No status details: the proxy neither retries nor hides it (messages.rs:68-75).
    return CplaneReply{d->status, Json{{"error", d->message}}};
  }
  return std::nullopt;
}

CplaneReply ProxyFront::access_control(const std::string& authorization, const std::string& endpointish,
                                       const std::string& role) {
  if (auto d = denied(authorization)) {
    m_denied++;
    return *d;
  }
  CplaneReply r = access_control_reply(m_computes, endpointish, role, m_verifier);
  (r.status == 200 ? m_access.ok : m_access.error)++;
  return r;
}

CplaneReply ProxyFront::wake(const std::string& authorization, const std::string& endpointish) {
  if (auto d = denied(authorization)) {
    m_denied++;
    return *d;
  }
  auto ep = find_endpoint(m_computes, endpointish);
  if (!ep) {
    m_wake.error++;
    return cplane_error(CplaneError{404, fmt::format("endpoint {} not found", endpointish), "ENDPOINT_NOT_FOUND",
                                    std::nullopt, fmt::format("endpoint {} does not exist", endpointish), "NOT_FOUND"});
  }
  const WakeOutcome o = m_power.wake(*ep->compute);
  switch (o.kind) {
    case WakeOutcome::Kind::ready:
      m_wake.ok++;
      return CplaneReply{200, wake_body(*ep, o.cold)};
    case WakeOutcome::Kind::starting:
      // Retryable and, without retry_info, not cached: each proxy retry asks again and waits here
      // again (proxy/src/control_plane/client/cplane_proxy_v1.rs:476-497, messages.rs:76-90).
      m_wake.error++;
      return cplane_error(CplaneError{503, fmt::format("compute {}: {}", ep->compute->compute_id, o.message),
                                      "RUNNING_OPERATIONS", std::nullopt, "endpoint is starting, retry"});
    case WakeOutcome::Kind::failed:
      break;
  }
  // Final: no retryable reason, so the client gets it now; the proxy caches it 30 s.
  m_wake.error++;
  m_log(fmt::format("wake_compute {}: {}", endpointish, o.message));
  return cplane_error(
      CplaneError{500, o.message, "", std::nullopt, fmt::format("endpoint {} could not be started", endpointish)});
}

CplaneReply ProxyFront::jwks(const std::string& authorization, const std::string& endpoint) {
  if (auto d = denied(authorization)) {
    m_denied++;
    return *d;
  }
  CplaneReply r = jwks_reply(m_computes, endpoint);
  (r.status == 200 ? m_jwks.ok : m_jwks.error)++;
  return r;
}

void ProxyFront::add_routes(httplib::Server& server) {
  const std::string base = k_cplane_prefix;
  server.Get(base + "/get_endpoint_access_control", [this](const httplib::Request& q, httplib::Response& r) {
    answer(r, access_control(q.get_header_value("Authorization"), q.get_param_value("endpointish"),
                             q.get_param_value("role")));
  });
  server.Get(base + "/wake_compute", [this](const httplib::Request& q, httplib::Response& r) {
    answer(r, wake(q.get_header_value("Authorization"), q.get_param_value("endpointish")));
  });
  server.Get(base + R"(/endpoints/([^/]+)/jwks)", [this](const httplib::Request& q, httplib::Response& r) {
    answer(r, jwks(q.get_header_value("Authorization"), q.matches[1]));
  });
}

std::string ProxyFront::render_metrics() const {
  std::string out;
  out += "# HELP neon_hook_proxy_requests_total Calls of Neon's proxy on the hook's control-plane API.\n";
  out += "# TYPE neon_hook_proxy_requests_total counter\n";
  for (const auto& [route, c] : {std::pair<const char*, const Counter*>{"access_control", &m_access},
                                 {"wake_compute", &m_wake},
                                 {"jwks", &m_jwks}}) {
    out += fmt::format("neon_hook_proxy_requests_total{{route=\"{}\",outcome=\"ok\"}} {}\n", route, c->ok.load());
    out += fmt::format("neon_hook_proxy_requests_total{{route=\"{}\",outcome=\"error\"}} {}\n", route, c->error.load());
  }
  out += fmt::format("neon_hook_proxy_requests_total{{route=\"any\",outcome=\"denied\"}} {}\n", m_denied.load());
  const PowerCounts p = m_power.counts();
  const struct {
    const char* name;
    const char* type;
    const char* help;
    long value;
  } figures[] = {
      {"neon_hook_computes_asleep", "gauge", "Suspendable computes now scaled to zero.", p.asleep},
      {"neon_hook_computes_waking", "gauge", "Computes being woken now.", p.waking},
      {"neon_hook_compute_wakes_total", "counter", "wake_compute calls answered with a running compute.", p.wakes},
      {"neon_hook_compute_cold_starts_total", "counter", "Computes scaled up from zero by a wake.", p.cold_starts},
      {"neon_hook_compute_wake_failures_total", "counter", "Wakes that failed or ran past their deadline.",
       p.wake_failures},
      {"neon_hook_compute_suspends_total", "counter", "Idle computes terminated and scaled to zero.", p.suspends},
      {"neon_hook_compute_suspend_failures_total", "counter", "Suspends whose scale-down failed.", p.suspend_failures},
  };
  for (const auto& f : figures) {
    out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", f.name, f.help, f.type, f.value);
  }
  return out;
}

}  // namespace neon::cli::hook
