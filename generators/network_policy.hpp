#pragma once
// The cluster's NetworkPolicies, built from the spec: default deny (ingress and egress), DNS, each
// component's ingress and egress (network_policy.cpp, network_policy_egress.cpp), the metrics
// scrapers (monitoring), compute.allowFrom and spec.networkPolicies.egress.

#include <string>
#include <vector>

#include "generators/resource.hpp"
#include "generators/spec.hpp"

namespace neon::gen {

/// One file of a Component, built in C++ rather than shipped as YAML.
struct GeneratedFile {
  std::string name;      ///< file name in components/<feature>/
  std::string comments;  ///< comment lines written after the generated header
  std::vector<Json> objects;
};

/// The ports applications connect to on a compute (Postgres; a pooler's port goes here too). The
/// compute NetworkPolicy opens exactly these to compute.allowFrom.
std::vector<int> compute_client_ports(const ClusterSpec& spec);

/// components/network-policy: every policy but the metrics one.
std::vector<GeneratedFile> network_policy_files(const ClusterSpec& spec);
/// components/monitoring: Prometheus (spec.monitoring's selectors) to each component's metrics port.
std::vector<GeneratedFile> metrics_policy_files(const ClusterSpec& spec);

namespace netpol {

/// `{"matchLabels": labels}`, or `{}` (everything) when empty.
Json selector(const std::map<std::string, std::string>& labels);
/// A peer selecting this cluster's pods of `component` (app.kubernetes.io/component).
Json component_peer(const std::string& component);
/// The spec's peer as a NetworkPolicyPeer.
Json peer_json(const NetworkPeer& peer);
/// `[{"protocol": protocol, "port": p}...]`
Json ports_json(const std::vector<int>& ports, const std::string& protocol = "TCP");
/// A NetworkPolicy named `name` over the pods `pod_selector`, with these rules; policyTypes from
/// which rule lists are given (null: that direction is not governed by this policy).
Json policy(const std::string& name, const std::string& component, Json pod_selector, const Json& ingress,
            const Json& egress);

/// The egress rules of one component's pods (network_policy_egress.cpp).
Json component_egress(const ClusterSpec& spec, const std::string& component);
/// spec.networkPolicies.egress as policies, one per rule.
std::vector<Json> extra_egress_policies(const ClusterSpec& spec);
/// The egress every Neon pod gets: DNS to kube-dns in kube-system, UDP and TCP 53.
Json dns_policy();

}  // namespace netpol

}  // namespace neon::gen
