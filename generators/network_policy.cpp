#include "generators/network_policy.hpp"

#include <utility>

#include "generators/names.hpp"
#include "generators/tls.hpp"

namespace neon::gen {

namespace netpol {

Json selector(const std::map<std::string, std::string>& labels) {
  if (labels.empty()) {
    return Json::object();
  }
  Json m = Json::object();
  for (const auto& [k, v] : labels) {
    m[k] = v;
  }
  return Json{{"matchLabels", m}};
}

Json component_peer(const std::string& component) {
  return Json{{"podSelector", selector({{"app.kubernetes.io/component", component}})}};
}

Json peer_json(const NetworkPeer& peer) {
  Json out = Json::object();
  if (!peer.cidr.empty()) {
    Json block{{"cidr", peer.cidr}};
    if (!peer.except.empty()) {
      block["except"] = peer.except;
    }
    out["ipBlock"] = block;
  }
  if (peer.namespace_selector) {
    out["namespaceSelector"] = selector(*peer.namespace_selector);
  }
  if (peer.pod_selector) {
    out["podSelector"] = selector(*peer.pod_selector);
  }
  return out;
}

Json ports_json(const std::vector<int>& ports, const std::string& protocol) {
  Json out = Json::array();
  for (const int p : ports) {
    out.push_back(Json{{"protocol", protocol}, {"port", p}});
  }
  return out;
}

Json policy(const std::string& name, const std::string& component, Json pod_selector, const Json& ingress,
            const Json& egress) {
  Json types = Json::array();
  Json spec{{"podSelector", std::move(pod_selector)}};
  if (!ingress.is_null()) {
    types.push_back("Ingress");
  }
  if (!egress.is_null()) {
    types.push_back("Egress");
  }
  spec["policyTypes"] = types;
  if (!ingress.is_null() && !ingress.empty()) {
    spec["ingress"] = ingress;
  }
  if (!egress.is_null() && !egress.empty()) {
    spec["egress"] = egress;
  }
  return Json{{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "NetworkPolicy"},
              {"metadata", Json{{"name", name}, {"labels", common_labels(name, component)}}},
              {"spec", std::move(spec)}};
}

}  // namespace netpol

namespace {

using namespace netpol;

Json rule(const char* direction, Json peers, Json ports) {
  return Json{{direction, std::move(peers)}, {"ports", std::move(ports)}};
}

Json from(std::initializer_list<const char*> components, const std::vector<int>& ports) {
  Json peers = Json::array();
  for (const char* c : components) {
    peers.push_back(component_peer(c));
  }
  return rule("from", std::move(peers), ports_json(ports));
}

/// Who may open a connection to each component's pods (neon-api.md §1 for the ports).
Json component_ingress(const ClusterSpec& spec, const std::string& c) {
  Json in = Json::array();
  if (c == "pageserver") {
    in.push_back(from({"compute"}, {names::k_pageserver_pg_port}));  // page requests
    in.push_back(from({"storage-controller"}, {names::k_pageserver_http_port}));
  } else if (c == "safekeeper") {
    // WAL in from computes, out to pageservers, and peer recovery between safekeepers.
    in.push_back(from({"compute", "pageserver", "safekeeper"}, {names::k_safekeeper_pg_port}));
    in.push_back(from({"storage-controller", "safekeeper"}, {names::k_safekeeper_http_port}));
  } else if (c == "storage-broker") {
    in.push_back(from({"pageserver", "safekeeper"}, {names::k_broker_port}));
  } else if (c == "storage-controller") {
    // Pageserver upcalls, the bootstrap init containers, the hook and spec.sync's runs (with
    // spec.tls on the HTTPS port alone, so no token goes in the clear), and a second controller
    // asking the leader to step down.
    const int api = spec.tls.enabled ? tls::k_https_port : names::k_controller_port;
    in.push_back(spec.sync.enabled ? from({"pageserver", "safekeeper", "compute-hook", names::k_sync}, {api})
                                   : from({"pageserver", "safekeeper", "compute-hook"}, {api}));
    in.push_back(from({"storage-controller"}, {names::k_controller_port}));
  } else if (c == "compute-hook") {
    // Notifications; specs and bootstraps. With spec.tls the plain port serves /metrics and /healthz only.
    in.push_back(from({"storage-controller", "compute"}, {spec.tls.enabled ? tls::k_https_port : names::k_hook_port}));
    if (spec.proxy.enabled) {
      // The proxy's control-plane calls (--auth-endpoint, generators/proxy.cpp).
      in.push_back(from({"proxy"}, {spec.tls.enabled ? tls::k_https_port : names::k_hook_port}));
    }
  } else if (c == "compute") {
    in.push_back(from({"compute-hook"}, {names::k_compute_ctl_port}));  // /configure
    if (spec.proxy.enabled) {
      // The proxy connects its clients to the address wake_compute answered, whatever allowFrom says.
      in.push_back(from({"proxy"}, compute_client_ports(spec)));
    }
    // Clients: compute.allowFrom, or this namespace's pods. An empty list admits nobody (a rule
    // with `from: []` would admit everyone, so there is no rule then).
    Json peers = Json::array();
    if (!spec.compute.allow_from) {
      peers.push_back(Json{{"podSelector", Json::object()}});
    } else {
      for (const auto& p : *spec.compute.allow_from) {
        peers.push_back(peer_json(p));
      }
    }
    if (!peers.empty()) {
      in.push_back(rule("from", std::move(peers), ports_json(compute_client_ports(spec))));
    }
  } else if (c == "proxy") {
    // The public endpoint: Postgres and WebSocket / SQL over HTTP from anywhere (a rule without
    // `from`). Its /metrics port is opened to Prometheus alone (components/monitoring).
    in.push_back(Json{{"ports", ports_json({names::k_proxy_pg_port, names::k_proxy_wss_port})}});
  } else if (c == "dev-postgres") {
    in.push_back(from({"storage-controller"}, {names::k_postgres_port}));
  } else if (c == "dev-minio") {
    // Layers and WAL; the bucket Job (labelled dev-minio) creates the bucket.
    in.push_back(from({"pageserver", "safekeeper", "dev-minio"}, {names::k_minio_port}));
  }
  return in;
}

std::string component_comment(const std::string& c) {
  if (c == "compute") {
    return "# Client ports open to spec.compute.allowFrom (default: pods of this namespace). Policies only\n"
           "# add allows: to narrow this, change allowFrom in the spec, not local/.\n";
  }
  if (c == "proxy") {
    return "# The proxy is the public endpoint: its client ports are open to every address.\n";
  }
  return "";
}

const char* k_policy_comments =
    "# Built from the spec by kubectl-neon. NetworkPolicies only add allows: a policy of yours in\n"
    "# local/ can open more, never close what these open; narrow them in the spec.\n";

}  // namespace

std::vector<int> compute_client_ports(const ClusterSpec& spec) {
  std::vector<int> ports{names::k_compute_pg_port};
  for (const auto& project : spec.projects) {
    for (const auto& branch : project.branches) {
      if (branch.compute.pooler.enabled) {
        ports.push_back(names::k_compute_pooler_port);  // PgBouncer beside Postgres (generators/pooler.hpp)
        return ports;
      }
    }
  }
  return ports;
}

std::vector<GeneratedFile> network_policy_files(const ClusterSpec& spec) {
  std::vector<GeneratedFile> out;
  // Ingress is denied to every pod of the namespace, egress to Neon's own: a client pod of yours in
  // the namespace (compute.allowFrom's default) keeps its egress.
  out.push_back({"default-deny.yaml",
                 std::string(k_policy_comments) +
                     "# Nothing reaches a pod of this namespace, and nothing leaves a Neon pod, unless a policy\n"
                     "# below allows it.\n",
                 {policy("neon-default-deny-ingress", "network-policy", Json::object(), Json::array(), nullptr),
                  policy("neon-default-deny-egress", "network-policy",
                         selector({{"app.kubernetes.io/part-of", "neon"}}), nullptr, Json::array())}});
  out.push_back({"dns.yaml", k_policy_comments, {dns_policy()}});
  std::vector<std::string> components = {"pageserver",         "safekeeper",   "storage-broker",
                                         "storage-controller", "compute-hook", "compute"};
  if (spec.proxy.enabled) {
    components.emplace_back("proxy");
  }
  if (spec.storage_controller.database == DatabaseMode::in_cluster) {
    components.emplace_back("dev-postgres");
  }
  if (spec.object_storage.minio) {
    components.emplace_back("dev-minio");
  }
  if (spec.sync.enabled) {
    components.emplace_back(names::k_sync);  // egress to the storage controller; nothing comes in
  }
  for (const auto& c : components) {
    const std::string name = "neon-allow-" + c;
    out.push_back({c + ".yaml",
                   std::string(k_policy_comments) + component_comment(c),
                   {policy(name, "network-policy", selector({{"app.kubernetes.io/component", c}}),
                           component_ingress(spec, c), component_egress(spec, c))}});
  }
  auto extra = extra_egress_policies(spec);
  if (!extra.empty()) {
    out.push_back({"extra-egress.yaml",
                   std::string(k_policy_comments) + "# spec.networkPolicies.egress, one policy per rule.\n",
                   std::move(extra)});
  }
  return out;
}

std::vector<GeneratedFile> metrics_policy_files(const ClusterSpec& spec) {
  if (!spec.network_policies) {
    // A policy only allows, but it isolates the pods it selects: without the others, the metrics
    // policies alone would leave each component reachable by Prometheus and nothing else.
    return {};
  }
  // Each component's /metrics port; the storage controller's is its API port (it serves both on
  // --listen), the broker's its gRPC port (neon-api.md §1).
  std::vector<std::pair<const char*, int>> targets = {
      {"storage-broker", names::k_broker_port},      {"storage-controller", names::k_controller_port},
      {"pageserver", names::k_pageserver_http_port}, {"safekeeper", names::k_safekeeper_http_port},
      {"compute", names::k_compute_ctl_port},        {"compute-hook", names::k_hook_port}};
  if (spec.proxy.enabled) {
    targets.emplace_back("proxy", names::k_proxy_http_port);  // --http: /metrics and /v1/status
  }
  const Json scraper{{"namespaceSelector", selector(spec.monitoring_config.namespace_selector)},
                     {"podSelector", selector(spec.monitoring_config.pod_selector)}};
  std::vector<Json> policies;
  for (const auto& [component, port] : targets) {
    const std::string name = std::string("neon-allow-metrics-") + component;
    policies.push_back(policy(name, "monitoring", selector({{"app.kubernetes.io/component", component}}),
                              Json::array({rule("from", Json::array({scraper}), ports_json({port}))}), nullptr));
  }
  return {{"networkpolicy-metrics.yaml",
           "# Prometheus (spec.monitoring.namespaceSelector and podSelector, both must match) reaches each\n"
           "# component's metrics port and no other. The storage controller serves /metrics on its API\n"
           "# port, so Prometheus reaches that API too; its routes need the controller's token when auth\n"
           "# is on.\n",
           std::move(policies)}};
}

}  // namespace neon::gen
