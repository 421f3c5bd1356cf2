// Egress of each component: what it calls (neon-api.md §1 and the configs the generators write),
// object storage, and the user's spec.networkPolicies.egress. DNS is one policy for every pod.
#include <cstdlib>

#include "generators/names.hpp"
#include "generators/network_policy.hpp"
#include "generators/proxy.hpp"
#include "generators/tls.hpp"

namespace neon::gen::netpol {

namespace {

Json to(std::initializer_list<const char*> components, const std::vector<int>& ports) {
  Json peers = Json::array();
  for (const char* c : components) {
    peers.push_back(component_peer(c));
  }
  return Json{{"to", std::move(peers)}, {"ports", ports_json(ports)}};
}

/// The port of spec.objectStorage.endpoint (its explicit port, else 80 for http, else 443).
int object_storage_port(const ClusterSpec& spec) {
  const std::string& e = spec.object_storage.endpoint;
  const bool http = e.rfind("http://", 0) == 0;
  const auto scheme = e.find("://");
  std::string authority = scheme == std::string::npos ? e : e.substr(scheme + 3);
  authority = authority.substr(0, authority.find('/'));
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    const int port = std::atoi(authority.c_str() + colon + 1);
    if (port > 0 && port < 65536) {
      return port;
    }
  }
  return http ? 80 : 443;
}

/// Anywhere but link-local: the cloud metadata address (169.254.169.254) and its IPv6 range.
Json anywhere_but_link_local() {
  return Json::array({Json{{"ipBlock", Json{{"cidr", "0.0.0.0/0"}, {"except", Json::array({"169.254.0.0/16"})}}}},
                      Json{{"ipBlock", Json{{"cidr", "::/0"}, {"except", Json::array({"fe80::/10"})}}}}});
}

/// Pageservers and safekeepers to object storage: the dev MinIO, the spec's CIDRs, or else any
/// address but link-local on the endpoint's port. With workload identity also the node-local
/// credential endpoints the cloud SDKs call (GKE's metadata server, EKS Pod Identity's agent).
void object_storage_egress(const ClusterSpec& spec, Json& out) {
  if (spec.object_storage.minio) {
    out.push_back(to({"dev-minio"}, {names::k_minio_port}));
    return;
  }
  Json peers = Json::array();
  if (spec.network_policy_config.object_storage_cidrs.empty()) {
    peers = anywhere_but_link_local();
    if (spec.object_storage.endpoint.find(".svc") != std::string::npos) {
      peers.push_back(Json{{"namespaceSelector", Json::object()}});  // an in-cluster endpoint's pods
    }
  } else {
    for (const auto& c : spec.network_policy_config.object_storage_cidrs) {
      peers.push_back(Json{{"ipBlock", Json{{"cidr", c}}}});
    }
  }
  out.push_back(Json{{"to", std::move(peers)}, {"ports", ports_json({object_storage_port(spec)})}});
  if (spec.object_storage.credentials == CredentialsMode::workload_identity) {
    out.push_back(Json{{"to", Json::array({Json{{"ipBlock", Json{{"cidr", "169.254.169.254/32"}}}},
                                           Json{{"ipBlock", Json{{"cidr", "169.254.170.23/32"}}}}})},
                       {"ports", ports_json({80})}});
  }
}

/// The port callers with a token use: the HTTPS one with spec.tls.
int controller_port(const ClusterSpec& spec) { return spec.tls.enabled ? tls::k_https_port : names::k_controller_port; }
int hook_port(const ClusterSpec& spec) { return spec.tls.enabled ? tls::k_https_port : names::k_hook_port; }

}  // namespace

Json dns_policy() {
  const Json kube_dns{{"namespaceSelector", selector({{"kubernetes.io/metadata.name", "kube-system"}})},
                      {"podSelector", selector({{"k8s-app", "kube-dns"}})}};
  Json ports = ports_json({53}, "UDP");
  ports.push_back(Json{{"protocol", "TCP"}, {"port", 53}});
  // Neon's pods only: a policy with Egress over other pods would cut their egress to DNS.
  return policy("neon-allow-dns", "network-policy", selector({{"app.kubernetes.io/part-of", "neon"}}), nullptr,
                Json::array({Json{{"to", Json::array({kube_dns})}, {"ports", ports}}}));
}

