// The proxy rules of validate: spec.proxy (domain, TLS, Service, replicas), every branch's endpoint
// name, compute.suspendAfter and the projects' allowedIps, each reported at its field.
#include <map>
#include <string>

#include <fmt/format.h>

#include "generators/names.hpp"
#include "generators/spec_parse.hpp"
#include "generators/validate.hpp"

namespace neon::gen {

namespace {

/// The proxy strips `-pooler` from the endpoint a client names and sends it to PgBouncer
/// (proxy/src/auth/credentials.rs; neon-connect.md §4.5), and `api` and `apiauth` are its own HTTP
/// APIs (proxy/src/serverless/mod.rs:60-61).
constexpr const char* k_pooler_suffix = "-pooler";

/// Why `name` cannot be an endpoint, or empty. Endpoint ids are alphanumeric and `-` only
/// (proxy/src/auth/credentials.rs:232-234), and the first label of a host name.
std::string endpoint_problem(const std::string& name) {
  if (!is_dns1123_label(name)) {
    return fmt::format(
        "\"{}\" is not a valid endpoint name: lowercase letters, digits and '-', at most 63, "
        "starting and ending with a letter or digit (it is the first label of <endpoint>.<domain>)",
        name);
  }
  if (name == "api" || name == "apiauth") {
    return fmt::format("\"{}\" is reserved by the proxy for its HTTP APIs", name);
  }
  if (name.size() > 7 && name.compare(name.size() - 7, 7, k_pooler_suffix) == 0) {
    return fmt::format("\"{}\" ends in -pooler, which the proxy reads as the pooled form of endpoint \"{}\"", name,
                       name.substr(0, name.size() - 7));
  }
  return {};
}

void check_proxy_section(const ClusterSpec& s, const NetworkError& error) {
  const ProxySpec& px = s.proxy;
  if (!px.enabled) {
    return;
  }
  const std::string p = "spec.proxy";
  if (px.domain.empty()) {
    error(p, "domain is required: clients connect to <endpoint>.<domain>");
  } else if (!is_dns1123_subdomain(px.domain) || px.domain.find('.') == std::string::npos) {
    error(p + ".domain",
          fmt::format("\"{}\" is not a DNS domain with at least two labels (e.g. db.example.com)", px.domain));
  }
  if (px.tls_secret.empty() == px.issuer_name.empty()) {
    error(p + (px.tls_secret.empty() ? "" : ".tls"),
          "set exactly one of tls.secretRef (a kubernetes.io/tls Secret whose certificate subject is CN=*.<domain>) "
          "or tls.issuerRef (cert-manager issues it): the proxy takes its routing domain from that certificate");
  }
  if (!px.tls_secret.empty() && !is_dns1123_subdomain(px.tls_secret)) {
    error(p + ".tls.secretRef.name",
          fmt::format("\"{}\" is not a valid Secret name (RFC 1123 subdomain)", px.tls_secret));
  }
  if (!px.issuer_name.empty() && !is_dns1123_subdomain(px.issuer_name)) {
    error(p + ".tls.issuerRef.name", fmt::format("\"{}\" is not a valid cert-manager issuer name", px.issuer_name));
  }
  if (px.issuer_kind != "Issuer" && px.issuer_kind != "ClusterIssuer") {
    error(p + ".tls.issuerRef.kind", fmt::format("must be Issuer or ClusterIssuer, got \"{}\"", px.issuer_kind));
  }
  if (px.service_type != "LoadBalancer" && px.service_type != "NodePort" && px.service_type != "ClusterIP") {
    error(p + ".service.type", fmt::format("must be LoadBalancer, NodePort or ClusterIP, got \"{}\"", px.service_type));
  }
  if (px.replicas < 1 || px.replicas > 100) {
    error(p + ".replicas", fmt::format("must be between 1 and 100, got {}", px.replicas));
  }
}

void check_suspend(const ClusterSpec& s, const Branch& b, const std::string& bp, const NetworkError& error) {
  if (b.compute.suspend_after.empty()) {
    return;
  }
  const std::string path = bp + ".compute.suspendAfter";
  if (auto problem = humantime_duration_error(b.compute.suspend_after); !problem.empty()) {
    error(path, fmt::format("\"{}\" is not a duration (e.g. 5m, 1h): {}", b.compute.suspend_after, problem));
    return;
  }
  if (b.compute.suspend_after_seconds < 60) {
    error(path, fmt::format("\"{}\" is too short: at least 1m, since the hook checks activity every few seconds "
                            "and the proxy keeps a woken address for 4m",
                            b.compute.suspend_after));
  }
  if (b.compute.read_replicas > 0) {
    error(path,
          "a branch with read replicas cannot be suspended: the replicas stream WAL from the primary and "
          "their clients connect past the proxy, so nothing would wake it for them");
  }
  if (!s.proxy.enabled) {
    error(path, "needs spec.proxy.enabled: only a connection through the proxy wakes a suspended compute");
  }
}

/// spec.projects[].allowedIps: what the hook answers as allowed_ips, so every entry must be one the
/// proxy parses (an entry it cannot parse matches nobody, with only a warning in its log).
void check_allowed_ips(const ClusterSpec& s, const Project& pr, const std::string& pp, const NetworkError& error) {
  if (!pr.allowed_ips) {
    return;
  }
  const std::string path = pp + ".allowedIps";
  if (!s.proxy.enabled) {
    error(path, "needs spec.proxy.enabled: the proxy is what checks a client's address");
  }
  if (pr.allowed_ips->empty()) {
    error(path, "is empty, which the proxy reads as every address; remove allowedIps to admit every address");
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t k = 0; k < pr.allowed_ips->size(); ++k) {
    const std::string& entry = (*pr.allowed_ips)[k];
    const std::string at = fmt::format("{}[{}]", path, k);
    if (auto problem = ip_pattern_problem(entry); !problem.empty()) {
      error(at, fmt::format("\"{}\" {}", entry, problem));
    } else if (auto [it, inserted] = seen.emplace(entry, k); !inserted) {
      error(at, fmt::format("\"{}\" is listed twice (also {}[{}])", entry, path, it->second));
    }
  }
}

}  // namespace

void check_proxy(const ClusterSpec& s, const NetworkError& error) {
  check_proxy_section(s, error);
  std::map<std::string, std::string> endpoints;  // name -> path of the branch that has it
  for (std::size_t i = 0; i < s.projects.size(); ++i) {
    const Project& pr = s.projects[i];
    check_allowed_ips(s, pr, fmt::format("spec.projects[{}]", i), error);
    for (std::size_t j = 0; j < pr.branches.size(); ++j) {
      const Branch& b = pr.branches[j];
      const std::string bp = fmt::format("spec.projects[{}].branches[{}]", i, j);
      check_suspend(s, b, bp, error);
      if (pr.name.empty() || b.name.empty()) {
        continue;
      }
      const std::string name = names::endpoint_name(pr.name, b);
      // The default name is only checked when the proxy uses it; a name the spec sets always is.
      if (!b.endpoint.empty() || s.proxy.enabled) {
        if (auto problem = endpoint_problem(name); !problem.empty()) {
          error(
              b.endpoint.empty() ? bp + ".name" : bp + ".endpoint",
              b.endpoint.empty() ? fmt::format("the endpoint name {}; set endpoint on the branch", problem) : problem);
          continue;
        }
      }
      if (!s.proxy.enabled && b.endpoint.empty()) {
        continue;
      }
      auto [it, inserted] = endpoints.emplace(name, bp);
      if (!inserted) {
        error(b.endpoint.empty() ? bp + ".name" : bp + ".endpoint",
              fmt::format("endpoint \"{}\" is also the endpoint of {}; set endpoint on one of them", name, it->second));
      }
    }
  }
}

}  // namespace neon::gen
