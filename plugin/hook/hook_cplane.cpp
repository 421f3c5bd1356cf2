#include "plugin/hook/hook_cplane.hpp"

#include <fmt/format.h>

namespace neon::cli::hook {

namespace {

constexpr const char* k_pooler_suffix = "-pooler";
constexpr std::size_t k_pooler_suffix_size = 7;
/// compute_ctl's own superuser; Neon's control plane never hands out its secret
/// (compute_tools/src/spec.rs; neon-connect.md §1.7 and §5 item 2).
constexpr const char* k_cloud_admin = "cloud_admin";

CplaneReply not_found(const std::string& endpoint) {
  return cplane_error(CplaneError{404, fmt::format("endpoint {} not found", endpoint), "ENDPOINT_NOT_FOUND",
                                  std::nullopt, fmt::format("endpoint {} does not exist", endpoint), "NOT_FOUND"});
}

}  // namespace

std::optional<EndpointRef> find_endpoint(const Computes& computes, const std::string& endpointish) {
  std::string name = endpointish;
  bool pooled = false;
  if (name.size() > k_pooler_suffix_size &&
      name.compare(name.size() - k_pooler_suffix_size, k_pooler_suffix_size, k_pooler_suffix) == 0) {
    name.resize(name.size() - k_pooler_suffix_size);
    pooled = true;
  }
  for (const ComputeEntry& c : computes.computes) {
    if (!c.endpoint.empty() && c.endpoint == name) {
      if (pooled && c.pooler_port == 0) {
        return std::nullopt;  // no PgBouncer on this branch: <endpoint>-pooler names nothing
      }
      return EndpointRef{&c, pooled};
    }
  }
  return std::nullopt;
}

Json cplane_error_body(const CplaneError& e) {
  Json details = Json::object();
  if (!e.reason.empty()) {
    details["error_info"] = Json{{"reason", e.reason}};
  }
  if (e.retry_delay_ms) {
    details["retry_info"] = Json{{"retry_delay_ms", *e.retry_delay_ms}};
  }
  if (!e.user_message.empty()) {
    details["user_facing_message"] = Json{{"message", e.user_message}};
  }
  return Json{{"error", e.message}, {"status", Json{{"code", e.code}, {"message", e.message}, {"details", details}}}};
}

CplaneReply cplane_error(const CplaneError& e) { return CplaneReply{e.http_status, cplane_error_body(e)}; }

CplaneReply access_control_reply(const Computes& computes, const std::string& endpointish, const std::string& role,
                                 const VerifierLookup& verifier) {
  auto ep = find_endpoint(computes, endpointish);
  if (!ep) {
    return not_found(endpointish);
  }
  const ComputeEntry& c = *ep->compute;
  std::string secret;
  if (role != k_cloud_admin) {
    for (const auto& r : c.roles) {
      if (r.value("name", "") == role) {
        secret = verifier(r["secret"].get<std::string>()).value_or("");
        break;
      }
    }
  }
  // The project's allowedIps, checked by the proxy against the client's address
  // (proxy/src/control_plane/mod.rs:101, auth/credentials.rs:159-230); null: every address.
  Json allowed_ips = nullptr;
  if (const auto* project = computes.project(c.project); project != nullptr && !project->allowed_ips.empty()) {
    allowed_ips = project->allowed_ips;
  }
  return CplaneReply{200, Json{{"role_secret", secret},
                               {"allowed_ips", std::move(allowed_ips)},
                               {"project_id", c.project},
                               {"account_id", nullptr}}};
}

std::string compute_pg_address(const ComputeEntry& compute, int port) {
  std::string host = compute.address;
  if (const auto colon = host.rfind(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host_port(host, port);
}

Json wake_body(const EndpointRef& ep, bool cold) {
  const ComputeEntry& c = *ep.compute;
  const int port = ep.pooled ? c.pooler_port : c.pg_port;
  return Json{{"address", compute_pg_address(c, port)},
              {"server_name", nullptr},
              {"aux", Json{{"endpoint_id", c.endpoint},
                           {"project_id", c.project},
                           {"branch_id", c.branch},
                           {"compute_id", c.compute_id},
                           {"cold_start_info", cold ? "pool_miss" : "warm"}}}};
}

CplaneReply jwks_reply(const Computes& computes, const std::string& endpoint) {
  if (!find_endpoint(computes, endpoint)) {
    return not_found(endpoint);
  }
  return CplaneReply{200, Json{{"jwks", Json::array()}}};
}

}  // namespace neon::cli::hook