Json component_egress(const ClusterSpec& spec, const std::string& c) {
  Json out = Json::array();
  if (c == "compute") {
    // GetPage requests, WAL, and the hook (the spec, and the bootstrap init container's tenant and
    // timelines, which the hook creates): computes never reach the storage controller.
    out.push_back(to({"pageserver"}, {names::k_pageserver_pg_port}));
    out.push_back(to({"safekeeper"}, {names::k_safekeeper_pg_port}));
    out.push_back(to({"compute-hook"}, {hook_port(spec)}));
  } else if (c == "pageserver") {
    out.push_back(to({"storage-broker"}, {names::k_broker_port}));
    out.push_back(to({"storage-controller"}, {controller_port(spec)}));  // upcalls
    out.push_back(to({"safekeeper"}, {names::k_safekeeper_pg_port}));    // WAL from safekeepers
    object_storage_egress(spec, out);
  } else if (c == "safekeeper") {
    out.push_back(to({"storage-broker"}, {names::k_broker_port}));
    out.push_back(to({"storage-controller"}, {controller_port(spec)}));                               // registration
    out.push_back(to({"safekeeper"}, {names::k_safekeeper_pg_port, names::k_safekeeper_http_port}));  // peers
    object_storage_egress(spec, out);
  } else if (c == "storage-controller") {
    out.push_back(to({"pageserver"}, {names::k_pageserver_http_port}));
    out.push_back(to({"safekeeper"}, {names::k_safekeeper_http_port}));
    out.push_back(to({"compute-hook"}, {hook_port(spec)}));                 // notify
    out.push_back(to({"storage-controller"}, {names::k_controller_port}));  // step-down with HA
    if (spec.storage_controller.database == DatabaseMode::in_cluster) {
      out.push_back(to({"dev-postgres"}, {names::k_postgres_port}));
    } else {
      // The database URL is in a Secret: Postgres' port on any pod or address but link-local.
      Json peers = anywhere_but_link_local();
      peers.push_back(Json{{"namespaceSelector", Json::object()}});
      out.push_back(Json{{"to", std::move(peers)}, {"ports", ports_json({names::k_postgres_port})}});
    }
  } else if (c == "compute-hook") {
    out.push_back(to({"storage-controller"}, {controller_port(spec)}));
    out.push_back(to({"compute"}, {names::k_compute_ctl_port}));  // /configure
    if (!suspendable_computes(spec).empty()) {
      // --scale-computes: the Kubernetes API, whose address a policy sees after the Service's DNAT
      // (the API server's own address, port 443 or 6443 depending on the distribution) and which
      // the spec does not know: any address but link-local on those ports.
      out.push_back(Json{{"to", anywhere_but_link_local()}, {"ports", ports_json({443, 6443})}});
    }
  } else if (c == names::k_sync) {
    out.push_back(to({"storage-controller"}, {controller_port(spec)}));
  } else if (c == "proxy") {
    out.push_back(to({"compute-hook"}, {hook_port(spec)}));      // control-plane calls
    out.push_back(to({"compute"}, compute_client_ports(spec)));  // clients' sessions
  } else if (c == "dev-minio") {
    out.push_back(to({"dev-minio"}, {names::k_minio_port}));  // the bucket Job
  }
  return out;
}

std::vector<Json> extra_egress_policies(const ClusterSpec& spec) {
  std::vector<Json> out;
  const auto& rules = spec.network_policy_config.egress;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    Json pods{{"matchLabels", Json{{"app.kubernetes.io/part-of", "neon"}}}};
    if (!rules[i].components.empty()) {
      pods = Json{{"matchExpressions",
                   Json::array({Json{
                       {"key", "app.kubernetes.io/component"}, {"operator", "In"}, {"values", rules[i].components}}})}};
    }
    Json peers = Json::array();
    for (const auto& p : rules[i].to) {
      peers.push_back(peer_json(p));
    }
    Json r{{"to", std::move(peers)}};
    if (!rules[i].ports.empty()) {
      Json ports = Json::array();
      for (const auto& p : rules[i].ports) {
        ports.push_back(Json{{"protocol", p.protocol}, {"port", p.port}});
      }
      r["ports"] = std::move(ports);
    }
    out.push_back(policy("neon-extra-egress-" + std::to_string(i), "network-policy", std::move(pods), nullptr,
                         Json::array({std::move(r)})));
  }
  return out;
}

}  // namespace neon::gen::netpol
