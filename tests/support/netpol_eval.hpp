#pragma once
// A small evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1) over generated
// objects: podSelector and namespaceSelector (matchLabels, matchExpressions), ipBlock with except
// (IPv4), ports and protocols, policyTypes, and default allow for pods no policy selects in a
// direction. A connection is allowed when the source's egress and the destination's ingress both
// allow it. ipBlock peers are matched against pod IPs too (the permissive reading).

#include <deque>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace neon::test::netpol {

using Json = nlohmann::ordered_json;
using Labels = std::map<std::string, std::string>;

/// A pod, or (namespace empty) an address outside the cluster such as the metadata server.
struct Endpoint {
  std::string name;
  std::string ns;  ///< empty: not a pod
  Labels labels;
  std::string ip;  ///< dotted IPv4
};

class Cluster {
public:
  /// Adds the NetworkPolicies among `objects` (others are ignored), in their metadata.namespace.
  void add_policies(const std::vector<Json>& objects);
  /// Adds a pod of each Deployment, StatefulSet, Job and CronJob among `objects`, with its pod template's labels.
  void add_workload_pods(const std::vector<Json>& objects);
  void add_namespace(const std::string& ns, Labels labels = {});
  const Endpoint& add_pod(const std::string& name, const std::string& ns, Labels labels);
  const Endpoint& add_address(const std::string& name, const std::string& ip);

  /// The first pod whose app.kubernetes.io/component is `component`.
  const Endpoint& pod(const std::string& component) const;
  const Endpoint& endpoint(const std::string& name) const;

  bool allowed(const Endpoint& from, const Endpoint& to, int port, const std::string& protocol = "TCP") const;
  /// "name -> name:port/protocol" of `from`.
  static std::string describe(const Endpoint& from, const Endpoint& to, int port, const std::string& protocol);

private:
  bool direction_allows(const Endpoint& subject, const Endpoint& peer, int port, const std::string& protocol,
                        bool ingress) const;
  bool peer_matches(const Json& peer, const std::string& policy_ns, const Endpoint& e) const;

  std::vector<Json> m_policies;
  std::map<std::string, Labels> m_namespaces;
  std::deque<Endpoint> m_endpoints;  // stable references
  int m_next_ip = 1;
};

/// Every generated YAML file of `tree` parsed back (kustomization.yaml files left out), its
/// policies and workload pods added, plus the cluster's neighbours: Prometheus in `monitoring`, a
/// pod labelled like Prometheus in `apps`, clients (app=client) in namespace `ns` and in `apps`,
/// kube-dns, and the addresses api-server (10.96.0.1), metadata (169.254.169.254) and s3.
Cluster cluster_of_tree(const std::map<std::string, std::string>& tree, const std::string& ns);

bool selector_matches(const Json& selector, const Labels& labels);
bool cidr_contains(const std::string& cidr, const std::string& ip);

}  // namespace neon::test::netpol
