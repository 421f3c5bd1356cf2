#include "generators/proxy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "generators/members.hpp"
#include "generators/names.hpp"
#include "generators/storage_broker.hpp"
#include "generators/tls.hpp"

namespace neon::gen {
namespace {

using namespace members;

constexpr const char* k_component = "proxy";
constexpr const char* k_certs_dir = "/certs";
/// The name of the Certificate cert-manager fills ProxySpec::certificate_secret() from.
constexpr const char* k_certificate = "neon-proxy-tls";

/// The flags a self-hosted control plane needs (neon-connect.md §4.2, §5; proxy/src/binary/proxy.rs:63-334).
/// Every other flag keeps Neon's default: the caches (4 m), the wake-compute retries and rate
/// limits are what the hook's answers are designed around (plugin/hook/hook_cplane.*).
Json proxy_args(const ClusterSpec& s) {
  return Json::array({
      // The default is console-redirect, the hosted console's flow (proxy.rs:89-90); the image has only
      // these two backends (proxy.rs:63-77, the others need the `testing` feature).
      "--auth-backend=control-plane",
      // The hook's control-plane routes. No trailing slash: the proxy appends /wake_compute etc.
      // (proxy/src/control_plane/client/cplane_proxy_v1.rs:130-336).
      fmt::format("--auth-endpoint={}/cplane", tls::hook_url(s)),
      // Every listener defaults to 127.0.0.1 (proxy.rs:87-103); the management listener (7000,
      // console-redirect callbacks only) stays on loopback.
      "--proxy=" + names::listen_any(s, names::k_proxy_pg_port),
      "--wss=" + names::listen_any(s, names::k_proxy_wss_port),
      "--http=" + names::listen_any(s, names::k_proxy_http_port),
      // Both or neither (proxy.rs:627-636); with them TLS is required of every client
      // (proxy/src/pglb/handshake.rs:175-182) and the routing domain is the certificate's subject
      // (proxy/src/tls/server_config.rs:171-192).
      fmt::format("--tls-key={}/tls.key", k_certs_dir),
      fmt::format("--tls-cert={}/tls.crt", k_certs_dir),
  });
}

Json proxy_container(const ClusterSpec& s) {
  const ProxySpec& px = s.proxy;
  // The control-plane token from the environment, never argv: `--control-plane-token` reads
  // NEON_PROXY_TO_CONTROLPLANE_TOKEN (proxy.rs:114-121). The hook checks it as key proxy-token of
  // its token Secret (NEON_HOOK_PROXY_TOKEN_FILE, generators/compute_hook.cpp).
  Json env = Json::array({env_secret("NEON_PROXY_TO_CONTROLPLANE_TOKEN", s.storage_controller.auth.hook_token_secret,
                                     names::k_proxy_token_key)});
  Json mounts = Json::array({Json{{"name", "certs"}, {"mountPath", k_certs_dir}, {"readOnly", true}}});
  if (s.tls.enabled) {
    // The proxy's HTTP client is reqwest with rustls-tls-native-roots (proxy/Cargo.toml:72,
    // proxy/src/http/mod.rs:27-35: no CA option); rustls-native-certs 0.7 takes SSL_CERT_FILE
    // instead of the system roots (lib.rs:57-71), so the hook's CA is trusted as for compute_ctl.
    env.push_back(env_value("SSL_CERT_FILE", tls::k_ca_file));
    mounts.push_back(tls::ca_mount());
  }
  Json c{{"name", "proxy"},
         {"image", s.images.storage},
         {"imagePullPolicy", "IfNotPresent"},
         // The image's CMD starts a pageserver (Dockerfile:189-194); the binary is in /usr/local/bin
         // (Dockerfile:157-166).
         {"command", Json::array({"/usr/local/bin/proxy"})},
         {"args", proxy_args(s)},
         {"env", std::move(env)},
         {"ports", Json::array({Json{{"name", "postgres"}, {"containerPort", names::k_proxy_pg_port}},
                                Json{{"name", "https"}, {"containerPort", names::k_proxy_wss_port}},
                                Json{{"name", "http"}, {"containerPort", names::k_proxy_http_port}}})},
         {"volumeMounts", std::move(mounts)}};
  // GET /v1/status on the --http listener (proxy/src/http/health_server.rs:30-40).
  c["readinessProbe"] = members::http_probe("/v1/status", "http", 5, 3);
  c["livenessProbe"] = members::http_probe("/v1/status", "http", 10, 6);
  c["resources"] = resources_json(px.resources, Resources{{{"cpu", "250m"}, {"memory", "256Mi"}}, {{"memory", "1Gi"}}});
  c["securityContext"] = container_security_context();
  return c;
}

Json proxy_deployment(const ClusterSpec& s) {
  const std::string name = names::k_proxy;
  const Json selector = selector_labels(name, k_component);
  Json volumes =
      Json::array({Json{{"name", "certs"},
                        {"secret", Json{{"secretName", s.proxy.certificate_secret()},
                                        {"items", Json::array({Json{{"key", "tls.crt"}, {"path", "tls.crt"}},
                                                               Json{{"key", "tls.key"}, {"path", "tls.key"}}})}}}}});
  if (Json ca = tls::ca_volume(s, names::k_hook); !ca.is_null()) {
    volumes.push_back(std::move(ca));
  }
  Json pod_spec{{"automountServiceAccountToken", false},
                {"securityContext", pod_security_context(k_neon_uid)},
                // On SIGTERM the proxy stops accepting and exits once its connections have closed
                // (proxy/src/signals.rs:36-40): a minute for short sessions to finish.
                {"terminationGracePeriodSeconds", 60},
                {"affinity", preferred_anti_affinity(selector)},
                {"topologySpreadConstraints", spread_constraints(selector)},
                {"containers", Json::array({proxy_container(s)})},
                {"volumes", std::move(volumes)}};
  // A new pod before an old one goes: the endpoint keeps its capacity through a rollout. The
  // certificate is read at start only (proxy.rs:627-637), so a rollout is also how a renewed
  // certificate takes effect (README "Serverless endpoint").
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", object_meta(name, k_component, Wave::compute)},
              {"spec", Json{{"replicas", s.proxy.replicas},
                            {"revisionHistoryLimit", 3},
                            {"strategy", Json{{"type", "RollingUpdate"},
                                              {"rollingUpdate", Json{{"maxSurge", 1}, {"maxUnavailable", 0}}}}},
                            {"selector", Json{{"matchLabels", selector}}},
                            {"template", Json{{"metadata", Json{{"labels", common_labels(name, k_component)}}},
                                              {"spec", std::move(pod_spec)}}}}}};
}

/// The public endpoint: Postgres on 5432 and WebSocket / SQL over HTTP on 443. Without allowedIps
/// externalTrafficPolicy stays Cluster (every node forwards, and the proxy sees a node's address).
/// With a project's allowedIps the proxy compares the client's address with them
/// (proxy/src/control_plane/mod.rs:101), so a LoadBalancer or NodePort Service keeps it: Local
/// (only nodes running a proxy pod take traffic, without source NAT).
Json public_service(const ClusterSpec& s) {
  Json meta = object_meta(names::k_proxy, k_component, Wave::compute);
  if (!s.proxy.service_annotations.empty()) {
    for (const auto& [k, v] : s.proxy.service_annotations) {
      meta["annotations"][k] = v;
    }
  }
  Json postgres{
      {"name", "postgres"}, {"port", names::k_postgres_port}, {"targetPort", "postgres"}, {"protocol", "TCP"}};
  Json https{{"name", "https"}, {"port", 443}, {"targetPort", "https"}, {"protocol", "TCP"}};
  Json spec{{"type", s.proxy.service_type},
            {"selector", selector_labels(names::k_proxy, k_component)},
            {"ports", Json::array({std::move(postgres), std::move(https)})}};
  const bool allow_lists =
      std::any_of(s.projects.begin(), s.projects.end(), [](const Project& p) { return p.allowed_ips.has_value(); });
  if (allow_lists && s.proxy.service_type != "ClusterIP") {
    spec["externalTrafficPolicy"] = "Local";
  }
  return Json{{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", std::move(meta)}, {"spec", std::move(spec)}};
}

Json metrics_service() {
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", object_meta(k_proxy_metrics_service, k_component, Wave::compute)},
              {"spec", Json{{"type", "ClusterIP"},
                            {"selector", selector_labels(names::k_proxy, k_component)},
                            {"ports", Json::array({service_port("http", names::k_proxy_http_port)})}}}};
}

/// The wildcard certificate of tls.issuerRef. The proxy takes its routing domain from the subject,
/// which must be exactly CN=*.<domain>: any other RDN breaks the match
/// (proxy/src/tls/server_config.rs:171-192, neon-connect.md §4.4), so no `subject` fields. The
/// dnsNames entry is for the clients' hostname check.
Json certificate(const ClusterSpec& s) {
  const std::string wildcard = "*." + s.proxy.domain;
  return Json{
      {"apiVersion", "cert-manager.io/v1"},
      {"kind", "Certificate"},
      {"metadata", object_meta(k_certificate, k_component, Wave::compute)},
      {"spec", Json{{"secretName", s.proxy.certificate_secret()},
                    {"issuerRef",
                     Json{{"name", s.proxy.issuer_name}, {"kind", s.proxy.issuer_kind}, {"group", "cert-manager.io"}}},
                    {"commonName", wildcard},
                    {"dnsNames", Json::array({wildcard})},
                    // rustls_pemfile::private_key reads PKCS#1, PKCS#8 and SEC1 (neon-connect.md §4.4); PKCS#8
                    // is the one every reader takes.
                    {"privateKey",
                     Json{{"algorithm", "ECDSA"}, {"size", 256}, {"encoding", "PKCS8"}, {"rotationPolicy", "Always"}}},
                    {"usages", Json::array({"server auth", "digital signature"})}}}};
}

}  // namespace

std::vector<std::string> suspendable_computes(const ClusterSpec& spec) {
  std::vector<std::string> out;
  for (const Project& p : spec.projects) {
    for (const Branch& b : p.branches) {
      if (b.compute.suspend_after_seconds > 0) {
        out.push_back(names::compute_name(p.name, b.name));
      }
    }
  }
  return out;
}

Json proxy_service_monitor(const ClusterSpec& spec) {
  if (!spec.proxy.enabled) {
    return nullptr;
  }
  const std::string name = "neon-proxy";
  return Json{
      {"apiVersion", "monitoring.coreos.com/v1"},
      {"kind", "ServiceMonitor"},
      {"metadata", Json{{"name", name}, {"labels", common_labels(name, "monitoring")}}},
      {"spec", Json{{"selector", Json{{"matchLabels", selector_labels(k_proxy_metrics_service, k_component)}}},
                    {"endpoints", Json::array({Json{{"port", "http"}, {"path", "/metrics"}, {"interval", "30s"}}})}}}};
}

ResourceSet generate_proxy(const ValidSpec& valid) {
  const ClusterSpec& s = valid.spec();
  if (!s.proxy.enabled) {
    return {};
  }
  ResourceSet out{Resource{k_component, proxy_deployment(s)}, Resource{k_component, public_service(s)},
                  Resource{k_component, metrics_service()},
                  // The project's pattern (members.hpp): one pod at a time, never blocking a drain.
                  Resource{k_component, pod_disruption_budget(names::k_proxy, k_component, Wave::compute)}};
  if (s.proxy.tls_secret.empty()) {
    out.push_back(Resource{k_component, certificate(s)});
  }
  return out;
}

}  // namespace neon::gen
